import MMCore

/// Checks one account's trading against the venue's own books, from the venue's audit log
/// (`SimAuditEntry`), account samples and what the operator did. A value: the soak feeds it in time order
/// and reads the counts.
///
/// Every rule allows `grace` after the event that forbids ordering: the client can only react once it sees
/// the event (the next diff after a gap, a fill report), and an order already on the wire arrives after it.
public struct SoakAuditor: Sendable {
    /// The client's limits, as configured, and the checking tolerances.
    public struct Limits: Sendable, Equatable {
        public var netMax: Quantity
        /// Daily loss that halts (positive).
        public var dailyMax: Notional
        /// Total PnL that halts (negative).
        public var stopLoss: Notional
        /// PnL differences the client may legitimately see (its mid is not the venue's at the same instant).
        public var lossTolerance: Notional
        public var graceNanos: Int64
        /// The client's `maxBookAgeMs`: in a stall, orders are forbidden from this long after the last data.
        public var maxBookAgeNanos: Int64
        /// How long after an operator halt the venue must show no open order.
        public var haltSettleNanos: Int64
        /// Desync reasons that concern the client's depth stream (`gap` for `@depth@0ms`).
        public var desyncReasons: Set<String>

        public init(
            netMax: Quantity, dailyMax: Notional, stopLoss: Notional, lossTolerance: Notional = Notional("0.05")!,
            graceNanos: Int64 = 500_000_000, maxBookAgeNanos: Int64, haltSettleNanos: Int64 = 2_000_000_000,
            desyncReasons: Set<String> = ["gap", "restart", "ws_close"]
        ) {
            self.netMax = netMax
            self.dailyMax = dailyMax
            self.stopLoss = stopLoss
            self.lossTolerance = lossTolerance
            self.graceNanos = graceNanos
            self.maxBookAgeNanos = maxBookAgeNanos
            self.haltSettleNanos = haltSettleNanos
            self.desyncReasons = desyncReasons
        }
    }

    /// Rules the client broke, by name, and the first few occurrences in words.
    public private(set) var violations: [String: Int] = [:]
    public private(set) var examples: [String] = []

    // Counts.
    public private(set) var ordersAccepted = 0
    public private(set) var modifiesAccepted = 0
    public private(set) var rejectionsByCode: [Int: Int] = [:]
    public private(set) var fills = 0
    public private(set) var snapshots = 0
    public private(set) var desyncs: [String: Int] = [:]
    public private(set) var faults: [FaultKind: Int] = [:]
    public private(set) var maxAbsPosition = Quantity.zero
    public private(set) var worstPnL = Notional.zero
    /// Largest loss beyond a limit the venue saw (fills of orders resting when it was reached, the halted
    /// position's mark moving, the client's mid differing from the venue's).
    public private(set) var lossOvershoot = Notional.zero
    public private(set) var lossBreaches = 0
    public private(set) var operatorHalts = 0
    /// What recovered (an order accepted after the fault, restart or resume ended), how many and the slowest.
    public private(set) var recovered: [String: Int] = [:]
    public private(set) var slowestRecoveryNanos: [String: Int64] = [:]

    public private(set) var limits: Limits
    let apiKey: String
    let symbols: [Symbol]
    private var unsyncedSince: [Symbol: Int64] = [:]
    /// Why each symbol's book went out of sync (for the violation's words).
    private var unsyncedReason: [Symbol: String] = [:]
    /// When the venue last served a snapshot: fresh data for whoever took it, stall or not.
    private var lastSnapshot: Int64 = .min
    private var stalls: [(from: Int64, until: Int64)] = []
    private var breachSince: Int64?
    private var haltedSince: Int64?
    private var haltChecked = false
    private var seenIDs: Set<String> = []
    private var pending: [(label: String, end: Int64)] = []
    /// Until when the venue refused the requests a halt needs (rate limit, refused cancel-alls).
    private var refusingUntil: Int64 = 0
    private var lossHaltChecked = false
    /// Orders open at the venue that the client did not track, since when.
    private var untrackedSince: [String: Int64] = [:]
    private var reportedUntracked: Set<String> = []
    /// Tracking samples taken (the client answered).
    public private(set) var trackingSamples = 0

