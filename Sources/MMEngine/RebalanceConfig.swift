import Foundation
import MMCore
import MMRebalance
import MMVenue

/// The rebalancer's configuration (`configs/rebalance.yaml`): where it trades, its rules, tracking and
/// retry limits. Every problem is reported at once with its key and line; `MM_REBALANCE_<SECTION>_<KEY>`
/// variables override single values.
public struct RebalanceConfig: Sendable, Equatable {
    /// `sim`: the embedded simulated venue; `live`: the account's venue.
    public enum Mode: String, Sendable, CaseIterable {
        case sim
        case live
    }

    /// The spot venues the rebalancer trades on.
    public enum Exchange: String, Sendable, CaseIterable {
        case mexc
        case binanceSpot = "binance-spot"
        public var venue: VenueID { self == .mexc ? .mexc : .binanceSpot }
    }

    public var mode = Mode.sim
    /// Orders are validated by the venue's test endpoint and never placed.
    public var dryRun = false
    public var exchange = Exchange.mexc
    public var symbol = "QRLUSDT"
    /// Account name in the account store (live mode).
    public var account = ""
    /// REST base URL (live mode; default: the venue's).
    public var restURL = ""
    public var rules = RebalanceRules()
    /// Kline interval in Binance's names (`1h`; MEXC's `60m` is accepted and means the same).
    public var klineInterval = "1h"
    public var klineLimit = 100
    public var maxPolls = 30
    public var maxTrackSeconds = 300
    public var retry = RetryPolicy()
    /// The average cost to start from when the store holds none for the symbol.
    public var initialAverageCost = Price.zero
    /// Seconds between runs without `--once`.
    public var intervalSeconds = 3600
    public var metricsEnabled = true
    public var metricsHost = "127.0.0.1"
    public var metricsPort = 9101
    /// Scenario file of the embedded simulated venue (balances, price, filters, kline history).
    public var simScenario = ""
    public var simSeed: UInt64 = 1
    public var simSpeed = 1.0

    public init() {}

    /// Reads and validates a YAML document.
    public static func parse(yaml: String, path: String = "<rebalance config>", environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> RebalanceConfig {
        var probe = ConfigReader(source: ConfigSource(yaml: "", environment: [:], knownKeys: []))
        _ = read(&probe)
        var reader = ConfigReader(source: ConfigSource(yaml: yaml, environment: environment, knownKeys: probe.used, environmentPrefix: "MM_REBALANCE_"))
        let config = read(&reader)
        reader.finish(secretKeys: EngineConfig.secretKeys)
        guard reader.problems.isEmpty else { throw ConfigError(path: path, problems: reader.problems) }
        return config
    }

    /// Reads a file; a missing file is an error naming it.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> RebalanceConfig {
        try parse(yaml: try ConfigError.text(ofFile: path), path: path, environment: environment)
    }

    /// A share written as a fraction (`0.5`) or a percentage (`50%`).
    static func share(_ r: inout ConfigReader, _ key: String, _ fallback: Ratio) -> Ratio {
        let text = r.string(key, "")
        guard !text.isEmpty else { return fallback }
        let percent = text.hasSuffix("%")
        guard let v = try? Ratio(parsing: percent ? String(text.dropLast()).trimmingCharacters(in: .whitespaces) : text) else {
            r.problem(key, "'\(text)' is not a fraction (0.5) or a percentage (50%)")
            return fallback
        }
        let value = percent ? Ratio(raw: v.raw / 100) : v
        guard value.raw >= 0 && value.raw <= FixedPointScale.unit else {
            r.problem(key, "'\(text)' is outside 0 … 1 (0 % … 100 %)")
            return fallback
        }
        return value
    }

    private static func read(_ r: inout ConfigReader) -> RebalanceConfig {
        var c = RebalanceConfig()
        c.mode = r.choice("venue", .sim)
        c.dryRun = r.bool("dryRun", c.mode != .sim)
        c.exchange = r.choice("exchange", .mexc)
        c.symbol = r.string("symbol", c.exchange == .mexc ? "QRLUSDT" : "BTCUSDT") { Symbol($0) == nil ? "not a symbol" : nil }
        c.account = r.string("account", "")
        c.restURL = r.string("restUrl", "") { $0.isEmpty || $0.hasPrefix("http://") || $0.hasPrefix("https://") ? nil : "not an http(s) URL" }
        c.rules.targetRatio = share(&r, "rules.targetRatio", c.rules.targetRatio)
        c.rules.threshold = share(&r, "rules.threshold", c.rules.threshold)
        c.rules.shortAverage = r.int("rules.shortAverage", 7, 1...500)
        c.rules.longAverage = r.int("rules.longAverage", 25, 2...1000)
        if c.rules.shortAverage >= c.rules.longAverage {
            r.problem("rules.shortAverage", "\(c.rules.shortAverage) must be shorter than rules.longAverage (\(c.rules.longAverage))")
        }
        c.rules.priceOffset = share(&r, "rules.priceOffset", c.rules.priceOffset)
        c.rules.feeBuffer = share(&r, "rules.feeBuffer", c.rules.feeBuffer)
        let interval = r.string("klines.interval", "1h") { ["1m", "5m", "15m", "30m", "1h", "60m", "4h", "1d"].contains($0) ? nil : "not one of 1m, 5m, 15m, 30m, 1h (60m), 4h, 1d" }
        c.klineInterval = interval == "60m" ? "1h" : interval
        c.klineLimit = r.int("klines.limit", 100, 2...1000)
        if c.klineLimit < c.rules.longAverage { r.problem("klines.limit", "\(c.klineLimit) klines cannot make MA\(c.rules.longAverage)") }
        c.maxPolls = r.int("tracking.maxPolls", 30, 1...1000)
        c.maxTrackSeconds = r.int("tracking.maxSeconds", 300, 1...86_400)
        c.retry.maxAttempts = r.int("retry.maxAttempts", 3, 1...10)
        c.retry.baseDelayMillis = Int64(r.int("retry.baseDelayMs", 1000, 1...600_000))
        c.retry.rateLimitFloorMillis = Int64(r.int("retry.rateLimitFloorMs", 5000, 0...600_000))
        c.initialAverageCost = r.decimal("position.averageCost", Price.zero, positive: false)
        c.intervalSeconds = r.int("schedule.intervalSeconds", 3600, 1...604_800)
        c.metricsEnabled = r.bool("metrics.enabled", true)
        c.metricsHost = r.string("metrics.host", "127.0.0.1")
        c.metricsPort = r.int("metrics.port", 9101, 0...65535)
        c.simScenario = r.string("sim.scenario", "")
        c.simSeed = UInt64(r.int("sim.seed", 1, 0...Int(Int32.max)))
        c.simSpeed = r.double("sim.speed", 1, 0.01...10_000)
        if c.mode == .live && c.account.isEmpty { r.problem("account", "a live venue needs the account's name (see mm accounts list)") }
        return c
    }
}
