import Foundation
import MMBinance
import MMBinanceWire
import MMCore
import MMExecution
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
    /// Keys a reload applies while the engine runs; every other key of the schema needs a restart (a
    /// reload that changes one is refused and says so). Nothing is accepted and ignored.
    public static let reloadableKeys: Set<String> = [
        "strategy.baseSize", "strategy.levels", "strategy.levelSpacingTicks", "strategy.halfSpreadBps", "strategy.skewBps",
        "strategy.gamma", "strategy.kappa", "strategy.arrivalRate", "strategy.horizonSeconds", "strategy.volatilityHalfLifeSeconds",
        "strategy.initialVolatilityTicks", "strategy.minHalfSpreadTicks", "strategy.repriceToleranceTicks", "strategy.useModify",
        "risk.netMax", "risk.dailyMax", "risk.stopLoss", "risk.maxDrawdown", "risk.maxOrderNotional", "risk.priceBandBps",
        "risk.maxBookAgeMs", "risk.maxUserStreamAgeMs", "risk.maxOrdersPerSecond", "risk.maxOpenOrders", "risk.flattenOnHalt",
    ]

    /// Every key of the schema: reloadable or restart-only.
    public static var restartOnlyKeys: Set<String> { Set(EngineConfig.schemaKeys).subtracting(reloadableKeys) }

    /// Re-reads the configuration file and applies what changed, if all of it may change while running. An
    /// invalid file, or one that changes a restart-only key, is refused with its errors and the running
    /// configuration stays in force. Counted in `reloads` / `reloadFailures`; one reload at a time.
    public func reload() async -> ReloadResult {
        guard shared.withLock({ s in s.reloading ? false : { s.reloading = true; return true }() }) else {
            return ReloadResult(applied: false, changes: [], errors: ["a reload is in progress"])
        }
        let result = await reloadConfiguration()
        shared.withLock { s in
            s.reloading = false
            if result.applied { s.reloads += 1 } else { s.reloadFailures += 1 }
        }
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
            return ReloadResult(applied: false, changes: [], errors: error.problems.map(\.description))
        }
        let old = shared.withLock { $0.activeConfig }
        let before = old.values
        let after = new.values
        let changed = EngineConfig.schemaKeys.filter { before[$0] != after[$0] }
        let restart = changed.filter { !Self.reloadableKeys.contains($0) }
        guard restart.isEmpty else {
            return ReloadResult(applied: false, changes: [], errors: restart.map { "\($0): \(before[$0] ?? "") → \(after[$0] ?? "") needs a restart" })
        }
        guard let instrument, let gateway, let strategy else {
            return ReloadResult(applied: false, changes: [], errors: ["engine not started"])
        }
        let r = new.risk
        let s = new.strategy
        do {
            try await gateway.setLimits(r.limits)
            try await gateway.setQuoting(
                reconciler: QuoteReconciler(tickSize: instrument.tickSize, priceToleranceTicks: s.repriceToleranceTicks, useModify: s.useModify),
                flattenOnHalt: r.flattenOnHalt)
        } catch {
            return ReloadResult(applied: false, changes: [], errors: ["the gateway did not take the new settings"])
        }
        _ = strategy.replace(with: Self.model(s, instrument: instrument, maxPosition: r.netMax))
        shared.withLock { $0.activeConfig = new }
        return ReloadResult(applied: true, changes: changed.map { "\($0): \(before[$0] ?? "") → \(after[$0] ?? "")" }, errors: [])
    }
}
