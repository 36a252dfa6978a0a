import Foundation
import MMCore
import MMSim

/// A starting state for a simulated spot venue, from a YAML file: the market's price and filters, every
/// account's balances and the kline history.
///
/// ```yaml
/// price: "0.05"
/// tickSize: "0.00001"
/// balances:
///   QRL: "8000"
///   USDT: "600"
/// klines:
///   interval: 60m
///   closes: "0.04908 0.04909 0.0495"
/// ```
public struct SpotScenario: Sendable, Equatable {
    public var price: Price?
    public var tickSize: String?
    public var stepSize: String?
    public var minNotional: String?
    public var balances: [String: Notional] = [:]
    public var klineIntervalMillis: Int64 = 3_600_000
    public var closes: [Price] = []

    public init() {}

    public static func parse(yaml: String, path: String = "<scenario>") throws(ConfigError) -> SpotScenario {
        var r = ConfigReader(source: ConfigSource(yaml: yaml, environment: [:], knownKeys: []))
        var s = SpotScenario()
        let price = r.decimal("price", Price.zero, positive: true)
        s.price = price.raw > 0 ? price : nil
        for key in ["tickSize", "stepSize", "minNotional"] {
            let text = r.string(key, "") { (try? Price(parsing: $0)).map { $0.raw > 0 || key == "minNotional" ? nil : "must be greater than zero" } ?? "not an exact decimal" }
            guard !text.isEmpty else { continue }
            switch key {
            case "tickSize": s.tickSize = text
            case "stepSize": s.stepSize = text
            default: s.minNotional = text
            }
        }
        for (asset, text) in r.entries(under: "balances") {
            guard asset.allSatisfy({ $0.isLetter || $0.isNumber }), let v = try? Notional(parsing: text), v.raw >= 0 else {
                r.problem("balances.\(asset)", "'\(text)' is not a balance (an asset's name and a non-negative decimal)")
                continue
            }
            s.balances[asset.uppercased()] = v
        }
        let intervals: [String: Int64] = ["1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "60m": 60, "4h": 240, "1d": 1440]
        let interval = r.string("klines.interval", "1h") { intervals[$0] == nil ? "not one of 1m, 5m, 15m, 30m, 1h (60m), 4h, 1d" : nil }
        s.klineIntervalMillis = (intervals[interval] ?? 60) * 60_000
        let closes = r.string("klines.closes", "")
        for word in closes.split(whereSeparator: { $0 == " " || $0 == "," }) {
            // `0.049*12`: a close repeated.
            let parts = word.split(separator: "*")
            guard let p = try? Price(parsing: parts[0]), p.raw > 0, parts.count <= 2, let n = parts.count == 2 ? Int(parts[1]) : 1, n > 0, n <= 10_000 else {
                r.problem("klines.closes", "'\(word)' is not a price (or price*count)")
                continue
            }
            s.closes += Array(repeating: p, count: n)
        }
        r.finish(secretKeys: EngineConfig.secretKeys)
        guard r.problems.isEmpty else { throw ConfigError(path: path, problems: r.problems) }
        return s
    }

    public static func load(path: String) throws(ConfigError) -> SpotScenario {
        try parse(yaml: try ConfigError.text(ofFile: path), path: path)
    }

    /// The simulated venue's configuration with this scenario applied over the dialect's defaults.
    public func apply(to configuration: inout SpotSimServer.Configuration) throws(ConfigError) {
        if let price { configuration.startPrice = price }
        for (asset, value) in balances { configuration.balances[asset] = value }
        if !closes.isEmpty {
            configuration.history = closes
            configuration.historyIntervalMillis = klineIntervalMillis
        }
        if tickSize != nil || stepSize != nil || minNotional != nil {
            let base = configuration.dialect == .mexc ? SpotSimServer.qrlUSDT() : SpotSimServer.btcUSDTSpot()
            do {
                configuration.instrument = try Instrument(
                    symbol: base.symbol, tickSize: tickSize ?? base.tickSize.description, stepSize: stepSize ?? base.stepSize.description,
                    minQuantity: stepSize ?? base.minQuantity.description, maxQuantity: base.maxQuantity.description,
                    minNotional: minNotional ?? base.minNotional.description)
            } catch {
                throw ConfigError(path: "<scenario>", problems: [ConfigProblem(key: "tickSize", message: "the filters do not make an instrument: \(error)")])
            }
        }
    }
}