    public init(apiKey: String, symbols: [Symbol], limits: Limits) {
        self.apiKey = apiKey
        self.symbols = symbols
        self.limits = limits
    }

    mutating func violate(_ rule: String, _ detail: String) {
        violations[rule, default: 0] += 1
        if examples.count < 20 { examples.append("\(rule): \(detail)") }
    }

    /// Faults and events that have not yet been followed by an accepted order.
    public var unrecovered: [String] { pending.map(\.label) }

    public var violationCount: Int { violations.values.reduce(0, +) }

    /// Applies one audit entry (in order).
    public mutating func observe(_ entry: SimAuditEntry) {
        let t = entry.nanos
        matureStalls(t)
        switch entry {
        case .order(let key, let id, let symbol, let side, let reduceOnly, let modify, _):
            guard key == apiKey else { return }
            if modify { modifiesAccepted += 1 } else { ordersAccepted += 1 }
            if !modify && !seenIDs.insert(id).inserted { violate("duplicate_client_order_id", "\(id) accepted twice") }
            if !reduceOnly { checkOrder(id: id, symbol: symbol, side: side, at: t) }
            resolve(at: t)
        case .rejected(let key, let id, let reason, _):
            guard key == apiKey else { return }
            let code = VenueError(reason).code
            rejectionsByCode[code, default: 0] += 1
            if code == -4116 { violate("duplicate_client_order_id", "\(id) refused as a duplicate") }
        case .fill(let key, _, let position, _):
            guard key == apiKey else { return }
            fills += 1
            checkPosition(position, at: t)
            if let since = breachSince, t > since + limits.graceNanos * 4 {
                // Resting orders must be gone soon after a loss halt; a fill much later means they were not.
                violate("fill_long_after_loss_limit", "fill \((t - since) / 1_000_000) ms after the loss limit was reached")
            }
        case .snapshot(let symbol, _):
            snapshots += 1
            lastSnapshot = t
            if let since = unsyncedSince[symbol], since <= t { unsyncedSince[symbol] = nil }
        case .desync(let symbol, let reason, _):
            desyncs[reason, default: 0] += 1
            guard limits.desyncReasons.contains(reason) else { return }
            if unsyncedSince[symbol] == nil {
                unsyncedSince[symbol] = t
                unsyncedReason[symbol] = reason
            }
            pending.append(("desync:\(reason)", t))
        case .stall(_, let until):
            stalls.append((t, until))
        case .fault(let kind, _, let until):
            faults[kind, default: 0] += 1
            pending.append((kind.rawValue, until))
            if kind == .rateLimit || kind == .cancelAllRefuse { refusingUntil = max(refusingUntil, until) }
        }
    }

    /// Applies an account sample (position, PnL at the venue's mid, open orders).
    public mutating func sample(_ s: SimAccountSample) {
        matureStalls(s.nanos)
        checkPosition(s.position, at: s.nanos)
        if s.pnl < worstPnL { worstPnL = s.pnl }
        let daily = -s.pnl - limits.dailyMax
        let total = limits.stopLoss - s.pnl
        let beyond = max(daily, total)
        if beyond > limits.lossTolerance {
            if breachSince == nil {
                breachSince = s.nanos
                lossBreaches += 1
                lossHaltChecked = false
            }
        }
        if beyond > lossOvershoot { lossOvershoot = beyond }
        // After a halt nothing of ours may rest once the venue has answered again for `haltSettle`.
        if let since = haltedSince, !haltChecked, s.nanos >= max(since, refusingUntil) + limits.haltSettleNanos {
            haltChecked = true
            if s.openOrders > 0 {
                violate("orders_left_after_halt", "\(s.openOrders) open \((s.nanos - max(since, refusingUntil)) / 1_000_000) ms after the halt and the venue answering")
            }
        }
        if let since = breachSince, !lossHaltChecked, s.nanos >= max(since + limits.graceNanos, refusingUntil) + limits.haltSettleNanos {
            lossHaltChecked = true
            if s.openOrders > 0 {
                violate("orders_left_after_loss_halt", "\(s.openOrders) open \((s.nanos - since) / 1_000_000) ms after the loss limit was reached")
            }
        }
    }

