import ArgumentParser
import Foundation
import MMBacktest
import MMCore
import MMEngine
import MMExecution
import MMRisk
import MMSim
import MMStrategy

#if canImport(Glibc)
import Glibc
#endif

/// `mm backtest`: the engine's strategy, reconciler and risk gate over recorded market data.
struct Backtest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Backtest the configured strategy on recorded Binance USDⓈ-M data.",
        discussion: """
            Replays a recording (hftbacktest format: depth, bookTicker and trades; several files of one session \
            are merged) through the same quoting model, QuoteReconciler and RiskGate as `mm run`, against the \
            simulated venue's matching: exchange filters, post-only (GTX), queue position behind the displayed size \
            (a resting order fills only once the size ahead of it has traded or been cancelled), maker/taker fees. \
            Writes a JSON report and an SVG chart (mid, quotes, fills, inventory, PnL) per symbol to --out, and \
            prints each report as a JSON line. With --compare: the configured model against a symmetric \
            fixed-spread baseline on each of the five recorded sessions, as a table.
            """
    )

    @Argument(help: "Recording files of one session (default: the shipped BTCUSDT recording).")
    var files: [String] = []

    @Option(help: "Configuration file for the strategy and risk limits (default: configs/config.yaml when present).")
    var config: String?

    @Option(help: "Directory for the reports and charts.")
    var out = "."

    @Option(help: "Exchange → strategy latency, milliseconds (market data and order reports).")
    var feedLatencyMs = 0.0

    @Option(help: "Strategy → exchange latency, milliseconds (each way).")
    var orderLatencyMs = 0.0

    @Option(help: "Maker fee in basis points.")
    var makerFeeBps = 2.0

    @Option(help: "Taker fee in basis points.")
    var takerFeeBps = 5.0

    @Flag(help: "Compare the configured model with a symmetric fixed-spread baseline on the five recorded sessions, at both fee schedules.")
    var compare = false

    @Option(help: "Sweep a configuration key over values on the recorded sessions: key=v1,v2,… (repeat for a grid), e.g. strategy.imbalanceTicks=5,15,30.")
    var sweep: [String] = []

    @Option(help: "Run only this part of the sweep's grid: i/N (points i, i+N, …), for spreading a grid over machines.")
    var shard: String?

    @Option(parsing: .upToNextOption, help: "Merge sweep shards' JSONL files and report them as one sweep (no backtests run).")
    var merge: [String] = []

    @Flag(name: .customLong("walk-forward"), help: "With --sweep: pick the best point on the earlier sessions and report it on the held-back ones.")
    var walkForward = false

    @Option(name: .customLong("fee-schedule"), help: "Fee schedules of --compare and --sweep: retail (maker 2, taker 5 bps), mm (maker −0.5, taker 7 bps) or both.")
    var feeSchedule = "both"

    @Option(help: "Directory of the recorded sessions for --compare.")
    var sessions = "../shared/fixtures/binance_usdm/depth_recordings"

    func run() async throws {
        let path = config ?? (FileManager.default.fileExists(atPath: "configs/config.yaml") ? "configs/config.yaml" : nil)
        let engineConfig: EngineConfig
        do { engineConfig = try path.map { try EngineConfig.load(path: $0) } ?? EngineConfig.parse(yaml: "") } catch {
            printError("mm backtest: \(error)")
            throw ExitCode(2)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for w in engineConfig.warnings { printError("mm backtest: warning: \(w)") }
        if !merge.isEmpty {
            var rows: [SweepRow] = []
            for file in merge {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("--merge: cannot read \(file)") }
                rows += text.split(separator: "\n").compactMap { SweepRow(json: String($0)) }
            }
            try report(rows)
            return
        }
        if !sweep.isEmpty {
            guard FileManager.default.fileExists(atPath: sessions) else {
                throw ValidationError("--sweep needs the recorded sessions: \(sessions) does not exist (give --sessions DIR)")
            }
            let yaml = try path.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            try runSweep(yaml, path: path ?? "<defaults>")
            return
        }
        if compare {
            try runComparison(engineConfig)
            return
        }
        let paths = files.isEmpty ? [try shippedRecording()] : files
        let name = Self.sessionName(paths)
        for script in try MarketScript.load(paths: paths) {
            let run = try backtest(script, engineConfig, model: engineConfig.strategy.model, session: name)
            print(run.json)
            printError("mm backtest: \(name) \(script.instrument.symbol): report \(run.reportPath), chart \(run.chartPath)")
        }
    }

    struct Run {
        var result: BacktestResult
        var json: String
        var reportPath: String
        var chartPath: String
        var cpuSeconds: Double
    }

    /// The settings and model a backtest of `c` uses on `script`: a size the venue accepts, the latencies and
    /// fees, the signals' settings.
    static func prepare(
        _ script: MarketScript, _ c: EngineConfig, model: String, symmetric: Bool, feedLatencyMs: Double, orderLatencyMs: Double, makerBps: Double,
        takerBps: Double
    ) -> (settings: BacktestSettings, quoter: QuoterModel, strategy: EngineConfig.StrategySettings) {
        let instrument = script.instrument
        var strategy = c.strategy
        strategy.model = symmetric ? "fixed" : model
        if symmetric {
            // The classic quoter: symmetric, and as configured whatever the fees.
            strategy.skewBps = 0
            strategy.allowNegativeEdge = true
        }
        // A size the venue accepts on this symbol: the configured one, or the smallest above min notional.
        let mid = script.snapshot.bids.first.map(\.price) ?? .zero
        if let m = Self.minimumSize(instrument, price: mid), m > strategy.baseSize { strategy.baseSize = m }
        var limits = c.risk.limits
        limits.maxNetPosition = max(limits.maxNetPosition, Quantity(raw: strategy.baseSize.raw * 3))
        var settings = BacktestSettings(
            limits: limits,
            reconciler: QuoteReconciler(tickSize: instrument.tickSize, priceToleranceTicks: strategy.repriceToleranceTicks, useModify: strategy.useModify))
        settings.quoteIntervalNanos = Int64(c.quoteIntervalMillis) * 1_000_000
        settings.feedLatencyNanos = Int64(feedLatencyMs * 1e6)
        settings.orderLatencyNanos = Int64(orderLatencyMs * 1e6)
        settings.makerFee = Ratio(raw: Int64((makerBps * 10_000).rounded()))
        settings.takerFee = Ratio(raw: Int64((takerBps * 10_000).rounded()))
        settings.signalLevels = strategy.imbalanceLevels
        settings.flowHalfLifeSeconds = strategy.flowHalfLifeSeconds
        let quoter = Engine.model(strategy, fees: EngineConfig.FeeSettings(makerBps: makerBps, takerBps: takerBps), instrument: instrument, maxPosition: limits.maxNetPosition)
        return (settings, quoter, strategy)
    }

    /// A backtest of the configured model (or the symmetric baseline) without reports or progress.
    static func simulate(
        _ script: MarketScript, _ c: EngineConfig, model: String? = nil, symmetric: Bool = false, feedLatencyMs: Double, orderLatencyMs: Double,
        makerBps: Double, takerBps: Double
    ) -> BacktestResult {
        let p = prepare(
            script, c, model: model ?? c.strategy.model, symmetric: symmetric, feedLatencyMs: feedLatencyMs, orderLatencyMs: orderLatencyMs, makerBps: makerBps,
            takerBps: takerBps)
        var bt = Backtester(script: script, model: p.quoter, settings: p.settings)
        return bt.run()
    }

    /// One model over one symbol's script: the report and chart written, the result returned.
    func backtest(
        _ script: MarketScript, _ c: EngineConfig, model: String, symmetric: Bool = false, session: String, loadCPU: Double = 0, makerBps: Double? = nil,
        takerBps: Double? = nil
    ) throws -> Run {
        let started = cpuSeconds()
        let instrument = script.instrument
        let maker = makerBps ?? makerFeeBps
        let taker = takerBps ?? takerFeeBps
        let (settings, quoter, strategy) = Self.prepare(
            script, c, model: model, symmetric: symmetric, feedLatencyMs: feedLatencyMs, orderLatencyMs: orderLatencyMs, makerBps: maker, takerBps: taker)
        let limits = settings.limits
        var bt = Backtester(script: script, model: quoter, settings: settings)
        let bar = ProgressBar(label: "\(session) \(instrument.symbol) \(symmetric ? "baseline" : model)")
        let result = bt.run(progress: bar.update)
        bar.finish()
        let cpu = cpuSeconds() - started + loadCPU
        let label = symmetric ? "fixed-symmetric" : model
        let feeTag = makerBps == nil ? "" : "-maker\(maker)"
        let base = "\(out)/backtest-\(session)-\(instrument.symbol)-\(label)\(feeTag)"
        var json = result.json(session: session, model: label, cpuSeconds: cpu)
        json.removeLast()
        json += ",\"base_size\":\"\(strategy.baseSize)\",\"net_max\":\"\(limits.maxNetPosition)\",\"feed_latency_ms\":\(feedLatencyMs),\"order_latency_ms\":\(orderLatencyMs),\"maker_fee_bps\":\(maker),\"taker_fee_bps\":\(taker)}"
        try json.write(toFile: base + ".json", atomically: true, encoding: .utf8)
        try BacktestChart.svg(result, title: "\(instrument.symbol) \(session) — \(label): PnL \(result.pnl), \(result.fills.count) fills")
            .write(toFile: base + ".svg", atomically: true, encoding: .utf8)
        return Run(result: result, json: json, reportPath: base + ".json", chartPath: base + ".svg", cpuSeconds: cpu)
    }

    /// The five recorded sessions (files of one session are replayed together).
    static let recordedSessions = [
        ["btcusdt_20230404.dat.gz", "btcusdt_20230405.dat.gz"], ["btcusdt_20240718.gz", "btcusdt_20240719.gz"],
        ["ethusdt_20240718.gz", "ethusdt_20240719.gz"], ["btcusdt_20240808.gz"], ["ethusdt_20240808.gz"],
    ]

    func runComparison(_ c: EngineConfig) throws {
        guard FileManager.default.fileExists(atPath: sessions) else {
            throw ValidationError("--compare needs the recorded sessions: \(sessions) does not exist (give --sessions DIR)")
        }
        let model = c.strategy.model
        // The configured model, the one with signals (alpha) when that is not it, and the symmetric baseline.
        let models = (model == "alpha" ? [model] : [model, "alpha"]).map { ($0, false) } + [("fixed", true)]
        let schedules = feeSchedule == "both" ? FeeSchedule.allCases : [FeeSchedule(rawValue: feeSchedule)].compactMap { $0 }
        guard !schedules.isEmpty else { throw ValidationError("--fee-schedule \(feeSchedule): retail, mm or both") }
        var rows: [[String]] = []
        var lines: [String] = []
        for files in Self.recordedSessions {
            let paths = files.map { "\(sessions)/hftbacktest_usdm_\($0)" }
            let name = Self.sessionName(paths)
            let loadStart = cpuSeconds()
            let scripts = try MarketScript.load(paths: paths)
            let load = cpuSeconds() - loadStart
            for script in scripts {
                for schedule in schedules {
                    for (m, symmetric) in models {
                        let (maker, taker) = schedule.bps
                        let run = try backtest(script, c, model: m, symmetric: symmetric, session: name, loadCPU: load, makerBps: maker, takerBps: taker)
                        let r = run.result
                        lines.append(run.json)
                        rows.append([
                            name, schedule.rawValue, symmetric ? "fixed-symmetric" : m, String(format: "%.1f", Double(r.durationNanos) / 6e10),
                            r.pnl.formatted(minFractionDigits: 2), r.fees.formatted(minFractionDigits: 2), "\(r.fills.count)",
                            String(format: "%.0f%%", r.makerShare * 100), r.maxAbsPosition.description, String(format: "%.2f", r.sharpePerHour),
                            r.maxDrawdown.formatted(minFractionDigits: 2), String(format: "%.2f", run.cpuSeconds),
                        ])
                    }
                }
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: "\(out)/backtest-compare.jsonl", atomically: true, encoding: .utf8)
        let header = ["session", "fees", "model", "minutes", "pnl_net", "fees_paid", "fills", "maker", "max_inv", "sharpe/h", "max_dd", "cpu_s"]
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i < 3 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - c.count) + c }
                .joined(separator: "  ")
        }
        print(line(header))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for r in rows { print(line(r)) }
        printError("mm backtest: reports, charts and backtest-compare.jsonl in \(out)")
    }

    static func sessionName(_ paths: [String]) -> String {
        let names = paths.map { ($0 as NSString).lastPathComponent.replacingOccurrences(of: "hftbacktest_usdm_", with: "") }
        let first = names.first.map { String($0.prefix { $0 != "." }) } ?? "session"
        return names.count > 1 ? first + "+\(names.count - 1)" : first
    }

    /// The smallest quantity on the step grid whose notional at `price` meets the venue's minimum (with 10 %
    /// room for the price to move).
    static func minimumSize(_ i: Instrument, price: Price) -> Quantity? {
        guard price.raw > 0, i.minNotional.raw > 0 else { return nil }
        let needed = Double(i.minNotional.raw) * 1.1 / Double(price.raw)
        let steps = (needed / (Double(i.stepSize.raw) / 1e8)).rounded(.up)
        return Quantity(raw: Int64(steps) * i.stepSize.raw)
    }
}

/// Process CPU time, seconds.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A one-line progress bar on stderr when it is a terminal; silent otherwise.
final class ProgressBar: Sendable {
    let label: String
    let enabled = isatty(2) != 0
    init(label: String) { self.label = label }

    func update(_ fraction: Double) {
        guard enabled else { return }
        let filled = Int(fraction * 30)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: 30 - filled)
        printError("\r\(label) \(bar) \(Int(fraction * 100))%", terminator: "")
    }

    func finish() { if enabled { printError("\r\u{1B}[2K", terminator: "") } }
}
