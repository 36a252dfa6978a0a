import Foundation
import MMBinance
import MMCore
import MMRisk

/// Where the engine trades.
public enum VenueKind: String, Sendable, CaseIterable {
    /// The embedded simulated venue (default): real wire protocol on loopback, replayed real market data.
    case sim
    case binance
    case binanceTestnet = "binance-testnet"
}

/// The engine's configuration (`configs/config.yaml`), validated. Money and sizes are exact fixed point,
/// read from the YAML text without floating point.
public struct EngineConfig: Sendable {
    public var venue: VenueKind = .sim
    /// Send nothing. Defaults to true for real venues; live trading also needs `--live`.
    public var dryRun = false
    public var symbol = "BTCUSDT"
    public var quoteIntervalMillis = 250
    /// Requote before the next tick when the mid moves this far (0: off).
    public var requoteOnMoveBps = 0.0
    public var strategy = StrategySettings()
    public var risk = RiskSettings()
    public var fees = FeeSettings()
    public var gateway = GatewaySettings()
    public var sim = SimSettings()
    public var endpoints = EndpointSettings()
    public var journalPath: String? = "state/journal.jsonl"
    /// When the journal reaches the disk: right after each batch's requests are written (`batch`), before
    /// they leave (`write-ahead`), or at halts and shutdown (`halt`).
    public var journalSync = JournalSync.batch
    /// Held as the CPU wake-up latency (µs) while the engine runs (Linux `/dev/cpu_dma_latency`, needs root);
    /// -1: left as it is.
    public var cpuDmaLatencyMicros = -1
    /// Seconds between status lines.
    public var statusIntervalSeconds = 5.0
    /// `/metrics` and `/health` (port 0: any free port; `enabled: false`: none).
    public var metricsEnabled = true
    public var metricsHost = "0.0.0.0"
    public var metricsPort = 9100
    /// The control endpoint: loopback only, token from `MM_CONTROL_TOKEN`.
    public var controlEnabled = true
    public var controlHost = "127.0.0.1"
    public var controlPort = 9101
    /// Log level (trace … critical) and the file error lines also go to ("" for none).
    public var logLevel = "info"
    public var errorLogPath = "state/errors.log"

    public struct StrategySettings: Sendable {
        public var model = "fixed"
        public var baseSize = Quantity(raw: 200_000)
        public var levels = 1
        public var levelSpacingTicks: Int64 = 10
        public var halfSpreadBps = 0.5
        public var skewBps = 1.0
        public var gamma = 0.1
        public var kappa = 1.5
        public var arrivalRate = 1.0
        public var horizonSeconds = 60.0
        public var volatilityHalfLifeSeconds = 30.0
        public var initialVolatilityTicks = 1.0
        public var minHalfSpreadTicks = 1.0
        public var repriceToleranceTicks: Int64 = 2
        public var useModify = false
        /// Where ticks run: `own` (a thread of the strategy's own, woken by its deadline) or `gateway` (on the
        /// gateway's event loop: no cross-thread wake between a tick and its orders).
        public var thread = "own"
        /// alpha: fair-value shift per unit of book imbalance and of trade flow, ticks; share of the
        /// microprice's distance from the mid.
        public var imbalanceTicks = 0.0
        public var flowTicks = 0.0
        public var micropriceWeight = 0.0
        /// Levels per side the imbalance reads; half-life of the trade-flow weights.
        public var imbalanceLevels = 5
        public var flowHalfLifeSeconds = 5.0
        /// Edge a round trip must make beyond its maker fees, basis points; or quote regardless.
        public var minEdgeBps = 0.0
        /// Maker fees each side keeps from the fair value when the fee is a cost (1: just the fee).
        public var feeCoverage = 1.0
        public var allowNegativeEdge = false
    }

    /// The venue's fees for this account, basis points of notional (negative: a rebate).
    public struct FeeSettings: Sendable {
        public var makerBps = 2.0
        public var takerBps = 5.0
        public init(makerBps: Double = 2.0, takerBps: Double = 5.0) {
            self.makerBps = makerBps
            self.takerBps = takerBps
        }
    }

