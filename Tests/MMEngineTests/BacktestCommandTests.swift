import Foundation
import MMBinanceWire
import TestSupport
import Testing

/// `mm backtest` as a user runs it: a report on stdout and in --out, and a chart beside it.
@Suite("mm backtest")
struct BacktestCommandTests {
    @Test("the shipped recording: a JSON report line, the report and the SVG chart in --out")
    func shippedRecording() async throws {
        let dir = Fixtures.temporaryPath("backtest")
        let result = try await onThread { try run([try Tools.mm(), "backtest", "--out", dir, "--order-latency-ms", "5", "--feed-latency-ms", "2"]) }
        #expect(result.status == 0, "\(result.output)")
        let line = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("{") })
        let report = try JSONValue.parse(Array(line.utf8))
        #expect(report["symbol"]?.text == "BTCUSDT" && report["model"]?.text == "fixed")
        #expect((report["strategy_ticks"]?.int64 ?? 0) > 600, "about 3 minutes at 250 ms")
        #expect(report["order_latency_ms"] != nil && report["pnl_net"]?.text != nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.contains { $0.hasSuffix(".json") } && files.contains { $0.hasSuffix(".svg") }, "\(files)")
        let svg = try String(contentsOfFile: dir + "/" + files.first { $0.hasSuffix(".svg") }!, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        _ = try? run(["rm", "-rf", dir])
    }

    @Test("--compare without the sessions names the directory it needs")
    func compareNeedsSessions() async throws {
        let result = try await onThread { try run([try Tools.mm(), "backtest", "--compare", "--sessions", "/nonexistent", "--out", Fixtures.temporaryPath("bt-none")]) }
        #expect(result.status != 0 && result.output.contains("/nonexistent"), "\(result.output)")
    }
}
