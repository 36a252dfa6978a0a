#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMBinanceWire
import MMCore
import MMExecution
import MMRing
import Synchronization

/// The order journal: an append-only file of `JournalRecord`s, one per line as `<crc32> <json>`, written by
/// the gateway thread only. Records of a batch are formatted into a reused buffer (no allocation once
/// warm) and written with one `write(2)` (`commit()`); the gateway decides whether that is before or after
/// the batch's requests leave (`JournalSync`). A write or sync that fails is reported, and the gateway halts.
final class Journal {
    private let fd: Int32
    let path: String
    /// When `commit()` brings what it wrote to the disk: `writeAhead` syncs in `commit()` itself, `batch` on
    /// a thread of the journal's own (a failed sync fails the next `commit()`), `halt` only in `sync()`.
    let mode: JournalSync
    /// Records of the batch, formatted in `commit()`: with `batch` and `halt` that runs after the batch's
    /// requests have been written to their sockets, so formatting is off the path to the wire.
    private var queued: [JournalRecord] = []
    private var pending: [UInt8] = []
    private var syncer: JournalSyncer?
    /// Records written and bytes, for reports.
    private(set) var records = 0
    private(set) var failed = false

    init(path: String, sync mode: JournalSync) throws(JournalError) {
        self.path = path
        self.mode = mode
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !dir.isEmpty { _ = mkdir(dir, 0o755) }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalError(message: "cannot open journal \(path): \(String(cString: strerror(errno)))") }
        pending.reserveCapacity(1 << 16)
        queued.reserveCapacity(256)
        if mode == .batch { syncer = JournalSyncer(fd: fd) }
    }

    deinit {
        _ = commit()
        syncer?.stop()
        close(fd)
    }

    /// Queues one record (formatted and written by the next `commit()`).
    func append(_ record: JournalRecord) {
        queued.append(record)
        records += 1
    }

    /// Formats one record into `pending`: `<crc32> <json>\n`.
    private func format(_ record: JournalRecord) {
        let start = pending.count
        for _ in 0..<9 { pending.append(0x20) }
        JournalFormat.write(record, into: &pending)
        let crc = pending.withUnsafeBufferPointer { CRC32.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[(start + 9)...])) }
        JournalFormat.hex8(crc, into: &pending, at: start)
        pending.append(0x0A)
    }

    /// Writes what is queued (and syncs it when configured); false when the file could not take it.
    @discardableResult
    func commit() -> Bool {
        for record in queued { format(record) }
        queued.removeAll(keepingCapacity: true)
        guard !pending.isEmpty else { return !failed }
        var ok = pending.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        switch mode {
        case .writeAhead: if ok { ok = fdatasync(fd) == 0 }
        case .batch:
            if syncer?.hasFailed == true { ok = false }
            if ok { syncer?.request() }
        case .halt: break
        }
        pending.removeAll(keepingCapacity: true)
        if !ok { failed = true }
        return ok
    }

    /// Makes everything written durable (halt, shutdown).
    func sync() {
        _ = commit()
        fsync(fd)
    }
}

/// The journal's `fdatasync` thread: woken (a semaphore post, no allocation) after each batch is written;
/// requests that pile up while a sync runs are served by one more sync.
final class JournalSyncer: @unchecked Sendable {
    private let fd: Int32
    private let wakeup = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let failed = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private var thread: PosixThread?

    init(fd: Int32) {
        self.fd = fd
        sem_init(wakeup, 0, 0)
        thread = PosixThread(name: "mm-journal") { [self] in run() }
    }

    deinit {
        sem_destroy(wakeup)
        wakeup.deallocate()
    }

    /// Whether a sync has failed (the disk refused what was written).
    var hasFailed: Bool { failed.load(ordering: .acquiring) }

    /// Asks for a sync of everything written so far.
    func request() { sem_post(wakeup) }

    /// Finishes the sync in progress and ends the thread.
    func stop() {
        stopping.store(true, ordering: .releasing)
        sem_post(wakeup)
        thread?.join()
        thread = nil
    }

    private func run() {
        while true {
            while sem_wait(wakeup) != 0 && errno == EINTR {}
            while sem_trywait(wakeup) == 0 {}
            if stopping.load(ordering: .acquiring) { return }
            if fdatasync(fd) != 0 { failed.store(true, ordering: .releasing) }
        }
    }
}

