import Foundation
import MMBinance
import MMBinanceWire
import MMCore
import Logging
import MMRisk

/// What a reload did.
public struct ReloadResult: Sendable, CustomStringConvertible {
    /// True when the new strategy and risk parameters are in force.
    public var applied: Bool
    /// `key: old → new` for each parameter that changed.
    public var changes: [String]
    /// Why the new configuration was refused (the old one stays in force).
    public var errors: [String]

    public var json: String {
        func list(_ a: [String]) -> String { "[" + a.map { JSONString.quoted($0) }.joined(separator: ",") + "]" }
        return #"{"event":"reload","applied":\#(applied),"changes":\#(list(changes)),"errors":\#(list(errors))}"#
    }

    public var description: String { json }
}

extension Engine {
    /// The parameters a reload may change, as `key → value` text (for the change list).
    static func reloadable(_ c: EngineConfig) -> [(String, String)] {
        let s = c.strategy
        let r = c.risk
        return [
            ("strategy.model", s.model), ("strategy.baseSize", s.baseSize.description), ("strategy.levels", "\(s.levels)"),
            ("strategy.levelSpacingTicks", "\(s.levelSpacingTicks)"), ("strategy.halfSpreadBps", "\(s.halfSpreadBps)"),
            ("strategy.skewBps", "\(s.skewBps)"), ("strategy.gamma", "\(s.gamma)"), ("strategy.kappa", "\(s.kappa)"),
            ("strategy.arrivalRate", "\(s.arrivalRate)"), ("strategy.horizonSeconds", "\(s.horizonSeconds)"),
            ("strategy.volatilityHalfLifeSeconds", "\(s.volatilityHalfLifeSeconds)"), ("strategy.minHalfSpreadTicks", "\(s.minHalfSpreadTicks)"),
            ("risk.netMax", r.netMax.description), ("risk.dailyMax", r.dailyMax.description), ("risk.stopLoss", r.stopLoss.description),
            ("risk.maxDrawdown", r.maxDrawdown.description), ("risk.maxOrderNotional", r.maxOrderNotional.description),
            ("risk.priceBandBps", "\(r.priceBandBps)"), ("risk.maxBookAgeMs", "\(r.maxBookAgeMillis)"),
            ("risk.maxUserStreamAgeMs", "\(r.maxUserStreamAgeMillis)"), ("risk.maxOrdersPerSecond", "\(r.maxOrdersPerSecond)"),
            ("risk.maxOpenOrders", "\(r.maxOpenOrders)"),
        ]
    }

    /// Keys whose change needs a restart.
    static func fixedAtStart(_ c: EngineConfig) -> [(String, String)] {
        [
            ("venue", c.venue.rawValue), ("symbol", c.symbol), ("dryRun", "\(c.dryRun)"), ("quoteIntervalMs", "\(c.quoteIntervalMillis)"),
            ("binance.restUrl", c.endpoints.restURL), ("binance.streamUrl", c.endpoints.streamURL), ("metrics.port", "\(c.metricsPort)"),
            ("control.port", "\(c.controlPort)"), ("gateway.clientIdPrefix", c.gateway.clientIDPrefix),
        ]
    }

    /// Re-reads the configuration file and applies its strategy and risk parameters. An invalid file, or one
    /// that changes what only a restart can (venue, symbol, endpoints, ports, quoting model kind), is refused
    /// with its errors and the running parameters stay in force. Counted in `reloads` / `reloadFailures`.
    public func reload() async -> ReloadResult {
        let result = await reloadConfiguration()
        if result.applied {
            logger.notice("reload", metadata: ["applied": "true", "changes": .array(result.changes.map { .string($0) })])
        } else {
            logger.error("reload", metadata: ["applied": "false", "errors": .array(result.errors.map { .string($0) })])
        }
        return result
    }

    private func reloadConfiguration() async -> ReloadResult {
        guard let path = configPath else {
            return ReloadResult(applied: false, changes: [], errors: ["the engine was started without a configuration file"])
        }
        let new: EngineConfig
        do {
            new = try EngineConfig.load(path: path, environment: options.environment)
        } catch {
            reloadFailures += 1
            return ReloadResult(applied: false, changes: [], errors: error.problems.map(\.description))
        }
        var errors: [String] = []
        for ((key, old), (_, next)) in zip(Self.fixedAtStart(activeConfig), Self.fixedAtStart(new)) where old != next {
            errors.append("\(key): \(old) → \(next) needs a restart")
        }
        if activeConfig.strategy.model != new.strategy.model {
            errors.append("strategy.model: \(activeConfig.strategy.model) → \(new.strategy.model) needs a restart")
        }
        guard errors.isEmpty, let instrument, let gateway, let strategy else {
            reloadFailures += 1
            return ReloadResult(applied: false, changes: [], errors: errors.isEmpty ? ["engine not started"] : errors)
        }
        let changes = zip(Self.reloadable(activeConfig), Self.reloadable(new)).compactMap { a, b in a.1 == b.1 ? nil : "\(a.0): \(a.1) → \(b.1)" }
        let r = new.risk
        do {
            try await gateway.setLimits(r.limits)
        } catch {
            reloadFailures += 1
            return ReloadResult(applied: false, changes: [], errors: ["the gateway did not take the new limits"])
        }
        _ = strategy.replace(with: Self.model(new.strategy, instrument: instrument, maxPosition: r.netMax))
        activeConfig = new
        reloads += 1
        return ReloadResult(applied: true, changes: changes, errors: [])
    }
}