    public struct RiskSettings: Sendable {
        public var netMax = Quantity(raw: 1_000_000)
        public var dailyMax = Notional(units: 50)
        public var stopLoss = Notional(units: -100)
        public var maxDrawdown = Notional(units: 80)
        public var maxOrderNotional = Notional(units: 1000)
        public var priceBandBps: Int64 = 100
        public var maxBookAgeMillis: Int64 = 2000
        public var maxUserStreamAgeMillis: Int64 = 60_000
        public var maxOrdersPerSecond = 10
        public var maxOpenOrders = 10
        public var flattenOnHalt = false
        /// Where `stopLoss` counts from (UTC midnight of a date, ms); nil: the journal's first day.
        public var stopLossSinceMillis: Int64?

        /// The risk gate's limits these settings name.
        public var limits: RiskLimits {
            RiskLimits(
                maxOrderNotional: maxOrderNotional, maxNetPosition: netMax, dailyLossLimit: dailyMax, stopLoss: stopLoss,
                maxDrawdown: maxDrawdown, priceBandBps: priceBandBps, maxBookAgeMillis: maxBookAgeMillis,
                maxUserStreamAgeMillis: maxUserStreamAgeMillis, maxOrdersPerSecond: maxOrdersPerSecond, maxOpenOrders: maxOpenOrders)
        }
    }

    public struct GatewaySettings: Sendable {
        public var recvWindowMillis: Int64 = 5000
        public var heartbeatSeconds = 10
        public var listenKeyKeepaliveSeconds = 1800
        public var clientIDPrefix = "mmq"
        public var webSocketAPI = true
        /// Leverage and margin type set at start (nil: left as the account has them).
        public var leverage: Int?
        public var marginType: String?
        /// An order request unanswered this long is an unknown outcome, resolved by a query.
        public var orderTimeoutMillis: Int64 = 6000
    }

    public struct SimSettings: Sendable {
        /// Empty: the shipped recording of the symbol's base asset (ETHUSDC replays the ETHUSDT book).
        public var recording = ""
        public var speed = 1.0
        public var balance = Notional(units: 10_000)
        public var faults = ""
        /// A seeded random-walk market instead of the recording.
        public var synthetic = false
        public var seed: UInt64 = 1
        /// The simulated account's fees, basis points (negative: a rebate).
        public var makerFeeBps = 2.0
        public var takerFeeBps = 5.0
        /// Start the replay this many seconds into the recording.
        public var startAtSeconds = 0.0
    }

    public struct EndpointSettings: Sendable {
        public var restURL = ""
        public var streamURL = ""
        public var webSocketAPIURL = ""
        public var userStreamURL = ""
        public var depthStream = "@depth@100ms"
        /// Extra trusted CA certificates (PEM) for the venue's TLS endpoints.
        public var trustedCAFile = ""
    }

    public init() {}

    /// Key names that would hold credentials: refused in files.
    static let secretKeys: Set<String> = ["apikey", "apisecret", "secret", "secretkey", "privatekey", "api_key", "api_secret", "key"]

    /// Every key the configuration has, in schema order.
    public static let schemaKeys: [String] = {
        var probe = ConfigReader(source: ConfigSource(yaml: "", environment: [:], knownKeys: []))
        _ = read(&probe)
        return probe.used
    }()