struct JournalError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// CRC-32 (IEEE 802.3), table driven.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// The JSON of each record, written byte by byte into a reused buffer.
enum JournalFormat {
    static func write(_ r: JournalRecord, into out: inout [UInt8]) {
        switch r {
        case .sent(let id, let side, let price, let quantity, let reduceOnly, let t):
            event("sent", &out)
            key("c", id, &out)
            key("s", side == .buy ? "BUY" : "SELL", &out)
            key("p", price.raw, &out)
            key("q", quantity.raw, &out)
            if reduceOnly { raw(#","r":true"#, &out) }
            time(t, &out)
        case .modifySent(let id, let price, let quantity, let t):
            event("modify", &out)
            key("c", id, &out)
            key("p", price.raw, &out)
            key("q", quantity.raw, &out)
            time(t, &out)
        case .cancelSent(let id, let t):
            event("cancel", &out)
            key("c", id, &out)
            time(t, &out)
        case .acknowledged(let id, let venueID):
            event("ack", &out)
            key("c", id, &out)
            integer("i", venueID.rawValue, &out)
        case .refused(let id, let kind, let code):
            event("refused", &out)
            key("c", id, &out)
            key("k", kindName(kind), &out)
            integer("code", Int64(code), &out)
        case .closed(let id, let status):
            event("closed", &out)
            key("c", id, &out)
            key("status", status.rawValue, &out)
        case .fill(let id, let side, let price, let quantity, let fee, let realized, let trade, let maker, let t):
            event("fill", &out)
            key("c", id, &out)
            key("s", side == .buy ? "BUY" : "SELL", &out)
            key("p", price.raw, &out)
            key("q", quantity.raw, &out)
            key("fee", fee.raw, &out)
            key("rp", realized.raw, &out)
            integer("id", trade, &out)
            raw(maker ? #","maker":true"# : #","maker":false"#, &out)
            time(t, &out)
        case .funding(let amount, let t):
            event("funding", &out)
            key("a", amount.raw, &out)
            time(t, &out)
        case .halt(let reason, let t):
            event("halt", &out)
            key("reason", reason.code, &out)
            time(t, &out)
        case .resume(let t):
            event("resume", &out)
            time(t, &out)
        case .cancelAll(let t):
            event("cancel_all", &out)
            time(t, &out)
        case .reconciled(let open, let position, let t):
            event("reconciled", &out)
            integer("open", Int64(open), &out)
            key("position", position.raw, &out)
            time(t, &out)
        case .pnl(let f, let t):
            event("pnl", &out)
            integer("day", f.dayStartMillis, &out)
            key("dr", f.dayRealized.raw, &out)
            key("df", f.dayFees.raw, &out)
            key("dn", f.dayFunding.raw, &out)
            integer("since", f.sinceMillis, &out)
            key("tr", f.totalRealized.raw, &out)
            key("tf", f.totalFees.raw, &out)
            key("tn", f.totalFunding.raw, &out)
            time(t, &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func kindName(_ k: RequestKind) -> StaticString {
        switch k {
        case .place: "place"
        case .cancel: "cancel"
        case .modify: "modify"
        case .query: "query"
        }
    }

    private static func raw(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func event(_ name: StaticString, _ out: inout [UInt8]) {
        raw(#"{"e":""#, &out)
        raw(name, &out)
        out.append(UInt8(ascii: "\""))
    }

    private static func open(_ name: StaticString, _ out: inout [UInt8]) {
        raw(#",""#, &out)
        raw(name, &out)
        raw(#"":"#, &out)
    }

    private static func key(_ name: StaticString, _ value: StaticString, _ out: inout [UInt8]) {
        open(name, &out)
        out.append(UInt8(ascii: "\""))
        raw(value, &out)
        out.append(UInt8(ascii: "\""))
    }

    private static func key(_ name: StaticString, _ value: String, _ out: inout [UInt8]) {
        open(name, &out)
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: value.utf8)
        out.append(UInt8(ascii: "\""))
    }

    private static func key(_ name: StaticString, _ id: ClientOrderID, _ out: inout [UInt8]) {
        open(name, &out)
        out.append(UInt8(ascii: "\""))
        id.withBytes { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
    }

    /// A fixed-point value as a quoted exact decimal.
    private static func key(_ name: StaticString, _ raw: Int64, _ out: inout [UInt8]) {
        open(name, &out)
        out.append(UInt8(ascii: "\""))
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 1) { buffer in
            let n = DecimalCodec.write(raw, into: buffer)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func integer(_ name: StaticString, _ v: Int64, _ out: inout [UInt8]) {
        open(name, &out)
        digits(v, &out)
    }

    private static func time(_ t: Int64, _ out: inout [UInt8]) { integer("t", t, &out) }

    static func digits(_ v: Int64, _ out: inout [UInt8]) {
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { d in
            let start = DecimalCodec.writeInteger(v, rightAlignedIn: d)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[start...]))
        }
    }

    static func hex8(_ v: UInt32, into out: inout [UInt8], at i: Int) {
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { h in
            for k in 0..<8 { out[i + k] = h[Int((v >> (28 - 4 * UInt32(k))) & 0xF)] }
        }
    }
}