    /// Compares what the venue holds with what the client tracks (nil: the client did not answer, e.g.
    /// while it restarts). An order of ours at the venue that the client has not tracked for `untrackedLimit`
    /// is an orphan: it counts in no exposure and nobody will cancel it.
    public mutating func tracking(nanos: Int64, venueOpen: [String], clientTracked: [String]?, untrackedLimitNanos: Int64 = 5_000_000_000) {
        guard let tracked = clientTracked.map(Set.init) else {
            untrackedSince.removeAll()
            return
        }
        trackingSamples += 1
        var still: [String: Int64] = [:]
        for id in venueOpen where !tracked.contains(id) {
            let since = untrackedSince[id] ?? nanos
            still[id] = since
            if nanos - since > untrackedLimitNanos && reportedUntracked.insert(id).inserted {
                violate("order_untracked", "\(id) open at the venue and untracked by the client for \((nanos - since) / 1_000_000) ms")
            }
        }
        untrackedSince = still
    }

    /// The operator halted the client at `nanos`.
    public mutating func operatorHalted(at nanos: Int64) {
        haltedSince = nanos
        haltChecked = false
        operatorHalts += 1
    }

    /// The operator resumed the client (after a halt of its own or a loss halt, with new limits).
    public mutating func operatorResumed(at nanos: Int64, limits newLimits: Limits? = nil) {
        haltedSince = nil
        if let newLimits { limits = newLimits }
        breachSince = nil
        pending.append(("resume", nanos))
    }

    /// The client process was killed at `nanos` and started again at `restartedAt`.
    public mutating func engineRestarted(at nanos: Int64) {
        pending.append(("restart", nanos))
        untrackedSince.removeAll()
    }

    /// The client shut down; `openOrders` are what the venue still holds for it.
    public mutating func finished(openOrders: Int) {
        if openOrders > 0 { violate("orphan_orders_after_shutdown", "\(openOrders) open after a clean shutdown") }
    }

    /// Whether the client is halted for a loss limit as the venue sees it.
    public var lossLimitReached: Bool { breachSince != nil }

    private mutating func checkOrder(id: String, symbol: Symbol, side: Side, at t: Int64) {
        let g = limits.graceNanos
        if let since = unsyncedSince[symbol], t > since + g {
            let snapshot = lastSnapshot == .min ? "none" : "\((lastSnapshot - since) / 1_000_000) ms after it"
            violate("order_while_unsynced", "\(id) \((t - since) / 1_000_000) ms after the book went out of sync (\(unsyncedReason[symbol] ?? "?"); last snapshot \(snapshot))")
        }
        // Data ages from the stall's start, or from a snapshot taken during it.
        for s in stalls where t > max(s.from, lastSnapshot) + limits.maxBookAgeNanos + g && t < s.until {
            violate("order_while_stale", "\(id) \((t - s.from) / 1_000_000) ms into a market-data stall")
        }
        if let since = breachSince, t > since + g {
            violate("order_after_loss_limit", "\(id) \((t - since) / 1_000_000) ms after the loss limit was reached")
        }
        if let since = haltedSince, t > since + g { violate("order_while_halted", "\(id) \((t - since) / 1_000_000) ms after the halt") }
    }

    private mutating func checkPosition(_ position: Quantity, at t: Int64) {
        let size = position.clampedMagnitude
        if size > maxAbsPosition { maxAbsPosition = size }
        if size > limits.netMax { violate("net_position_beyond_max", "|position| \(size) > netMax \(limits.netMax)") }
    }

    /// A stall that ended leaves the books out of sync: what was not sent is missing.
    private mutating func matureStalls(_ t: Int64) {
        for s in stalls where s.until <= t {
            for symbol in symbols where unsyncedSince[symbol] == nil {
                unsyncedSince[symbol] = s.until
                unsyncedReason[symbol] = "stall"
            }
            pending.append(("desync:stall", s.until))
        }
        stalls.removeAll { $0.until <= t }
    }

    private mutating func resolve(at t: Int64) {
        var still: [(label: String, end: Int64)] = []
        for p in pending {
            if p.end < t {
                recovered[p.label, default: 0] += 1
                slowestRecoveryNanos[p.label] = max(slowestRecoveryNanos[p.label] ?? 0, t - p.end)
            } else {
                still.append(p)
            }
        }
        pending = still
    }
}
