import Foundation
import MMCore
@testable import MMBinance
import TestSupport
import Testing

/// The journal read back at start: which orders may still rest, and today's PnL so far.
@Suite("Journal")
struct JournalTests {
    @Test func todaysFillsCountAfterARestart() throws {
        let path = Fixtures.temporaryPath("journal") + ".jsonl"
        let day: Int64 = 1_795_305_600_000  // a UTC midnight
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
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let figures = Journal.dayFigures(path: path, sinceMillis: day)
        // Yesterday's fill is left out; a line without rp (older journals) still counts its fee; junk adds nothing.
        #expect(figures.realized == Notional("-0.28")! && figures.fees == Notional("0.084")! && figures.fills == 4)
        #expect(Journal.believedOpen(path: path) == ["mmq-a-1"])
        #expect(Journal.dayFigures(path: path + ".missing", sinceMillis: day).fills == 0)
        try? FileManager.default.removeItem(atPath: path)
    }
}
