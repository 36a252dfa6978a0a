#if canImport(Glibc)
import Glibc
#endif
import Logging
import MMCore
import NIOConcurrencyHelpers

/// swift-log handler writing one JSON object per line to stderr — `ts` (ms), `level`, `label` (the
/// subsystem: `mm.engine`, `mm.ingest`, `mm.gateway`, ...), `event` (the message: a stable event name such
/// as `order.submitted`) and the metadata as fields — and, from `error` up, also to a file. Values are
/// logged as given: secrets are never passed to a logger.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let label: String
    private let sink: LogSink

    public init(label: String, level: Logger.Level, sink: LogSink) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "{\"ts\":\(Self.nowMillis()),\"level\":\"\(event.level)\",\"label\":" + Self.quote(label) + ",\"event\":" + Self.quote("\(event.message)")
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) {
            line += "," + Self.quote(k) + ":" + Self.render(v)
        }
        line += "}\n"
        sink.write(line, isError: event.level >= .error)
    }

    static func render(_ v: Logger.Metadata.Value) -> String {
        switch v {
        case .string(let s): return quote(s)
        case .stringConvertible(let c): return quote(c.description)
        case .array(let a): return "[" + a.map(render).joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.sorted { $0.key < $1.key }.map { quote($0.key) + ":" + render($0.value) }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String { JSONString.quoted(s) }

    static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Where log lines go: stderr, and error lines also to an append-only file.
public final class LogSink: Sendable {
    private let errorFD: Int32
    private let lock = NIOLock()

    /// `errorFile`: path for error lines (created if missing); nil for stderr only.
    public init(errorFile: String?) {
        errorFD = errorFile.map { open($0, O_WRONLY | O_CREAT | O_APPEND, 0o640) } ?? -1
    }

    deinit { if errorFD >= 0 { close(errorFD) } }

    func write(_ line: String, isError: Bool) {
        var bytes = Array(line.utf8)
        lock.withLock {
            _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if isError && errorFD >= 0 { _ = bytes.withUnsafeMutableBytes { Glibc.write(errorFD, $0.baseAddress, $0.count) } }
        }
    }
}

/// Installs the JSON handler for every logger of the process (once; later calls are ignored by swift-log's
/// rules, so tests and tools that never bootstrap get swift-log's default).
public enum JSONLogging {
    public static func bootstrap(level: Logger.Level, errorFile: String?) {
        let sink = LogSink(errorFile: errorFile)
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, sink: sink) }
    }
}
