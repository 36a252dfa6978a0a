#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMBinanceWire
import MMCore
import MMExecution

/// What a journal holds for a restart: the PnL figures (today's and cumulative), today's trades (not to
/// be counted again), and the orders it shows sent and never closed. Read a chunk at a time; a torn last
/// record (a crash mid-write) is skipped with a warning, as is a record whose checksum does not match.
public struct JournalRecovery: Sendable {
    public var figures = PnLFigures()
    /// Whether a `pnl` record was found (else the figures are summed from the fills).
    public var hadFigures = false
    public var todayTradeIDs: [Int64] = []
    public var todayFills = 0
    public var believedOpen: Set<String> = []
    public var records = 0
    /// Records skipped: a torn end, checksum mismatches, lines that are not JSON.
    public var tornEnd = false
    public var badChecksums = 0
    public var unreadable = 0
    /// The first record's time (ms): where cumulative figures start when none is configured.
    public var firstMillis: Int64?

    /// Reads the journal at `path` (an absent file is an empty journal). `dayStartMillis` is today's UTC
    /// midnight; `sinceMillis`, when given, is where cumulative figures start (`risk.stopLossSince`).
    public static func read(path: String, dayStartMillis: Int64, sinceMillis: Int64?) -> JournalRecovery {
        var r = JournalRecovery()
        var summed = PnLFigures()
        summed.dayStartMillis = dayStartMillis
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            r.figures.dayStartMillis = dayStartMillis
            r.figures.sinceMillis = sinceMillis ?? dayStartMillis
            return r
        }
        defer { close(fd) }
        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = 0
            for i in 0..<n where chunk[i] == 0x0A {
                if carry.isEmpty {
                    r.line(chunk[start..<i], &summed, dayStartMillis: dayStartMillis, sinceMillis: sinceMillis)
                } else {
                    carry.append(contentsOf: chunk[start..<i])
                    r.line(carry[...], &summed, dayStartMillis: dayStartMillis, sinceMillis: sinceMillis)
                    carry.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            carry.append(contentsOf: chunk[start..<n])
        }
        if !carry.isEmpty { r.tornEnd = true }
        if !r.hadFigures {
            r.figures = summed
            r.figures.sinceMillis = sinceMillis ?? r.firstMillis.map { $0 - $0 % 86_400_000 } ?? dayStartMillis
        } else if let since = sinceMillis, since != r.figures.sinceMillis {
            // A different cumulative start than the journal's: sum the fills from it.
            r.figures.totalRealized = summed.totalRealized
            r.figures.totalFees = summed.totalFees
            r.figures.totalFunding = summed.totalFunding
            r.figures.sinceMillis = since
        }
        if r.figures.dayStartMillis != dayStartMillis {
            // The last figures are of an earlier day: today starts from zero.
            r.figures.startDay(dayStartMillis)
        }
        return r
    }

    private mutating func line(_ bytes: ArraySlice<UInt8>, _ summed: inout PnLFigures, dayStartMillis: Int64, sinceMillis: Int64?) {
        guard !bytes.isEmpty else { return }
        var json = bytes
        if bytes.first != UInt8(ascii: "{") {
            // `<crc32 hex> <json>`; a line without the prefix is of the journal's earlier format.
            guard bytes.count > 9, bytes[bytes.startIndex + 8] == 0x20,
                let crc = UInt32(String(decoding: bytes.prefix(8), as: UTF8.self), radix: 16)
            else {
                unreadable += 1
                return
            }
            json = bytes.dropFirst(9)
            let actual = json.withUnsafeBytes { CRC32.checksum($0) }
            guard actual == crc else {
                badChecksums += 1
                return
            }
        }
        guard let doc = try? JSONValue.parse(Array(json)), let e = doc["e"]?.text else {
            unreadable += 1
            return
        }
        records += 1
        let t = doc["t"]?.int64
        if let t, firstMillis == nil { firstMillis = t }
        func amount(_ k: String) -> Notional { doc[k]?.text.flatMap { Notional($0) } ?? .zero }
        switch e {
        case "sent":
            if let c = doc["c"]?.text { believedOpen.insert(c) }
        case "closed", "cancelled", "rejected":
            if let c = doc["c"]?.text { believedOpen.remove(c) }
        case "refused":
            if doc["k"]?.text == "place", let c = doc["c"]?.text { believedOpen.remove(c) }
        case "fill":
            let rp = amount("rp")
            let fee = amount("fee")
            if let t, t >= (sinceMillis ?? .min) {
                summed.totalRealized = summed.totalRealized.clampedAdding(rp)
                summed.totalFees = summed.totalFees.clampedAdding(fee)
            }
            if let t, t >= dayStartMillis {
                summed.dayRealized = summed.dayRealized.clampedAdding(rp)
                summed.dayFees = summed.dayFees.clampedAdding(fee)
                todayFills += 1
                if let id = doc["id"]?.int64, id != 0 { todayTradeIDs.append(id) }
            }
        case "funding":
            let a = amount("a")
            if let t, t >= (sinceMillis ?? .min) { summed.totalFunding = summed.totalFunding.clampedAdding(a) }
            if let t, t >= dayStartMillis { summed.dayFunding = summed.dayFunding.clampedAdding(a) }
        case "pnl":
            hadFigures = true
            var f = PnLFigures()
            f.dayStartMillis = doc["day"]?.int64 ?? 0
            f.dayRealized = amount("dr")
            f.dayFees = amount("df")
            f.dayFunding = amount("dn")
            f.sinceMillis = doc["since"]?.int64 ?? 0
            f.totalRealized = amount("tr")
            f.totalFees = amount("tf")
            f.totalFunding = amount("tn")
            figures = f
        default:
            break
        }
    }
}
