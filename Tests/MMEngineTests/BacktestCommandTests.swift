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
        #expect(report["symbol"]?.text == "BTCUSDT" && report["model"]?.text == "alpha")
        #expect((report["strategy_ticks"]?.int64 ?? 0) > 600, "about 3 minutes at 250 ms")
        #expect(report["order_latency_ms"] != nil && report["pnl_net"]?.text != nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.contains { $0.hasSuffix(".json") } && files.contains { $0.hasSuffix(".svg") }, "\(files)")
        let svg = try String(contentsOfFile: dir + "/" + files.first { $0.hasSuffix(".svg") }!, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        _ = try? run(["rm", "-rf", dir])
    }

    @Test("a binary copied to a shallow directory still finds the shipped recording (from the working directory)")
    func shallowBinaryPath() async throws {
        // `/tmp/<dir>/mm` has fewer parents than the five the recording search climbs.
        let dir = "/tmp/mm-shallow-\(UInt64.random(in: 0 ... .max))"
        _ = try run(["mkdir", "-p", dir])
        _ = try run(["cp", try Tools.mm(), dir + "/mm"])
        let out = Fixtures.temporaryPath("backtest-shallow")
        let result = try await onThread { try run([dir + "/mm", "backtest", "--out", out, "--order-latency-ms", "5", "--feed-latency-ms", "2"]) }
        #expect(result.status == 0, "\(result.output.suffix(800))")
        _ = try? run(["rm", "-rf", dir, out])
    }

    @Test("--compare without the sessions names the directory it needs")
    func compareNeedsSessions() async throws {
        let result = try await onThread { try run([try Tools.mm(), "backtest", "--compare", "--sessions", "/nonexistent", "--out", Fixtures.temporaryPath("bt-none")]) }
        #expect(result.status != 0 && result.output.contains("/nonexistent"), "\(result.output)")
    }

    /// A grid split in two shards, each run on its own, then merged: the table, CSV, heatmap and the
    /// walk-forward report (which sessions picked, which reported) of the whole grid.
    @Test("--sweep in shards, merged, with a walk-forward report")
    func sweepShardsMerge() async throws {
        let dir = Fixtures.temporaryPath("sweep-\(UInt64.random(in: 0 ... .max))")
        let sessions = Fixtures.path("binance_usdm/depth_recordings")
        var jsonl: [String] = []
        for shard in ["0/2", "1/2"] {
            let r = try await onThread {
                try run([
                    try Tools.mm(), "backtest", "--sweep", "strategy.imbalanceTicks=0,120", "--fee-schedule", "mm", "--shard", shard, "--sessions", sessions,
                    "--out", dir, "--order-latency-ms", "5", "--feed-latency-ms", "5",
                ])
            }
            #expect(r.status == 0, "\(r.output)")
            jsonl.append(dir + "/sweep-shard" + shard.replacingOccurrences(of: "/", with: "of") + ".jsonl")
        }
        let files = jsonl
        let merged = try await onThread { try run([try Tools.mm(), "backtest", "--merge", files[0], files[1], "--walk-forward", "--out", dir]) }
        #expect(merged.status == 0, "\(merged.output)")
        #expect(merged.output.contains("strategy.imbalanceTicks=0") && merged.output.contains("strategy.imbalanceTicks=120"), "both shards' points")
        #expect(merged.output.contains("walk-forward (mm fees): picked on btcusdt_20230404+1, btcusdt_20240718+1, ethusdt_20240718+1; reported on btcusdt_20240808, ethusdt_20240808"))
        let csv = try String(contentsOfFile: dir + "/sweep.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 1 + 2 * 5, "a header and a row per point and session")
        let svg = try String(contentsOfFile: dir + "/sweep-heatmap-mm.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("strategy.imbalanceTicks"))
        _ = try? run(["rm", "-rf", dir])
    }

    /// The same fixed-spread quoting in hftbacktest (its risk-averse queue model) and in `mm backtest`, on
    /// the shipped recording with 5 ms order latency and retail fees: the same fills and nearly the same PnL.
    @Test("cross-checked against hftbacktest")
    func crossCheckedAgainstHftbacktest() async throws {
        try Tools.requirePython("hftbacktest", hint: "pip install hftbacktest==2.4.4; .ci/run installs it")
        let mm = try Tools.mm()
        let r = try await onThread {
            try run(["python3", Fixtures.packageRoot + "/scripts/crosscheck_hftbacktest.py", "--mm", mm, "--half-spread-bps", "0.2"])
        }
        #expect(r.status == 0, "\(r.output)")
        let line = try #require(r.output.split(separator: "\n").last { $0.hasPrefix("{") })
        let doc = try JSONValue.parse(Array(line.utf8))
        let mmFills = doc["mm"]?["fills"]?.int64 ?? -1
        let hbFills = doc["hftbacktest"]?["fills"]?.int64 ?? -2
        #expect(mmFills > 0 && abs(mmFills - hbFills) <= 1, "\(r.output)")
        let mmPnL = Double(doc["mm"]?["pnl"]?.text ?? "") ?? .nan
        let hbPnL = Double(doc["hftbacktest"]?["pnl"]?.text ?? "") ?? .nan
        #expect(abs(mmPnL - hbPnL) <= 0.02, "net PnL \(mmPnL) against \(hbPnL)")
    }
}
