import MMCore
import MMVenue

/// The states of one rebalance run, as the operator sees them in the trail.
public enum RebalanceState: String, Sendable, CaseIterable {
    case start = "START"
    case analyzing = "ANALYZING"
    case planning = "PLANNING"
    case validating = "VALIDATING"
    case preparing = "PREPARING"
    case executing = "EXECUTING"
    case tracking = "TRACKING"
    case filled = "FILLED"
    case partiallyFilledTimeout = "PARTIALLY_FILLED_TIMEOUT"
    case timeout = "TIMEOUT"
    case failed = "FAILED"
    case updating = "UPDATING"
    case logging = "LOGGING"
    case complete = "COMPLETE"
    case hold = "HOLD"
}

/// The limit order a run sends.
public struct RebalanceOrder: Sendable, Equatable {
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    public var clientOrderID: String

    public init(side: Side, price: Price, quantity: Quantity, clientOrderID: String) {
        self.side = side
        self.price = price
        self.quantity = quantity
        self.clientOrderID = clientOrderID
    }
}

/// What a run asks the venue.
public enum RebalanceRequest: Sendable, Equatable {
    case balances
    case klines
    case book
    case place(RebalanceOrder)
    case query(clientOrderID: String)
    case cancel(clientOrderID: String)

    /// How the retry policy treats it.
    public var nature: RequestNature {
        switch self {
        case .place: .placement
        case .cancel: .cancel
        default: .read
        }
    }

    /// A short name for metrics and logs.
    public var endpoint: String {
        switch self {
        case .balances: "account"
        case .klines: "klines"
        case .book: "bookTicker"
        case .place: "order.place"
        case .query: "order.query"
        case .cancel: "order.cancel"
        }
    }
}

/// What the rebalancer holds: balances and the weighted average cost of the base.
public struct RebalancePosition: Sendable, Equatable {
    public var base: Quantity
    public var quote: Notional
    public var averageCost: Price

    public init(base: Quantity, quote: Notional, averageCost: Price) {
        self.base = base
        self.quote = quote
        self.averageCost = averageCost
    }

    /// Where the base's share of value stands against the target band: under it, within it, or over it.
    public func tier(at price: Price, rules: RebalanceRules) -> String {
        guard let value = Notional(price: price, quantity: base) else { return "unknown" }
        let total = Int128(value.raw) + Int128(quote.raw)
        guard total > 0 else { return "empty" }
        let share = Int128(value.raw) * Int128(FixedPointScale.unit) / total
        if share <= Int128(rules.targetRatio.raw - rules.threshold.raw) { return "light" }
        if share >= Int128(rules.targetRatio.raw + rules.threshold.raw) { return "heavy" }
        return "balanced"
    }
}

/// The structured events a run reports, one JSON log line each.
public enum RebalanceLogEvent: Sendable, Equatable {
    case rebalanceStart(runID: UInt64)
    case orderSubmitted(RebalanceOrder)
    case orderFilled(RebalanceOrder, executed: Quantity, price: Price)
    case positionUpdated(before: RebalancePosition, after: RebalancePosition)
    case rebalanceError(endpoint: String, code: Int?, message: String, next: String)
}

/// How a run ended.
public struct RebalanceResult: Sendable, Equatable {
    public var runID: UInt64
    /// `FILLED`, `PARTIALLY_FILLED_TIMEOUT`, `TIMEOUT`, `FAILED` or `HOLD`.
    public var status: RebalanceState
    /// `BUY`, `SELL` or `HOLD`.
    public var action: String
    public var reason: String
    public var order: RebalanceOrder?
    public var orderRef: VenueOrderRef?
    public var executed: Quantity
    public var fillPrice: Price?
    public var before: RebalancePosition?
    public var after: RebalancePosition?
    public var mid: Price?
    public var trail: [RebalanceState]
    public var startMillis: Int64
    public var endMillis: Int64
    public var errors: [String]

    public init(
        runID: UInt64, status: RebalanceState, action: String, reason: String, order: RebalanceOrder? = nil, orderRef: VenueOrderRef? = nil,
        executed: Quantity, fillPrice: Price? = nil, before: RebalancePosition? = nil, after: RebalancePosition? = nil, mid: Price? = nil,
        trail: [RebalanceState], startMillis: Int64, endMillis: Int64, errors: [String]
    ) {
        self.runID = runID
        self.status = status
        self.action = action
        self.reason = reason
        self.order = order
        self.orderRef = orderRef
        self.executed = executed
        self.fillPrice = fillPrice
        self.before = before
        self.after = after
        self.mid = mid
        self.trail = trail
        self.startMillis = startMillis
        self.endMillis = endMillis
        self.errors = errors
    }

