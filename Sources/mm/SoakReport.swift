import MMCore
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

    /// Every broken rule: the auditor's, plus faults never recovered, secrets seen, exits and a hung shutdown.
    var violationsByRule: [String: Int] {
        var v = auditor.violations
        let unrecovered = auditor.unrecovered
        if !unrecovered.isEmpty { v["fault_not_recovered"] = unrecovered.count }
        if !secretLeaks.isEmpty { v["secret_in_output"] = secretLeaks.count }
        if unexpectedExits > 0 { v["engine_exited_unexpectedly"] = unexpectedExits }
        if !cleanShutdown { v["unclean_shutdown"] = 1 }
        return v
    }

    var violations: Int { violationsByRule.values.reduce(0, +) }
    var faultsFired: Int { faultCounts.values.reduce(0, +) + restarts }
    /// Faults the venue never managed to fire (each must be > 0).
    var faultsMissing: [String] {
        FaultKind.allCases.filter { (faultCounts[$0] ?? 0) == 0 }.map(\.rawValue) + (restarts > 0 ? [] : ["sigkill_restart"])
    }
    var passed: Bool { violations == 0 && faultsMissing.isEmpty }

    func json() -> String {
        var o = JSONObjectWriter()
        o.add("passed", passed)
        o.add("violations", violations)
        o.addRaw("violations_by_rule", JSONObjectWriter.object(violationsByRule.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }))
        o.addRaw("violation_examples", "[" + auditor.examples.map { JSONObjectWriter.quote($0) }.joined(separator: ",") + "]")
        o.add("seed", Int(plan.seed))
        o.add("speed", plan.speed)
        o.add("simulated_seconds", (wallSeconds * plan.speed).rounded())
        o.add("wall_seconds", (wallSeconds * 10).rounded() / 10)
        o.add("engine_startup_seconds", (startupSeconds * 10).rounded() / 10)
        o.add("engine_shutdown_seconds", (shutdownSeconds * 10).rounded() / 10)
        var faults = FaultKind.allCases.map { ($0.rawValue, "\(faultCounts[$0] ?? 0)") }
        faults.append(("sigkill_restart", "\(restarts)"))
        faults.append(("operator_halt", "\(auditor.operatorHalts)"))
        o.addRaw("fault_counts", JSONObjectWriter.object(faults))
        o.addRaw("faults_missing", "[" + faultsMissing.map { JSONObjectWriter.quote($0) }.joined(separator: ",") + "]")
        o.addRaw("desyncs_seen", JSONObjectWriter.object(auditor.desyncs.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }))
        o.addRaw("recovered", JSONObjectWriter.object(auditor.recovered.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }))
        o.addRaw("slowest_recovery_ms", JSONObjectWriter.object(auditor.slowestRecoveryNanos.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value / 1_000_000)") }))
        o.addRaw("unrecovered", "[" + auditor.unrecovered.map { JSONObjectWriter.quote($0) }.joined(separator: ",") + "]")
        o.add("orders_accepted", auditor.ordersAccepted)
        o.add("modifies_accepted", auditor.modifiesAccepted)
        o.addRaw("venue_rejections_by_code", JSONObjectWriter.object(auditor.rejectionsByCode.sorted { $0.key < $1.key }.map { ("\($0.key)", "\($0.value)") }))
        o.add("fills", auditor.fills)
        o.add("snapshots_served", auditor.snapshots)
        o.add("net_max", netMax.description)
        o.add("max_abs_position", auditor.maxAbsPosition.description)
        o.add("worst_pnl", auditor.worstPnL.description)
        o.add("loss_limit_breaches", auditor.lossBreaches)
        o.add("loss_beyond_limit_max", auditor.lossOvershoot.description)
        o.add("loss_halts_resumed", lossResumes)
        o.add("final_daily_max", finalDailyMax.description)
        o.add("final_stop_loss", finalStopLoss.description)
        o.add("engine_restarts", restarts)
        o.add("engine_unexpected_exits", unexpectedExits)
        o.addRaw("engine_exit_codes", "[" + engineExitCodes.map { "\($0)" }.joined(separator: ",") + "]")
        o.add("clean_shutdown", cleanShutdown)
        o.add("open_orders_after_shutdown", openAfterShutdown)
        o.add("engine_malformed_market_frames", malformedMarketFrames)
        o.add("engine_malformed_user_events", malformedUserEvents)
        o.add("secret_leaks", secretLeaks.count)
        return o.text
    }
}

/// A flat JSON object, keys in the order added.
struct JSONObjectWriter {
    private var parts: [String] = []
    var text: String { "{" + parts.joined(separator: ",") + "}" }

    mutating func addRaw(_ key: String, _ json: String) { parts.append(Self.quote(key) + ":" + json) }
    mutating func add(_ key: String, _ value: String) { addRaw(key, Self.quote(value)) }
    mutating func add(_ key: String, _ value: Int) { addRaw(key, "\(value)") }
    mutating func add(_ key: String, _ value: Double) { addRaw(key, value == value.rounded() ? "\(Int(value))" : "\(value)") }
    mutating func add(_ key: String, _ value: Bool) { addRaw(key, value ? "true" : "false") }

    /// An object of already-encoded JSON values (numbers here).
    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: if u.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