    /// Every key's value as text (for reload: what changed).
    public var values: [String: String] {
        let s = strategy
        let k = risk
        let g = gateway
        let m = sim
        let e = endpoints
        return [
            "venue": venue.rawValue, "dryRun": "\(dryRun)", "symbol": symbol, "quoteIntervalMs": "\(quoteIntervalMillis)",
            "requoteOnMoveBps": "\(requoteOnMoveBps)", "statusIntervalSeconds": "\(statusIntervalSeconds)", "metrics.enabled": "\(metricsEnabled)",
            "metrics.host": metricsHost, "metrics.port": "\(metricsPort)", "control.enabled": "\(controlEnabled)", "control.host": controlHost,
            "control.port": "\(controlPort)", "logging.level": logLevel, "logging.errorFile": errorLogPath, "journal.path": journalPath ?? "",
            "journal.sync": journalSync.rawValue, "tuning.cpuDmaLatencyUs": "\(cpuDmaLatencyMicros)",
            "strategy.model": s.model, "strategy.baseSize": s.baseSize.description, "strategy.levels": "\(s.levels)",
            "strategy.levelSpacingTicks": "\(s.levelSpacingTicks)", "strategy.halfSpreadBps": "\(s.halfSpreadBps)", "strategy.skewBps": "\(s.skewBps)",
            "strategy.gamma": "\(s.gamma)", "strategy.kappa": "\(s.kappa)", "strategy.arrivalRate": "\(s.arrivalRate)",
            "strategy.horizonSeconds": "\(s.horizonSeconds)", "strategy.volatilityHalfLifeSeconds": "\(s.volatilityHalfLifeSeconds)",
            "strategy.initialVolatilityTicks": "\(s.initialVolatilityTicks)", "strategy.minHalfSpreadTicks": "\(s.minHalfSpreadTicks)",
            "strategy.repriceToleranceTicks": "\(s.repriceToleranceTicks)", "strategy.useModify": "\(s.useModify)", "strategy.thread": s.thread,
            "strategy.imbalanceTicks": "\(s.imbalanceTicks)", "strategy.flowTicks": "\(s.flowTicks)", "strategy.micropriceWeight": "\(s.micropriceWeight)",
            "strategy.imbalanceLevels": "\(s.imbalanceLevels)", "strategy.flowHalfLifeSeconds": "\(s.flowHalfLifeSeconds)",
            "strategy.minEdgeBps": "\(s.minEdgeBps)", "strategy.feeCoverage": "\(s.feeCoverage)", "strategy.allowNegativeEdge": "\(s.allowNegativeEdge)",
            "fees.makerBps": "\(fees.makerBps)", "fees.takerBps": "\(fees.takerBps)",
            "risk.netMax": k.netMax.description, "risk.dailyMax": k.dailyMax.description, "risk.stopLoss": k.stopLoss.description,
            "risk.maxDrawdown": k.maxDrawdown.description, "risk.maxOrderNotional": k.maxOrderNotional.description,
            "risk.priceBandBps": "\(k.priceBandBps)", "risk.maxBookAgeMs": "\(k.maxBookAgeMillis)", "risk.maxUserStreamAgeMs": "\(k.maxUserStreamAgeMillis)",
            "risk.maxOrdersPerSecond": "\(k.maxOrdersPerSecond)", "risk.maxOpenOrders": "\(k.maxOpenOrders)", "risk.flattenOnHalt": "\(k.flattenOnHalt)",
            "risk.stopLossSince": k.stopLossSinceMillis.map { "\($0)" } ?? "",
            "gateway.recvWindowMs": "\(g.recvWindowMillis)", "gateway.heartbeatSeconds": "\(g.heartbeatSeconds)",
            "gateway.listenKeyKeepaliveSeconds": "\(g.listenKeyKeepaliveSeconds)", "gateway.clientIdPrefix": g.clientIDPrefix,
            "gateway.webSocketApi": "\(g.webSocketAPI)", "gateway.leverage": g.leverage.map { "\($0)" } ?? "", "gateway.marginType": g.marginType ?? "",
            "gateway.orderTimeoutMs": "\(g.orderTimeoutMillis)",
            "sim.recording": m.recording, "sim.speed": "\(m.speed)", "sim.balance": m.balance.description, "sim.faults": m.faults,
            "sim.synthetic": "\(m.synthetic)", "sim.seed": "\(m.seed)", "sim.makerFeeBps": "\(m.makerFeeBps)", "sim.takerFeeBps": "\(m.takerFeeBps)",
            "sim.startAtSeconds": "\(m.startAtSeconds)",
            "binance.restUrl": e.restURL, "binance.streamUrl": e.streamURL, "binance.wsApiUrl": e.webSocketAPIURL, "binance.userStreamUrl": e.userStreamURL,
            "binance.depthStream": e.depthStream, "binance.trustedCaFile": e.trustedCAFile,
        ]
    }

    /// What is valid but probably not meant: quotes that cannot pay their fees.
    public var warnings: [String] {
        var out: [String] = []
        let s = strategy
        let floorBps = (fees.makerBps > 0 ? fees.makerBps * s.feeCoverage : fees.makerBps) + s.minEdgeBps / 2
        if s.allowNegativeEdge {
            if s.model == "fixed" && s.halfSpreadBps < floorBps {
                out.append(
                    "strategy.halfSpreadBps \(s.halfSpreadBps) with fees.makerBps \(fees.makerBps) and strategy.allowNegativeEdge: every round trip at the configured spread loses \(String(format: "%.2f", 2 * (floorBps - s.halfSpreadBps))) bps before any price move")
            }
        } else if s.model == "fixed" && s.halfSpreadBps < floorBps {
            out.append(
                "strategy.halfSpreadBps \(s.halfSpreadBps) cannot cover fees.makerBps \(fees.makerBps)\(s.minEdgeBps > 0 ? " plus half of strategy.minEdgeBps \(s.minEdgeBps)" : ""): quotes will sit \(String(format: "%.2f", floorBps)) bps from the fair value instead (set strategy.allowNegativeEdge: true to quote as configured)")
        }
        return out
    }