    /// The result as one JSON object.
    public var json: String {
        let q = JSONString.quoted
        func position(_ p: RebalancePosition?) -> String {
            guard let p else { return "null" }
            return #"{"base":"\#(p.base)","quote":"\#(p.quote)","average_cost":"\#(p.averageCost)"}"#
        }
        let order = self.order.map { o in
            #"{"side":"\#(o.side)","price":"\#(o.price)","quantity":"\#(o.quantity)","client_order_id":\#(q(o.clientOrderID)),"order_id":\#(orderRef.map { q($0.description) } ?? "null")}"#
        } ?? "null"
        return #"{"run":\#(runID),"status":"\#(status.rawValue)","action":"\#(action)","reason":\#(q(reason)),"order":\#(order),"executed":"\#(executed)","fill_price":\#(fillPrice.map { q($0.description) } ?? "null"),"mid":\#(mid.map { q($0.description) } ?? "null"),"before":\#(position(before)),"after":\#(position(after)),"trail":[\#(trail.map { #""\#($0.rawValue)""# }.joined(separator: ","))],"duration_ms":\#(endMillis - startMillis),"errors":[\#(errors.map(q).joined(separator: ","))]}"#
    }
}

/// What the run tells its shell to do.
public enum RebalanceAction: Sendable, Equatable {
    /// Send a request after a wait (0: now).
    case send(RebalanceRequest, afterMillis: Int64)
    /// Take the venue's clock offset again (before the request that follows).
    case resyncClock
    case emit(RebalanceLogEvent)
    case finish(RebalanceResult)
}

/// What the shell reports back.
public enum RebalanceInput: Sendable, Equatable {
    case start
    case balances(base: Quantity, quote: Notional)
    case klines(closes: [Price])
    case book(bid: Price, ask: Price)
    case placed(VenueOrderRef)
    /// An order's state: what executed and at what average price (nil when the venue did not say).
    case order(VenueOrderStatus, executed: Quantity, averagePrice: Price?, ref: VenueOrderRef? = nil)
    case cancelled
    case failed(RebalanceRequest, VenueErrorKind, code: Int?, message: String)
}

/// One rebalance run as a value: analyze (balances, klines, book), plan, validate, prepare a client order
/// ID, execute, track with backoff, settle the outcome, update the position from what filled, log. It
/// takes the venue's answers with the time and returns what to do; the shell does the I/O.
public struct RebalanceRun: Sendable {
    public let runID: UInt64
    public let rules: RebalanceRules
    public let market: MarketSpec
    public let policy: RetryPolicy
    /// The average cost carried from earlier runs.
    public let averageCost: Price
    /// The tracking limits (30 polls, 300 s by default).
    public var maxPolls = 30
    public var maxTrackMillis: Int64 = 300_000
    /// Plan and validate, but send nothing: the run holds with the order it would have placed.
    public var dryRun = false

    public private(set) var state = RebalanceState.start
    public private(set) var trail: [RebalanceState] = [.start]
    private var startMillis: Int64 = 0
    private var attempts = 1
    private var base = Quantity.zero
    private var quote = Notional.zero
    private var closes: [Price] = []
    private var mid: Price?
    private var order: RebalanceOrder?
    private var ref: VenueOrderRef?
    private var tracker: FillTracker?
    private var executed = Quantity.zero
    private var fillPrice: Price?
    /// After a cancel: the next order answer settles the outcome.
    private var settling = false
    /// A placement whose outcome is unknown is being looked up by its client ID.
    private var resolving = false
    private var errors: [String] = []
    private var finished = false
    private var analyzed = false

    public init(runID: UInt64, rules: RebalanceRules, market: MarketSpec, averageCost: Price, policy: RetryPolicy = RetryPolicy()) {
        self.runID = runID
        self.rules = rules
        self.market = market
        self.averageCost = averageCost
        self.policy = policy
    }

    private mutating func enter(_ s: RebalanceState) {
        state = s
        trail.append(s)
    }

    private mutating func ask(_ r: RebalanceRequest, after millis: Int64 = 0) -> RebalanceAction {
        .send(r, afterMillis: millis)
    }

