#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMBinanceWire
import MMCore

/// An append-only journal of order events, one JSON object per line, that survives restarts. Written from
/// the gateway thread only. Lines are written whole with `write(2)`; `sync()` flushes to disk.
final class Journal {
    private let fd: Int32
    let path: String

    init(path: String) throws(JournalError) {
        self.path = path
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !dir.isEmpty { _ = mkdir(dir, 0o755) }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw JournalError(message: "cannot open journal \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        flush()
        close(fd)
    }

    private var pending: [UInt8] = []

    /// Queues a line; `flush()` writes what is queued with one system call (the gateway flushes after each
    /// tick's orders are out and every 100 ms).
    func append(_ line: String) {
        pending.append(contentsOf: line.utf8)
        pending.append(0x0A)
    }

    func flush() {
        guard !pending.isEmpty else { return }
        _ = pending.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        pending.removeAll(keepingCapacity: true)
    }

    func sync() {
        flush()
        fsync(fd)
    }

    /// Client order IDs the journal shows sent and not closed, cancelled or rejected since.
    static func believedOpen(path: String) -> Set<String> {
        var open: Set<String> = []
        for line in lines(path: path) {
            guard let doc = try? JSONValue.parse(line), let e = doc["e"]?.text, let c = doc["c"]?.text else { continue }
            switch e {
            case "sent": open.insert(c)
            case "closed", "cancelled", "rejected": open.remove(c)
            default: break
            }
        }
        return open
    }

    /// Realized PnL (before fees) and fees of the fills the journal holds from `sinceMillis` on (the
    /// current UTC day), so a restart keeps counting the day's loss against the limits.
    static func dayFigures(path: String, sinceMillis: Int64) -> (realized: Notional, fees: Notional, fills: Int) {
        var realized = Notional.zero
        var fees = Notional.zero
        var fills = 0
        for line in lines(path: path) {
            guard let doc = try? JSONValue.parse(line), doc["e"]?.text == "fill", let t = doc["t"]?.int64, t >= sinceMillis else { continue }
            if let rp = doc["rp"]?.text.flatMap({ Notional($0) }) { realized = realized.clampedAdding(rp) }
            if let fee = doc["fee"]?.text.flatMap({ Notional($0) }) { fees = fees.clampedAdding(fee) }
            fills += 1
        }
        return (realized, fees, fills)
    }

    /// Every line of a journal file (empty if there is none).
    static func lines(path: String) -> [String] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return data.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
    }
}

struct JournalError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
