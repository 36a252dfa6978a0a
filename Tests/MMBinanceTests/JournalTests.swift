import Foundation
import MMCore
import MMExecution
@testable import MMBinance
import TestSupport
import Testing

/// The journal written with a checksum per record and read back at start: the PnL figures, today's trades,
/// which orders may still rest; damage is skipped with a count, never trusted.
@Suite("Journal")
struct JournalTests {
    let day: Int64 = 1_795_305_600_000  // a UTC midnight
    let id = ClientOrderID("mmq-a-1")!

    func fresh(_ name: String) -> String {
        let path = Fixtures.temporaryPath(name) + ".journal"
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    func figures(dayNet: String, total: String) -> PnLFigures {
        var f = PnLFigures()
        f.dayStartMillis = day
        f.sinceMillis = day - 10 * 86_400_000
        f.dayRealized = Notional(dayNet)!
        f.totalRealized = Notional(total)!
        return f
    }

    @Test(arguments: JournalSync.allCases)
    func recordsCarryAChecksumAndReadBack(sync: JournalSync) throws {
        let path = fresh("journal-roundtrip-\(sync)")
        let journal = try Journal(path: path, sync: sync)
        journal.append(.sent(id, .buy, price: Price("60000.1")!, quantity: Quantity("0.002")!, reduceOnly: false, wallMillis: day + 1))
        journal.append(.fill(id, .buy, price: Price("60000.1")!, quantity: Quantity("0.002")!, fee: Notional("0.024")!, realized: Notional("-1.5")!,
            tradeID: 77, maker: true, wallMillis: day + 2))
        journal.append(.pnl(figures(dayNet: "-1.5", total: "-20"), wallMillis: day + 2))
        #expect(journal.commit())
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasSuffix(#"{"e":"sent","c":"mmq-a-1","s":"BUY","p":"60000.1","q":"0.002","t":1795305600001}"#))
        #expect(lines.allSatisfy { $0.count > 9 && $0.dropFirst(8).first == " " })
        let r = JournalRecovery.read(path: path, dayStartMillis: day, sinceMillis: nil)
        #expect(r.records == 3 && r.badChecksums == 0 && !r.tornEnd)
        #expect(r.hadFigures && r.figures.dayRealized == Notional("-1.5")! && r.figures.totalRealized == Notional("-20")!)
        #expect(r.todayTradeIDs == [77] && r.believedOpen == ["mmq-a-1"])
    }

    @Test(arguments: JournalSync.allCases)
    func recordsAreFormattedAndWrittenAtCommitInOrder(sync: JournalSync) throws {
        let path = fresh("journal-commit-\(sync)")
        let journal = try Journal(path: path, sync: sync)
        journal.append(.cancelSent(id, wallMillis: day + 1))
        journal.append(.closed(id, .canceled))
        #expect(journal.records == 2)
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty, "nothing formatted or written before the commit")
        #expect(journal.commit())
        journal.append(.cancelAll(wallMillis: day + 2))
        #expect(journal.commit())
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].contains(#""e":"cancel""#) && lines[1].contains(#""e":"closed""#) && lines[2].contains(#""e":"cancel_all""#), "\(lines)")
    }

    @Test func aTornLastRecordAndABadChecksumAreSkippedAndCounted() throws {
        let path = fresh("journal-torn")
        let journal = try Journal(path: path, sync: .halt)
        journal.append(.pnl(figures(dayNet: "-1", total: "-5"), wallMillis: day + 1))
        journal.append(.pnl(figures(dayNet: "-2", total: "-6"), wallMillis: day + 2))
        journal.commit()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // Corrupt a digit inside the second record; then a crash mid-write leaves half a third one.
        let second = bytes.indices.filter { bytes[$0] == 0x0A }[0] + 1
        if let i = bytes[second...].firstIndex(of: UInt8(ascii: "6")) { bytes[i] = UInt8(ascii: "9") }
        bytes += Array(#"0badf00d {"e":"pnl","day":"#.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let r = JournalRecovery.read(path: path, dayStartMillis: day, sinceMillis: nil)
        #expect(r.tornEnd && r.badChecksums == 1 && r.records == 1)
        #expect(r.figures.totalRealized == Notional("-5")!, "the last record that checks out")
    }

    @Test func anOlderJournalWithoutChecksumsOrFiguresIsSummed() throws {
        let path = fresh("journal-legacy")
        let lines = [
            #"{"e":"sent","c":"mmq-a-1","s":"BUY","p":"60000","q":"0.002","t":\#(day - 5000)}"#,
            #"{"e":"fill","c":"mmq-a-1","s":"BUY","p":"60000","q":"0.002","fee":"0.024","rp":"0","maker":true,"t":\#(day - 4000)}"#,
            #"{"e":"sent","c":"mmq-a-2","s":"SELL","p":"60010","q":"0.002","t":\#(day + 1000)}"#,
            #"{"e":"fill","c":"mmq-a-2","s":"SELL","p":"60010","q":"0.002","fee":"0.024","rp":"0.02","maker":true,"t":\#(day + 2000)}"#,
            #"{"e":"closed","c":"mmq-a-2","status":"FILLED"}"#,
            #"{"e":"fill","c":"mmq-a-3","s":"SELL","p":"60010","q":"0.002","fee":"0.05","rp":"-0.3","maker":false,"t":\#(day + 3000)}"#,
            #"{"e":"fill","c":"mmq-a-4","s":"SELL","p":"60010","q":"0.002","fee":"0.01","maker":true,"t":\#(day + 4000)}"#,
            "not json",
            #"{"e":"fill","c":"mmq-a-5","fee":"1e9","rp":"x","t":\#(day + 5000)}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let r = JournalRecovery.read(path: path, dayStartMillis: day, sinceMillis: nil)
        // Yesterday's fill counts in the total, not today; a line without rp still counts its fee; junk adds nothing.
        #expect(r.figures.dayRealized == Notional("-0.28")! && r.figures.dayFees == Notional("0.084")! && r.todayFills == 4)
        #expect(r.figures.totalFees == Notional("0.108")! && r.figures.sinceMillis == day - 86_400_000)
        #expect(r.believedOpen == ["mmq-a-1"] && r.unreadable == 1)
        #expect(JournalRecovery.read(path: path + ".missing", dayStartMillis: day, sinceMillis: nil).records == 0)
    }

    @Test func aConfiguredStartSumsTheFillsFromIt() throws {
        let path = fresh("journal-since")
        let journal = try Journal(path: path, sync: .halt)
        for k in 0..<5 {
            journal.append(.fill(id, .sell, price: Price("60000")!, quantity: Quantity("0.001")!, fee: Notional("0.1")!, realized: Notional("-1")!,
                tradeID: Int64(k + 1), maker: true, wallMillis: day - Int64(k) * 86_400_000 + 10))
        }
        journal.append(.pnl(figures(dayNet: "-1", total: "-5"), wallMillis: day + 20))
        journal.commit()
        let r = JournalRecovery.read(path: path, dayStartMillis: day, sinceMillis: day - 2 * 86_400_000)
        #expect(r.figures.totalRealized == Notional("-3")! && r.figures.totalFees == Notional("0.3")! && r.figures.sinceMillis == day - 2 * 86_400_000)
    }

    @Test func aLongJournalIsReadAChunkAtATime() throws {
        let path = fresh("journal-long")
        let journal = try Journal(path: path, sync: .halt)
        for k in 0..<5_000 {
            journal.append(.sent(ClientOrderID(prefix: ClientOrderID("mmq-x-")!, sequence: UInt64(k))!, .sell, price: Price("60000")!,
                quantity: Quantity("0.001")!, reduceOnly: false, wallMillis: day + Int64(k)))
            journal.append(.closed(ClientOrderID(prefix: ClientOrderID("mmq-x-")!, sequence: UInt64(k))!, .canceled))
        }
        journal.commit()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(size > 4 * 65_536, "spans several chunks: \(size) bytes")
        let r = JournalRecovery.read(path: path, dayStartMillis: day, sinceMillis: nil)
        #expect(r.records == 10_000 && r.believedOpen.isEmpty && r.badChecksums == 0 && !r.tornEnd)
    }

    @Test func aJournalThatCannotBeWrittenSaysSo() throws {
        let journal = try Journal(path: "/dev/full", sync: .halt)
        journal.append(.resume(wallMillis: day))
        #expect(!journal.commit() && journal.failed)
    }
}
