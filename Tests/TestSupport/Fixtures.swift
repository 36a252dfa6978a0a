import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Locates the shared, externally recorded fixtures (`../shared/fixtures` beside the package) and the
/// package's own files.
public enum Fixtures {
    /// The package root, derived from this file's location.
    public static let packageRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TestSupport/Fixtures.swift
        return parts.joined(separator: "/")
    }()

    /// `../shared/fixtures` relative to the package root (override with `MM_FIXTURES`).
    public static let root: String = {
        if let env = getenv("MM_FIXTURES") { return String(cString: env) }
        return packageRoot + "/../shared/fixtures"
    }()

    /// Absolute path of a fixture.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// Path of one of the hftbacktest depth recordings.
    public static func recording(_ name: String) -> String {
        path("binance_usdm/depth_recordings/hftbacktest_usdm_" + name)
    }

    /// Reads a whole plain file.
    public static func bytes(atPath path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { fatalError("missing fixture \(path)") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Reads a whole fixture.
    public static func bytes(_ relative: String) -> [UInt8] { bytes(atPath: path(relative)) }

    /// Reads a fixture as text.
    public static func text(_ relative: String) -> String { String(decoding: bytes(relative), as: UTF8.self) }

    /// Lines of a fixture.
    public static func lines(_ relative: String) -> [String] {
        text(relative).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// A temporary file path unique to this process.
    public static func temporaryPath(_ name: String) -> String {
        "/tmp/mm-test-\(getpid())-\(name)"
    }

    /// Writes bytes to a path.
    public static func write(_ bytes: [UInt8], to path: String) {
        guard let f = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
}


/// Runs a program and returns its exit status and output.
public func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}


/// Runs blocking work (reading a child's pipes, waiting for it) on a thread of its own: on the cooperative
/// pool (one thread per core) it would starve the test's other async work.
public func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (done: CheckedContinuation<T, Never>) in
        Thread.detachNewThread { done.resume(returning: work()) }
    }
}

/// Runs blocking, throwing work on a thread of its own (see `onThread`).
public func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
        Thread.detachNewThread { done.resume(with: Result { try work() }) }
    }
}

/// Reads a pipe to its end on a thread of its own, starting now (a full pipe would block the writer).
public func drain(_ pipe: Pipe) -> Task<String, Never> {
    let handle = pipe.fileHandleForReading
    return Task { await onThread { String(decoding: handle.readDataToEndOfFile(), as: UTF8.self) } }
}

/// A tool a test needs is not installed, or the `mm` executable is not where the build put it. Thrown,
/// not skipped: a test that cannot run fails and says what to install.
public struct MissingTool: Error, CustomStringConvertible {
    public let description: String
}

/// The programs tests drive from outside.
public enum Tools {
    /// The `mm` executable of the build these tests run under: it sits beside the test bundle in every
    /// build directory (debug, release, `--scratch-path`). `MM_BIN` overrides it.
    public static func mm() throws -> String {
        if let env = getenv("MM_BIN") {
            let path = String(cString: env)
            guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingTool(description: "MM_BIN=\(path) is not an executable") }
            return path
        }
        let candidate = buildDirectory + "/mm"
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw MissingTool(description: "no mm executable at \(candidate): `swift build` (or `swift test`, which builds it) first, or set MM_BIN")
        }
        return candidate
    }

    /// Runs `mm` with `environment` added, `input` on standard input and `directory` as its working
    /// directory; its exit status, standard output and standard error.
    public static func runMM(
        _ arguments: [String], environment: [String: String] = [:], input: String = "", directory: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try mm())
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdin = Pipe()
        let out = Pipe()
        let err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // Standard error is read on its own thread so that neither pipe fills while the other is read.
        let errors = Locked(Data())
        let reader = Thread { errors.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errors.done { usleep(1000) }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), String(decoding: errors.value, as: UTF8.self))
    }

    /// The directory holding the running test bundle.
    public static let buildDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    /// Throws `MissingTool` unless every named command is on `PATH`.
    public static func require(_ commands: String..., hint: String) throws {
        let missing = commands.filter { (try? run(["sh", "-c", "command -v \($0)"]).status) != 0 }
        if !missing.isEmpty { throw MissingTool(description: "\(missing.joined(separator: ", ")) not installed (\(hint))") }
    }

    /// Throws `MissingTool` unless python3 can import every named module.
    public static func requirePython(_ modules: String..., hint: String) throws {
        let missing = modules.filter { (try? run(["python3", "-c", "import \($0)"]).status) != 0 }
        if !missing.isEmpty { throw MissingTool(description: "python modules \(missing.joined(separator: ", ")) not installed (\(hint))") }
    }
}

/// A value set once from another thread.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    private var isSet = false
    init(_ value: T) { stored = value }
    func set(_ value: T) {
        lock.lock()
        stored = value
        isSet = true
        lock.unlock()
    }
    var done: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isSet
    }
    var value: T {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