    /// Reads and validates a YAML document; every problem is reported at once.
    public static func parse(yaml: String, path: String = "<config>", environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> EngineConfig {
        var keysProbe = ConfigReader(source: ConfigSource(yaml: "", environment: [:], knownKeys: []))
        _ = read(&keysProbe)
        let source = ConfigSource(yaml: yaml, environment: environment, knownKeys: keysProbe.used)
        var reader = ConfigReader(source: source)
        let config = read(&reader)
        reader.finish(secretKeys: secretKeys)
        guard reader.problems.isEmpty else { throw ConfigError(path: path, problems: reader.problems) }
        return config
    }

    /// Reads a file; a missing file is an error naming it.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> EngineConfig {
        try parse(yaml: try ConfigError.text(ofFile: path), path: path, environment: environment)
    }

    private static func read(_ r: inout ConfigReader) -> EngineConfig {
        var c = EngineConfig()
        c.venue = r.choice("venue", .sim)
        c.dryRun = r.bool("dryRun", c.venue != .sim)
        c.symbol = r.string("symbol", c.symbol) { Symbol($0) == nil ? "not a symbol" : nil }
        c.quoteIntervalMillis = r.int("quoteIntervalMs", 250, 10...60_000)
        c.requoteOnMoveBps = r.double("requoteOnMoveBps", 0, 0...10_000)
        c.statusIntervalSeconds = r.double("statusIntervalSeconds", 5, 0.1...3600)
        c.metricsEnabled = r.bool("metrics.enabled", true)
        c.metricsHost = r.string("metrics.host", "0.0.0.0")
        c.metricsPort = r.int("metrics.port", 9100, 0...65535)
        c.controlEnabled = r.bool("control.enabled", true)
        c.controlHost = r.string("control.host", "127.0.0.1") {
            ["127.0.0.1", "::1", "localhost"].contains($0) ? nil : "the control endpoint listens on loopback only (127.0.0.1 or ::1)"
        }
        c.controlPort = r.int("control.port", 9101, 0...65535)
        c.logLevel = r.string("logging.level", "info") {
            ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains($0) ? nil : "expected trace, debug, info, notice, warning, error or critical"
        }
        c.errorLogPath = r.string("logging.errorFile", "state/errors.log")
        let journal = r.string("journal.path", "state/journal.jsonl")
        c.journalPath = journal.isEmpty ? nil : journal
        c.journalSync = JournalSync(rawValue: r.string("journal.sync", "batch") { JournalSync(rawValue: $0) == nil ? "expected batch, write-ahead or halt" : nil }) ?? .batch
        c.cpuDmaLatencyMicros = r.int("tuning.cpuDmaLatencyUs", -1, -1...10_000)

        var s = StrategySettings()
        s.model = r.string("strategy.model", "fixed") { ["fixed", "avellaneda-stoikov", "glft", "alpha"].contains($0) ? nil : "expected fixed, avellaneda-stoikov, glft or alpha" }
        s.baseSize = r.decimal("strategy.baseSize", s.baseSize, positive: true)
        s.levels = r.int("strategy.levels", 1, 1...8)
        s.levelSpacingTicks = Int64(r.int("strategy.levelSpacingTicks", 10, 1...100_000))
        s.halfSpreadBps = r.double("strategy.halfSpreadBps", s.halfSpreadBps, 0...10_000)
        s.skewBps = r.double("strategy.skewBps", s.skewBps, 0...10_000)
        s.gamma = r.double("strategy.gamma", s.gamma, 1e-9...1e9)
        s.kappa = r.double("strategy.kappa", s.kappa, 1e-9...1e9)
        s.arrivalRate = r.double("strategy.arrivalRate", s.arrivalRate, 1e-9...1e9)
        s.horizonSeconds = r.double("strategy.horizonSeconds", s.horizonSeconds, 0...1e7)
        s.volatilityHalfLifeSeconds = r.double("strategy.volatilityHalfLifeSeconds", s.volatilityHalfLifeSeconds, 0.01...1e7)
        s.initialVolatilityTicks = r.double("strategy.initialVolatilityTicks", s.initialVolatilityTicks, 0...1e9)
        s.minHalfSpreadTicks = r.double("strategy.minHalfSpreadTicks", s.minHalfSpreadTicks, 0...1e9)
        s.repriceToleranceTicks = Int64(r.int("strategy.repriceToleranceTicks", 2, 0...100_000))
        s.useModify = r.bool("strategy.useModify", false)
        s.thread = r.string("strategy.thread", "own") { ["own", "gateway"].contains($0) ? nil : "expected own or gateway" }
        s.imbalanceTicks = r.double("strategy.imbalanceTicks", s.imbalanceTicks, -1e6...1e6)
        s.flowTicks = r.double("strategy.flowTicks", s.flowTicks, -1e6...1e6)
        s.micropriceWeight = r.double("strategy.micropriceWeight", s.micropriceWeight, 0...1)
        s.imbalanceLevels = r.int("strategy.imbalanceLevels", s.imbalanceLevels, 1...50)
        s.flowHalfLifeSeconds = r.double("strategy.flowHalfLifeSeconds", s.flowHalfLifeSeconds, 0.01...1e6)
        s.minEdgeBps = r.double("strategy.minEdgeBps", s.minEdgeBps, 0...10_000)
        s.feeCoverage = r.double("strategy.feeCoverage", s.feeCoverage, 1...100)
        s.allowNegativeEdge = r.bool("strategy.allowNegativeEdge", false)
        c.fees.makerBps = r.double("fees.makerBps", c.fees.makerBps, -100...100)
        c.fees.takerBps = r.double("fees.takerBps", c.fees.takerBps, -100...100)
        c.strategy = s

        var k = RiskSettings()
        k.netMax = r.decimal("risk.netMax", k.netMax, positive: true)
        k.dailyMax = r.decimal("risk.dailyMax", k.dailyMax, positive: true)
        k.stopLoss = r.decimal("risk.stopLoss", k.stopLoss, positive: false)
        if k.stopLoss.raw >= 0 { r.problem("risk.stopLoss", "must be negative (a loss), e.g. -10") }
        k.maxDrawdown = r.decimal("risk.maxDrawdown", k.maxDrawdown, positive: true)
        k.maxOrderNotional = r.decimal("risk.maxOrderNotional", k.maxOrderNotional, positive: true)
        k.priceBandBps = Int64(r.int("risk.priceBandBps", 100, 1...10_000))
        k.maxBookAgeMillis = Int64(r.int("risk.maxBookAgeMs", 2000, 1...3_600_000))
        k.maxUserStreamAgeMillis = Int64(r.int("risk.maxUserStreamAgeMs", 60_000, 1...3_600_000))
        k.maxOrdersPerSecond = r.int("risk.maxOrdersPerSecond", 10, 1...10_000)
        k.maxOpenOrders = r.int("risk.maxOpenOrders", 10, 1...200)
        k.flattenOnHalt = r.bool("risk.flattenOnHalt", false)
        let since = r.string("risk.stopLossSince", "") { $0.isEmpty || EngineConfig.utcDayMillis($0) != nil ? nil : "expected a date, YYYY-MM-DD (UTC)" }
        k.stopLossSinceMillis = EngineConfig.utcDayMillis(since)
        if s.baseSize > k.netMax { r.problem("strategy.baseSize", "is larger than risk.netMax (\(k.netMax)): no quote could ever be placed") }
        c.risk = k

        var g = GatewaySettings()
        g.recvWindowMillis = Int64(r.int("gateway.recvWindowMs", 5000, 1...60_000))
        g.heartbeatSeconds = r.int("gateway.heartbeatSeconds", 10, 0...3600)
        g.listenKeyKeepaliveSeconds = r.int("gateway.listenKeyKeepaliveSeconds", 1800, 1...3600)
        g.clientIDPrefix = r.string("gateway.clientIdPrefix", "mmq") {
            $0.count <= 8 && ClientOrderID($0) != nil && !$0.contains("-") ? nil : "1–8 characters of [A-Za-z0-9._:/], no '-'"
        }
        g.webSocketAPI = r.bool("gateway.webSocketApi", true)
        let leverage = r.int("gateway.leverage", 0, 0...125)
        g.leverage = leverage == 0 ? nil : leverage
        let margin = r.string("gateway.marginType", "") { ["", "isolated", "crossed"].contains($0.lowercased()) ? nil : "expected isolated or crossed" }
        g.marginType = margin.isEmpty ? nil : margin.uppercased()
        g.orderTimeoutMillis = Int64(r.int("gateway.orderTimeoutMs", 6000, 1000...60_000))
        if g.orderTimeoutMillis <= g.recvWindowMillis {
            r.problem("gateway.orderTimeoutMs", "must be longer than gateway.recvWindowMs (\(g.recvWindowMillis)): only then is an order the venue has not seen by it one that never will be")
        }
        c.gateway = g

        var m = SimSettings()
        m.recording = r.string("sim.recording", m.recording)
        m.speed = r.double("sim.speed", 1, 0.01...1000)
        m.balance = r.decimal("sim.balance", m.balance, positive: true)
        m.faults = r.string("sim.faults", "")
        m.synthetic = r.bool("sim.synthetic", false)
        m.seed = UInt64(r.int("sim.seed", 1, 0...Int.max))
        m.makerFeeBps = r.double("sim.makerFeeBps", m.makerFeeBps, -100...100)
        m.takerFeeBps = r.double("sim.takerFeeBps", m.takerFeeBps, -100...100)
        m.startAtSeconds = r.double("sim.startAtSeconds", 0, 0...86_400)
        // On the simulated venue the engine's fees are the simulated account's unless given.
        if c.venue == .sim {
            if r.source.entries["fees.makerBps"] == nil { c.fees.makerBps = m.makerFeeBps }
            if r.source.entries["fees.takerBps"] == nil { c.fees.takerBps = m.takerFeeBps }
        }
        c.sim = m

        var e = EndpointSettings()
        let defaults = EndpointSettings.defaults(for: c.venue)
        e.restURL = r.string("binance.restUrl", defaults.restURL, check: urlCheck)
        e.streamURL = r.string("binance.streamUrl", defaults.streamURL, check: urlCheck)
        e.webSocketAPIURL = r.string("binance.wsApiUrl", defaults.webSocketAPIURL, check: urlCheck)
        e.userStreamURL = r.string("binance.userStreamUrl", defaults.userStreamURL, check: urlCheck)
        e.depthStream = r.string("binance.depthStream", "@depth@100ms") {
            ["@depth", "@depth@100ms", "@depth@250ms", "@depth@500ms", "@depth@0ms"].contains($0) ? nil : "expected @depth@0ms, @depth@100ms, @depth@250ms or @depth@500ms"
        }
        e.trustedCAFile = r.string("binance.trustedCaFile", "")
        c.endpoints = e
        return c
    }

