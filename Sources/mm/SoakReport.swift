import MMBinanceWire
import MMCore
import MMEngine
import MMSim

/// What a soak run saw: invariant violations by rule (0 is the goal), and how often each fault fired.
struct SoakReport {
    let plan: SoakPlan
    let wallSeconds: Double
    let startupSeconds: Double
    let shutdownSeconds: Double
    let auditor: SoakAuditor
    let faultCounts: [FaultKind: Int]
    let restarts: Int
    let unexpectedExits: Int
    let engineExitCodes: [Int32]
    let cleanShutdown: Bool
    let openAfterShutdown: Int
    let lossResumes: Int
    let finalDailyMax: Notional
    let finalStopLoss: Notional
    let netMax: Quantity
    let secretLeaks: [String]
    let malformedMarketFrames: Int
    let malformedUserEvents: Int
    /// IP bans (418) the venue imposed: requests kept coming inside a 429's wait.
    let ipBans: Int

    /// Every broken rule: the auditor's, plus faults never recovered, secrets seen, exits and a hung shutdown.
    var violationsByRule: [String: Int] {
        var v = auditor.violations
        let unrecovered = auditor.unrecovered
        if !unrecovered.isEmpty { v["fault_not_recovered"] = unrecovered.count }
        if !secretLeaks.isEmpty { v["secret_in_output"] = secretLeaks.count }
        if unexpectedExits > 0 { v["engine_exited_unexpectedly"] = unexpectedExits }
        if !cleanShutdown { v["unclean_shutdown"] = 1 }
        if ipBans > 0 { v["ip_banned"] = ipBans }
        return v
    }

    var violations: Int { violationsByRule.values.reduce(0, +) }
    var faultsFired: Int { faultCounts.values.reduce(0, +) + restarts }
    /// Faults the venue never managed to fire (each must be > 0).
    var faultsMissing: [String] {
        FaultKind.allCases.filter { (faultCounts[$0] ?? 0) == 0 }.map(\.rawValue) + (restarts > 0 ? [] : ["sigkill_restart"])
    }
    /// Clean, every fault fired, and the untracked-order rule was checked (the engine answered).
    var passed: Bool { violations == 0 && faultsMissing.isEmpty && auditor.trackingSamples > 0 }

    func json() -> String {
        func object(_ pairs: [(String, Int)]) -> String {
            var o = JSONObject()
            for (k, v) in pairs { o.add(k, v) }
            return o.text
        }
        func list(_ items: [String]) -> String { "[" + items.map(JSONString.quoted).joined(separator: ",") + "]" }
        // Whole numbers print without a fraction (the seconds the report's readers parse as integers).
        func number(_ v: Double) -> String { v == v.rounded() ? "\(Int(v))" : "\(v)" }
        var o = JSONObject()
        o.add("passed", passed)
        o.add("violations", violations)
        o.add("violations_by_rule", raw: object(violationsByRule.sorted { $0.key < $1.key }))
        o.add("violation_examples", raw: list(auditor.examples))
        o.add("seed", Int(plan.seed))
        o.add("speed", raw: number(plan.speed))
        o.add("simulated_seconds", raw: number((wallSeconds * plan.speed).rounded()))
        o.add("wall_seconds", raw: number((wallSeconds * 10).rounded() / 10))
        o.add("engine_startup_seconds", raw: number((startupSeconds * 10).rounded() / 10))
        o.add("engine_shutdown_seconds", raw: number((shutdownSeconds * 10).rounded() / 10))
        var faults = FaultKind.allCases.map { ($0.rawValue, faultCounts[$0] ?? 0) }
        faults.append(("sigkill_restart", restarts))
        faults.append(("operator_halt", auditor.operatorHalts))
        o.add("fault_counts", raw: object(faults))
        o.add("faults_missing", raw: list(faultsMissing))
        o.add("desyncs_seen", raw: object(auditor.desyncs.sorted { $0.key < $1.key }))
        o.add("recovered", raw: object(auditor.recovered.sorted { $0.key < $1.key }))
        o.add("slowest_recovery_ms", raw: object(auditor.slowestRecoveryNanos.sorted { $0.key < $1.key }.map { ($0.key, Int($0.value / 1_000_000)) }))
        o.add("unrecovered", raw: list(auditor.unrecovered))
        o.add("orders_accepted", auditor.ordersAccepted)
        o.add("modifies_accepted", auditor.modifiesAccepted)
        o.add("venue_rejections_by_code", raw: object(auditor.rejectionsByCode.sorted { $0.key < $1.key }.map { ("\($0.key)", $0.value) }))
        o.add("fills", auditor.fills)
        o.add("snapshots_served", auditor.snapshots)
        o.add("net_max", netMax.description)
        o.add("max_abs_position", auditor.maxAbsPosition.description)
        o.add("worst_pnl", auditor.worstPnL.description)
        o.add("loss_limit_breaches", auditor.lossBreaches)
        o.add("tracking_samples", auditor.trackingSamples)
        o.add("loss_beyond_limit_max", auditor.lossOvershoot.description)
        o.add("loss_halts_resumed", lossResumes)
        o.add("final_daily_max", finalDailyMax.description)
        o.add("final_stop_loss", finalStopLoss.description)
        o.add("engine_restarts", restarts)
        o.add("engine_unexpected_exits", unexpectedExits)
        o.add("engine_exit_codes", raw: "[" + engineExitCodes.map { "\($0)" }.joined(separator: ",") + "]")
        o.add("clean_shutdown", cleanShutdown)
        o.add("open_orders_after_shutdown", openAfterShutdown)
        o.add("engine_malformed_market_frames", malformedMarketFrames)
        o.add("engine_malformed_user_events", malformedUserEvents)
        o.add("secret_leaks", secretLeaks.count)
        o.add("venue_ip_bans", ipBans)
        return o.text
    }
}
