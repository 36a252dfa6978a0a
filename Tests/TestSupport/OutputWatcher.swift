import Foundation
import Synchronization

/// Collects a child process's output as it arrives, so a test can wait for a line instead of sleeping.
public final class OutputWatcher: Sendable {
    private let collected = Mutex<(text: String, ended: Bool)>(("", false))

    /// Starts reading `pipe` on a thread of its own (a full pipe would block the writer).
    public init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                collected.withLock { $0.text += String(decoding: chunk, as: UTF8.self) }
            }
            collected.withLock { $0.ended = true }
        }
    }

    /// Everything read so far.
    public var text: String { collected.withLock { $0.text } }

    /// Waits until the output holds `needle` `count` times (true), or until `seconds` pass or the output
    /// ends without it (false).
    public func waitFor(_ needle: String, count: Int = 1, seconds: Double = 60) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let (text, ended) = collected.withLock { ($0.text, $0.ended) }
            if text.components(separatedBy: needle).count - 1 >= count { return true }
            if ended { return false }
            try await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    /// The whole output, once the writer closed it.
    public func finished() async -> String {
        while !collected.withLock({ $0.ended }) { try? await Task.sleep(for: .milliseconds(25)) }
        return text
    }
}