    /// The `binance:` section of a configuration that points the engine at a venue serving REST at `restURL`
    /// and every WebSocket (streams, WebSocket API, user data) at `streamURL` — the simulator's layout.
    public static func endpointsYAML(restURL: String, streamURL: String, depthStream: String = "@depth@0ms") -> String {
        """
        binance:
          restUrl: \(restURL)
          streamUrl: \(streamURL)
          wsApiUrl: \(streamURL)/ws-fapi/v1
          userStreamUrl: \(streamURL)
          depthStream: "\(depthStream)"

        """
    }

    /// UTC midnight of `YYYY-MM-DD`, in ms since the epoch; nil when not such a date.
    static func utcDayMillis(_ text: String) -> Int64? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            (1...12).contains(m), (1...31).contains(d), y >= 1970
        else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = yy / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400_000
    }

    private static func urlCheck(_ s: String) -> String? {
        s.isEmpty || s.hasPrefix("https://") || s.hasPrefix("wss://") || s.hasPrefix("http://") || s.hasPrefix("ws://")
            ? nil : "expected an http(s):// or ws(s):// URL"
    }
}

extension EngineConfig.EndpointSettings {
    /// Binance's production and testnet endpoints (the simulator's are its own).
    static func defaults(for venue: VenueKind) -> EngineConfig.EndpointSettings {
        var e = EngineConfig.EndpointSettings()
        switch venue {
        case .sim:
            break
        case .binance:
            e.restURL = "https://fapi.binance.com"
            e.streamURL = "wss://fstream.binance.com"
            e.webSocketAPIURL = "wss://ws-fapi.binance.com/ws-fapi/v1"
            e.userStreamURL = "wss://fstream.binance.com"
        case .binanceTestnet:
            e.restURL = "https://testnet.binancefuture.com"
            e.streamURL = "wss://fstream.binancefuture.com"
            e.webSocketAPIURL = "wss://testnet.binancefuture.com/ws-fapi/v1"
            e.userStreamURL = "wss://fstream.binancefuture.com"
        }
        return e
    }
}