    /// One input at `nowMillis`; the actions in order.
    public mutating func handle(_ input: RebalanceInput, nowMillis: Int64) -> [RebalanceAction] {
        guard !finished else { return [] }
        switch input {
        case .start:
            startMillis = nowMillis
            enter(.analyzing)
            return [.emit(.rebalanceStart(runID: runID)), ask(.balances)]
        case .balances(let b, let q):
            base = b
            quote = q
            analyzed = true
            attempts = 1
            return [ask(.klines)]
        case .klines(let c):
            closes = c
            attempts = 1
            return [ask(.book)]
        case .book(let bid, let ask):
            attempts = 1
            guard bid.raw > 0, ask > bid else { return hold("no two-sided book (bid \(bid), ask \(ask))", nowMillis) }
            let m = Price(raw: (bid.raw + ask.raw) / 2)
            mid = m
            return plan(nowMillis)
        case .placed(let r):
            ref = r
            attempts = 1
            return startTracking(nowMillis)
        case .order(let status, let exec, let average, let r):
            attempts = 1
            if ref == nil, let r { ref = r }
            return orderAnswer(status, exec, average, nowMillis)
        case .cancelled:
            attempts = 1
            settling = true
            guard let order else { return [] }
            return [ask(.query(clientOrderID: order.clientOrderID))]
        case .failed(let request, let kind, let code, let message):
            return failure(request, kind, code, message, nowMillis)
        }
    }

    private mutating func plan(_ now: Int64) -> [RebalanceAction] {
        enter(.planning)
        let snapshot = RebalanceSnapshot(base: base, quote: quote, mid: mid!, closes: closes, averageCost: averageCost)
        switch RebalancePlanner.decide(snapshot, rules: rules, market: market) {
        case .hold(let reason):
            return hold(reason, now)
        case .trade(let side, let price, let quantity):
            enter(.validating)
            let i = market.instrument
            if market.status != .trading { return hold("\(market.venueSymbol) is \(market.status.rawValue), not trading", now) }
            if quantity < i.minQuantity { return hold("quantity \(quantity) below the venue's minimum \(i.minQuantity)", now) }
            if i.maxQuantity.raw > 0 && quantity > i.maxQuantity { return hold("quantity \(quantity) above the venue's maximum \(i.maxQuantity)", now) }
            enter(.preparing)
            let id = ClientOrderIDScheme.of(market.venue).make(prefix: "rb", sequence: runID)
            let o = RebalanceOrder(side: side, price: price, quantity: quantity, clientOrderID: id)
            order = o
            if dryRun { return hold("dry run: \(side) \(quantity) @ \(price) not sent", now) }
            enter(.executing)
            return [.send(.place(o), afterMillis: 0)]
        }
    }

    private mutating func startTracking(_ now: Int64) -> [RebalanceAction] {
        guard let order else { return [] }
        enter(.tracking)
        var t = FillTracker(quantity: order.quantity, startMillis: now)
        t.maxPolls = maxPolls
        t.maxMillis = maxTrackMillis
        tracker = t
        var out: [RebalanceAction] = [.emit(.orderSubmitted(order))]
        if case .poll(let after) = t.begin() { out.append(ask(.query(clientOrderID: order.clientOrderID), after: after)) }
        return out
    }

    private mutating func orderAnswer(_ status: VenueOrderStatus, _ exec: Quantity, _ average: Price?, _ now: Int64) -> [RebalanceAction] {
        guard let order else { return [] }
        executed = exec
        if let average, average.raw > 0 { fillPrice = average }
        if resolving {
            // The placement did reach the venue.
            resolving = false
            return startTracking(now) + (status.isOpen ? [] : orderAnswer(status, exec, average, now))
        }
        if settling || !status.isOpen {
            let outcome: RebalanceState = exec >= order.quantity ? .filled : exec.raw > 0 ? .partiallyFilledTimeout : .timeout
            if !settling && outcome != .filled {
                // Closed by the venue before the deadline (cancelled or expired there).
                errors.append("order \(status.venueStatus) by the venue with \(exec) executed")
            }
            return settle(outcome, now)
        }
        guard var tracker else { return [] }
        let next = tracker.polled(executed: exec, nowMillis: now)
        self.tracker = tracker
        switch next {
        case .poll(let after): return [ask(.query(clientOrderID: order.clientOrderID), after: after)]
        case .finish: return settle(.filled, now)
        case .cancel: return [ask(.cancel(clientOrderID: order.clientOrderID))]
        }
    }

    /// The outcome, then the position from what filled, then the log.
    private mutating func settle(_ outcome: RebalanceState, _ now: Int64) -> [RebalanceAction] {
        guard let order else { return [] }
        enter(outcome)
        guard executed.raw > 0 else { return log(outcome, "nothing filled in \(maxTrackMillis / 1000) s; cancelled", now) }
        enter(.updating)
        let price = fillPrice ?? order.price
        let before = RebalancePosition(base: base, quote: quote, averageCost: averageCost)
        var after = before
        let value = Notional(price: price, quantity: executed) ?? .zero
        after.averageCost = RebalancePlanner.averageCost(held: base, cost: averageCost, fill: order.side, quantity: executed, price: price)
        if order.side == .buy {
            after.base = base + executed
            after.quote = quote - value
        } else {
            after.base = base - executed
            after.quote = quote + value
        }
        let reason = outcome == .filled ? "filled" : "\(executed) of \(order.quantity) filled by the deadline; the rest cancelled"
        var out: [RebalanceAction] = [.emit(.orderFilled(order, executed: executed, price: price)), .emit(.positionUpdated(before: before, after: after))]
        out += log(outcome, reason, now, after: after)
        return out
    }

    private mutating func hold(_ reason: String, _ now: Int64) -> [RebalanceAction] {
        enter(.hold)
        return log(.hold, reason, now)
    }

    private mutating func fail(_ reason: String, _ now: Int64) -> [RebalanceAction] {
        enter(.failed)
        return log(.failed, reason, now)
    }

    private mutating func log(_ status: RebalanceState, _ reason: String, _ now: Int64, after: RebalancePosition? = nil) -> [RebalanceAction] {
        enter(.logging)
        enter(.complete)
        finished = true
        let action = status == .hold ? "HOLD" : order.map { "\($0.side)" } ?? "HOLD"
        let before = analyzed ? RebalancePosition(base: base, quote: quote, averageCost: averageCost) : nil
        return [.finish(RebalanceResult(
            runID: runID, status: status, action: action, reason: reason, order: order, orderRef: ref, executed: executed, fillPrice: executed.raw > 0 ? (fillPrice ?? order?.price) : nil,
            before: before, after: after ?? before, mid: mid, trail: trail, startMillis: startMillis, endMillis: now, errors: errors))]
    }

    private mutating func failure(_ request: RebalanceRequest, _ kind: VenueErrorKind, _ code: Int?, _ message: String, _ now: Int64) -> [RebalanceAction] {
        let said = "\(request.endpoint): \(code.map { "code \($0): " } ?? "")\(message)"
        errors.append(said)
        func report(_ next: String) -> RebalanceAction { .emit(.rebalanceError(endpoint: request.endpoint, code: code, message: message, next: next)) }
        if resolving, case .query = request, kind == .unknownOrder {
            // The unknown placement never reached the book: sending it again cannot double it.
            resolving = false
            guard attempts < policy.maxAttempts, let order else { return [report("give up")] + fail("placement refused: \(said)", now) }
            attempts += 1
            return [report("resend"), ask(.place(order), after: policy.backoff(after: attempts - 1))]
        }
        if case .cancel = request, kind == .unknownOrder, let order {
            // Gone already (filled or closed since the last poll): its final state settles the run.
            settling = true
            return [ask(.query(clientOrderID: order.clientOrderID))]
        }
        switch policy.decide(after: attempts, kind, nature: request.nature) {
        case .retry(let after):
            attempts += 1
            return [report("retry in \(after) ms"), ask(request, after: after)]
        case .resyncClockThenRetry:
            attempts += 1
            return [report("resync the clock and retry"), .resyncClock, ask(request)]
        case .resolveByClientID:
            resolving = true
            guard case .place(let o) = request else { return [report("give up")] + fail(said, now) }
            return [report("look the order up by its client ID"), ask(.query(clientOrderID: o.clientOrderID), after: policy.backoff(after: attempts))]
        case .giveUp:
            attempts = 1
            switch request {
            case .query where tracker != nil && !settling, .query where resolving:
                // The order may be working: take it off the book rather than leave it unwatched.
                resolving = false
                guard let order else { return [report("give up")] + fail(said, now) }
                return [report("cancel the order")] + [ask(.cancel(clientOrderID: order.clientOrderID))]
            case .cancel:
                return [report("give up")] + fail("the order may still be open: \(said)", now)
            case .place:
                let reason: String
                switch kind {
                case .insufficientFunds: reason = "refused for funds: \(said)"
                case .belowMinNotional, .invalidOrder: reason = "refused as invalid: \(said)"
                default: reason = said
                }
                return [report("give up")] + fail(reason, now)
            default:
                return [report("give up")] + fail(said, now)
            }
        }
    }
}
