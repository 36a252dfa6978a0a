import MMBook
import MMCore
import MMRisk
import MMStrategy

/// Order management for one account and symbol, as a pure state machine: it owns our orders, the position
/// and PnL, the risk gate and the quote reconciler, takes events (time included) and returns actions. The
/// live venue shells and the backtester drive the same code; the shell does the I/O.
///
/// What it guarantees, after every input (the tests check each):
/// - every order of ours that may be live at the venue is tracked; a report or listing of an order of ours
///   it does not track is adopted and cancelled;
/// - the worst case of the position, counting every order that may be live at its largest size, stays
///   within the net position limit;
/// - once halted, cancels go on (backing off, honouring the venue's waits) until the venue confirms that
///   none of ours is open, and the dead-man heartbeat is no longer renewed;
/// - every request has a deadline; an unanswered one is an unknown outcome, resolved by a query by client
///   ID, never by sending it again; no client order ID is used twice;
/// - cancels go out whatever the state (stale book, user stream lost, reconciling).
public struct OrderManager: Sendable {
    /// What the manager enforces and how patient it is.
    public struct Configuration: Sendable {
        public var instrument: Instrument
        public var limits: RiskLimits
        public var reconciler: QuoteReconciler
        /// The start of every client order ID of this run (unique per run: e.g. `mmq-<start>-`).
        public var runPrefix: ClientOrderID
        /// What every order of this engine starts with, whatever the run (`mmq-`): how orphans are recognised.
        public var ownPrefix: ClientOrderID
        /// The asset PnL and fees are counted in (USDT); commissions in another asset are converted.
        public var settlementAsset: String
        /// On a spot market, the asset bought and sold (`QRL` of QRL/USDT): a buy's commission comes out of
        /// it, and is converted at the fill's own price. Nil on futures.
        public var baseAsset: String?
        /// Close the position reduce-only when a loss limit halts.
        public var flattenOnHalt = false
        /// How long a request may go unanswered: at least the venue's receive window, so that a request
        /// arriving after it would be refused and a query that does not find the order is final.
        public var requestTimeoutNanos: Int64 = 6_000_000_000
        /// After an acknowledged order, its report must come on the user stream within this (0: not checked).
        public var userEventTimeoutNanos: Int64 = 3_000_000_000
        /// Dead-man heartbeat period (0: none); the countdown asked for is three periods.
        public var heartbeatNanos: Int64 = 10_000_000_000
        /// How long the fills may disagree with the venue's position before the venue's is taken.
        public var driftLimitNanos: Int64 = 2_000_000_000
        /// First wait after a failed cancel-all, query or reconciliation, doubling to the cap.
        public var retryNanos: Int64 = 250_000_000
        public var maxRetryNanos: Int64 = 2_000_000_000
        /// Wait after a rate-limit refusal that named none.
        public var defaultRateLimitWaitNanos: Int64 = 10_000_000_000

        public init(
            instrument: Instrument, limits: RiskLimits, reconciler: QuoteReconciler, runPrefix: ClientOrderID, ownPrefix: ClientOrderID,
            settlementAsset: String = "USDT"
        ) {
            self.instrument = instrument
            self.limits = limits
            self.reconciler = reconciler
            self.runPrefix = runPrefix
            self.ownPrefix = ownPrefix
            self.settlementAsset = settlementAsset
        }
    }

    /// Counters for reports and metrics.
    public struct Counters: Sendable, Equatable {
        public var placesSent = 0
        public var placesAcknowledged = 0
        public var cancelsSent = 0
        public var modifiesSent = 0
        public var queriesSent = 0
        public var cancelAllsSent = 0
        public var reconciliations = 0
        public var venueRefusals = 0
        public var postOnlyRefusals = 0
        public var riskRejections = 0
        public var unknownOutcomes = 0
        public var adopted = 0
        public var halts = 0
        public var userStreamSilences = 0
        public var positionCorrections = 0
        public var implausibleReports = 0
        public var missedFills = 0
        public var quotePulls = 0
        public var heartbeats = 0
        public init() {}
    }

    public internal(set) var configuration: Configuration
    public internal(set) var orders: OrderTracker
    public internal(set) var keeper = PositionKeeper()
    public internal(set) var gate: RiskGate
    public internal(set) var figures = PnLFigures()
    public internal(set) var counters = Counters()
    /// Why trading is halted (nil: not halted).
    public internal(set) var haltReason: HaltReason?
    /// After a halt: the venue has confirmed that none of our orders is open.
    public internal(set) var haltConfirmed = false
    /// Shutting down: halted for good, heartbeat switched off once confirmed.
    public internal(set) var shuttingDown = false
    /// Risk rejections by code.
    public internal(set) var riskRejections: [RiskRejection: Int] = [:]
    /// Cancel-alls the venue confirmed.
    public internal(set) var cancelAllsCompleted = 0
    /// Venue refusals by the venue's code.
    public internal(set) var refusalsByCode: [Int: Int] = [:]

    // Venue readiness.
    var configured = false
    var userStreamUp = false
    var userStreamSilent = false
    var reconciledSinceConnect = false
    /// When the user stream was lost (monotonic; nil while up).
    var userStreamLostNanos: Int64? = 0

    // Work in progress.
    var sequence: UInt64 = 0
    var tokens: UInt64 = 0
    var lastMarket = MarketState(top: .empty, ageNanos: .max)
    var lastMarketNanos: Int64 = 0
    /// No request at all before this (a rate limit or ban), and no new order before the second.
    var blockedUntilNanos: Int64 = 0
    var newOrdersBlockedUntilNanos: Int64 = 0
    var reconcile = Retrying()
    var cancelAll = Retrying()
    /// The orders a cancel-all in flight covers: those the venue held before it was sent.
    var cancelAllCovers: [ClientOrderID] = []
    var nextHeartbeatNanos: Int64 = 0
    var heartbeatOn = false
    var flattenWanted = false
    var flattenAttempts = 0
    var flattenOrder: ClientOrderID?
    /// Prices of assets commissions may be charged in, in the settlement asset.
    var assetPrices: [String: Price] = [:]
    // Scratch, reused each tick.
    var openScratch = FixedList<OpenOrder>()
    var commandScratch = FixedList<OrderCommand>()
    /// Where `rehearse` leaves its result (never read).
    var rehearsalSink: Int64 = 0
    var actions: [OrderAction] = []
    /// The risk context of the tick being handled, updated as its orders are sent (nil outside a tick).
    var tickContext: RiskContext?

    /// A request that is retried until it succeeds: in flight (with its token and deadline) or due.
    struct Retrying: Sendable {
        var wanted = false
        var token: UInt64 = 0
        var inFlight = false
        var sentNanos: Int64 = 0
        var deadlineNanos: Int64 = .max
        var dueNanos: Int64 = 0
        var waitNanos: Int64 = 0
        var again = false
    }

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        orders = OrderTracker(symbol: configuration.instrument.symbol)
        gate = RiskGate(instrument: configuration.instrument, limits: configuration.limits)
        actions.reserveCapacity(256)
        cancelAllCovers.reserveCapacity(64)
    }

    // MARK: Output

    /// Moves the actions produced so far into `buffer` (which must be empty); the manager keeps `buffer`'s
    /// old storage for the next ones, so nothing is allocated once both have grown.
    public mutating func takeActions(into buffer: inout [OrderAction]) {
        swap(&actions, &buffer)
    }

    /// The actions produced so far, removed (tests; allocates).
    public mutating func drainActions() -> [OrderAction] {
        let a = actions
        actions.removeAll(keepingCapacity: true)
        return a
    }

    @inline(__always) mutating func emit(_ a: OrderAction) { actions.append(a) }
    @inline(__always) mutating func note(_ e: ManagerEvent) { actions.append(.note(e)) }

    // MARK: State

    /// The venue side is ready for new orders: configured, user stream connected and proven not silent,
    /// reconciled since it connected.
    public var isReady: Bool { configured && userStreamUp && !userStreamSilent && reconciledSinceConnect && !shuttingDown }

    /// The user stream is connected (it may still be proven silent).
    public var userStreamConnected: Bool { userStreamUp }

    public var tradingState: TradingState { haltReason != nil ? .halted : gate.state }
    public var position: Quantity { keeper.position }
    public var entryPrice: Price { keeper.entryPrice }

    /// Unrealized PnL at the last market seen (entry price when there is none).
    public var unrealized: Notional { keeper.unrealized(at: lastMarket.top.mid ?? keeper.entryPrice) }

    /// Today's PnL (realized after fees and funding, plus unrealized).
    public var dayPnL: Notional { figures.dayNet.clampedAdding(unrealized) }

    /// Open (possibly live) orders.
    public var openOrderCount: Int { orders.count }

    /// Whether every request the manager made is settled: no order with a request in flight or unknown.
    public var isQuiet: Bool {
        orders.all.allSatisfy { $0.state == .open } && !cancelAll.inFlight && !cancelAll.wanted && !reconcile.inFlight && !reconcile.wanted
    }

    // MARK: Inputs: the venue side

    /// The shell has checked and configured the account (position mode, leverage, margin, fees).
    public mutating func venueConfigured(at now: Moment) {
        configured = true
        timer(now)
    }

    /// The user data stream connected (or reconnected) or was lost. On connect, the manager reconciles
    /// before it quotes again (events of the gap are in the venue's books, not the stream).
    public mutating func userStream(connected: Bool, at now: Moment) {
        if connected {
            userStreamUp = true
            userStreamSilent = false
            reconciledSinceConnect = false
            requestReconcile(now)
        } else {
            if userStreamUp || userStreamLostNanos == nil { userStreamLostNanos = now.nanos }
            userStreamUp = false
            reconciledSinceConnect = false
            pullQuotes(now)
        }
        flushWork(now)
    }

    /// The venue asked for a wait (a 429 or ban seen by another request): nothing is sent before `untilNanos`.
    public mutating func rateLimited(untilNanos: Int64) {
        blockedUntilNanos = max(blockedUntilNanos, untilNanos)
    }

    /// Usage near one of the venue's limits: new orders wait until `nanos` (cancels do not).
    public mutating func throttleNewOrders(until nanos: Int64) {
        newOrdersBlockedUntilNanos = max(newOrdersBlockedUntilNanos, nanos)
    }

    /// The price of an asset commissions may be charged in (BNB), in the settlement asset.
    public mutating func assetPrice(_ asset: String, _ price: Price) {
        assetPrices[asset] = price
    }

    /// Figures restored at start: the journal's (and the venue's income history) for today and since the
    /// cumulative start. Trades in them are not counted again.
    public mutating func restore(_ restored: PnLFigures, tradeIDs: [Int64] = [], at now: Moment) {
        figures = restored
        keeper.remember(tradeIDs: tradeIDs)
        rollDay(now)
    }

    /// Today's figures from the venue's income history: the truth when fills happened while nobody listened.
    /// The difference to the manager's figures is added to the cumulative ones too.
    public mutating func venueDay(realized: Notional, fees: Notional, funding: Notional, tradeIDs: [Int64], at now: Moment) {
        keeper.remember(tradeIDs: tradeIDs)
        let delta = (realized.clampedSubtracting(figures.dayRealized), fees.clampedSubtracting(figures.dayFees), funding.clampedSubtracting(figures.dayFunding))
        guard delta.0 != .zero || delta.1 != .zero || delta.2 != .zero else { return }
        figures.dayRealized = realized
        figures.dayFees = fees
        figures.dayFunding = funding
        figures.totalRealized = figures.totalRealized.clampedAdding(delta.0)
        figures.totalFees = figures.totalFees.clampedAdding(delta.1)
        figures.totalFunding = figures.totalFunding.clampedAdding(delta.2)
        emit(.journal(.pnl(figures, wallMillis: now.wallMillis)))
        evaluateLimits(now)
        flushWork(now)
    }

    /// The journal could not be written: nothing more may be sent that it cannot record.
    public mutating func journalFailed(at now: Moment) {
        enterHalt(.journalFailure, now)
        flushWork(now)
    }

    // MARK: Inputs: configuration and operator

    /// New limits (a reload). The trading state and today's figures stay.
    public mutating func setLimits(_ limits: RiskLimits, at now: Moment) {
        configuration.limits = limits
        gate.limits = limits
        evaluateLimits(now)
    }

    /// New reconciler settings and halt behaviour (a reload).
    public mutating func setQuoting(reconciler: QuoteReconciler, flattenOnHalt: Bool) {
        configuration.reconciler = reconciler
        configuration.flattenOnHalt = flattenOnHalt
    }

    /// What an operator may ask.
    public enum Command: Sendable, Equatable {
        /// Halt: cancel everything and stop quoting until resumed.
        case halt
        case resume
        /// Cancel every open order now; quoting goes on unless halted.
        case cancelAll
        /// Halt (if not already) and close the position reduce-only.
        case flatten
        /// Halt for good and, once the venue confirms nothing is open, switch the heartbeat off.
        case shutdown
    }

    public mutating func command(_ c: Command, at now: Moment) {
        switch c {
        case .halt:
            enterHalt(.operatorHalt, now)
        case .resume:
            guard !shuttingDown else { return }
            if haltReason != nil || gate.state != .active {
                gate.reset(to: .active)
                haltReason = nil
                haltConfirmed = false
                cancelAll = Retrying()
                flattenWanted = false
                nextHeartbeatNanos = now.nanos
                emit(.journal(.resume(wallMillis: now.wallMillis)))
                note(.resumed)
            }
        case .cancelAll:
            requestCancelAll(now, force: true)
        case .flatten:
            enterHalt(.operatorHalt, now)
            if keeper.position.raw != 0 {
                flattenWanted = true
                flattenAttempts = 0
            }
        case .shutdown:
            shuttingDown = true
            enterHalt(.shutdown, now)
        }
        flushWork(now)
    }

    /// Done shutting down: halted, nothing of ours open at the venue, heartbeat off.
    public var shutdownComplete: Bool { shuttingDown && haltConfirmed && !heartbeatOn }

    // MARK: Inputs: strategy and time

    /// One strategy tick: the desired quotes against the market the strategy saw.
    public mutating func tick(_ intent: QuoteIntent, market: MarketState, at now: Moment) {
        observe(market, now)
        rollDay(now)
        evaluateLimits(now)
        if haltReason != nil {
            flushWork(now)
            return
        }
        let bookOK = market.top.isSynced && market.ageNanos <= configuration.limits.maxBookAgeMillis * 1_000_000 && market.top.mid != nil
        guard bookOK && isReady else {
            pullQuotes(now)
            flushWork(now)
            return
        }
        orders.quotable(into: &openScratch)
        let reconciler = configuration.reconciler
        reconciler.reconcile(desired: intent, open: &openScratch, into: &commandScratch)
        if commandScratch.isEmpty {
            flushWork(now)
            return
        }
        // One context for the tick's orders, kept up to date as each is sent.
        tickContext = riskContext(now)
        for i in 0..<commandScratch.count {
            switch commandScratch[i] {
            case .cancel(let id): requestCancel(id, now)
            case .place(let q): place(q, now)
            case .modify(let id, let q): modify(id, q, now)
            }
        }
        tickContext = nil
        flushWork(now)
    }

    /// Runs the part of a tick that changes nothing, with `intent`: the quotable orders listed, the intent
    /// reconciled against them, the risk context built. Nothing of it is kept, and no later input, action or
    /// reading can tell it ran; the next `tick` finds that code and data in the caches (a shell calls this
    /// shortly before a tick, with the last tick's intent).
    public mutating func rehearse(_ intent: QuoteIntent, at now: Moment) {
        orders.quotable(into: &openScratch)
        configuration.reconciler.reconcile(desired: intent, open: &openScratch, into: &commandScratch)
        let context = riskContext(now)
        // Kept so that the work is not optimized away; never read.
        rehearsalSink = context.position.raw &+ context.openBuy.raw &+ Int64(truncatingIfNeeded: commandScratch.count)
        commandScratch.removeAll()
        openScratch.removeAll()
    }

    /// Time passes: deadlines, retries, the heartbeat, limits on the latest market.
    public mutating func timer(_ now: Moment, market: MarketState? = nil) {
        if let market { observe(market, now) }
        rollDay(now)
        expireDeadlines(now)
        checkUserStream(now)
        if let oldest = orders.settling.first, now.nanos - oldest.closedNanos > 2 * configuration.driftLimitNanos {
            // Their final reports have not come: the venue's listing settles them.
            requestReconcile(now)
        }
        if let c = keeper.settle(nowNanos: now.nanos, driftLimitNanos: configuration.driftLimitNanos) {
            counters.positionCorrections += 1
            note(.positionCorrected(from: c.from, to: c.to))
            requestReconcile(now)
        }
        evaluateLimits(now)
        if haltReason == nil && (!isReady || marketAge(now) > configuration.limits.maxBookAgeMillis * 1_000_000 || !lastMarket.top.isSynced) {
            pullQuotes(now)
        }
        flushWork(now)
    }

    mutating func observe(_ market: MarketState, _ now: Moment) {
        lastMarket = market
        lastMarketNanos = now.nanos
    }

    /// How old the last market seen is by now.
    func marketAge(_ now: Moment) -> Int64 {
        guard lastMarketNanos != 0, lastMarket.ageNanos != .max else { return .max }
        return lastMarket.ageNanos.addingReportingOverflow(now.nanos - lastMarketNanos).partialValue
    }

    /// At UTC midnight today's figures start again (the cumulative ones do not).
    mutating func rollDay(_ now: Moment) {
        let dayStart = now.wallMillis - now.wallMillis % 86_400_000
        guard dayStart > figures.dayStartMillis else { return }
        let first = figures.dayStartMillis == 0
        figures.startDay(dayStart)
        if figures.sinceMillis == 0 { figures.sinceMillis = dayStart }
        if !first {
            gate.startNewDay()
            note(.newTradingDay)
        }
        emit(.journal(.pnl(figures, wallMillis: now.wallMillis)))
    }

    // MARK: Risk

    /// The risk gate's view: the position at its worst, every possibly-live order, both PnL figures.
    /// `mutating` only so that calling it from the manager's mutating methods passes the manager by address
    /// (a non-mutating call copied all 5.7 KB of it first).
    mutating func riskContext(_ now: Moment) -> RiskContext {
        let exposure = orders.exposure()
        let bounds = keeper.bounds
        let top = lastMarket.top
        let unrealized = keeper.unrealized(at: top.mid ?? keeper.entryPrice)
        return RiskContext(
            position: keeper.position, openBuy: exposure.buy, openSell: exposure.sell, openOrders: exposure.count,
            realizedToday: figures.dayNet, unrealized: unrealized, top: top,
            bookAgeMillis: lastMarket.ageNanos == .max ? .max : lastMarket.ageNanos / 1_000_000,
            userStreamAgeMillis: userStreamLostNanos.map { $0 == 0 ? 0 : (now.nanos - $0) / 1_000_000 } ?? 0, nowNanos: now.nanos,
            realizedTotal: figures.totalNet, positionLow: bounds.low, positionHigh: bounds.high)
    }

    /// Loss limits on the current figures; a breach halts.
    mutating func evaluateLimits(_ now: Moment) {
        guard haltReason == nil else { return }
        let context = riskContext(now)
        if gate.evaluate(context) == .halted {
            let reason: HaltReason
            switch gate.haltReason {
            case .stopLoss?: reason = .stopLoss
            case .drawdown?: reason = .drawdown
            default: reason = .dailyLoss
            }
            enterHalt(reason, now)
        }
    }

    mutating func countRisk(_ r: RiskRejection) {
        counters.riskRejections += 1
        riskRejections[r, default: 0] += 1
        note(.riskRejected(r))
    }

    // MARK: Orders

    mutating func nextID() -> ClientOrderID? {
        sequence += 1
        return ClientOrderID(prefix: configuration.runPrefix, sequence: sequence)
    }

    mutating func place(_ q: Quote, _ now: Moment) {
        if now.nanos < blockedUntilNanos || now.nanos < newOrdersBlockedUntilNanos {
            countRisk(.gatewayBackpressure)
            return
        }
        let context = tickContext ?? riskContext(now)
        let decision = gate.check(OrderIntent(side: q.side, price: q.price, quantity: q.quantity), context)
        if case .reject(let r) = decision {
            countRisk(r)
            return
        }
        guard let id = nextID() else { return }
        send(OrderSpec(kind: .postOnlyLimit, clientOrderID: id, side: q.side, price: q.price, quantity: q.quantity), now)
        if tickContext != nil {
            if q.side == .buy { tickContext!.openBuy += q.quantity } else { tickContext!.openSell += q.quantity }
            tickContext!.openOrders += 1
        }
    }

    mutating func send(_ spec: OrderSpec, _ now: Moment) {
        orders[spec.clientOrderID] = TrackedOrder(
            clientOrderID: spec.clientOrderID, kind: spec.kind, side: spec.side, price: spec.price, quantity: spec.quantity, state: .pendingNew,
            request: .place, deadlineNanos: now.nanos &+ configuration.requestTimeoutNanos, sentNanos: now.nanos,
            expiresNanos: now.nanos &+ configuration.requestTimeoutNanos)
        counters.placesSent += 1
        emit(.journal(.sent(spec.clientOrderID, spec.side, price: spec.price, quantity: spec.quantity, reduceOnly: spec.reduceOnly, wallMillis: now.wallMillis)))
        emit(.place(spec))
    }

    mutating func modify(_ id: ClientOrderID, _ q: Quote, _ now: Moment) {
        guard var o = orders[id], o.state == .open, !o.cancelWanted else { return }
        if now.nanos < blockedUntilNanos || now.nanos < newOrdersBlockedUntilNanos {
            countRisk(.gatewayBackpressure)
            return
        }
        // The gate sees the new size on top of the old one: until the venue answers, either may rest.
        tickContext = nil
        let context = riskContext(now)
        let decision = gate.check(OrderIntent(side: q.side, price: q.price, quantity: q.quantity), context)
        if case .reject(let r) = decision {
            countRisk(r)
            requestCancel(id, now)
            return
        }
        let total = o.filled.clampedAdding(q.quantity)
        o.state = .pendingModify
        o.request = .modify
        o.targetPrice = q.price
        o.targetQuantity = total
        o.sentNanos = now.nanos
        o.deadlineNanos = now.nanos &+ configuration.requestTimeoutNanos
        orders[id] = o
        counters.modifiesSent += 1
        emit(.journal(.modifySent(id, price: q.price, quantity: total, wallMillis: now.wallMillis)))
        emit(.modify(id, side: o.side, price: q.price, quantity: total))
    }

    /// Cancels an order now if that can be done safely, or as soon as it can: an order whose place is
    /// unanswered (within its deadline) is cancelled once the venue has it; a rate limit defers it.
    mutating func requestCancel(_ id: ClientOrderID, _ now: Moment) {
        guard var o = orders[id] else { return }
        switch o.state {
        case .pendingCancel:
            return
        case .pendingNew:
            o.cancelWanted = true
            orders[id] = o
            return
        case .unknown where now.nanos < o.deadlineNanos && o.request == .place:
            o.cancelWanted = true
            orders[id] = o
            return
        case .unknown where o.request == .query && now.nanos < o.deadlineNanos:
            // A query is in flight; its answer decides.
            o.cancelWanted = true
            orders[id] = o
            return
        case .open, .pendingModify, .unknown:
            break
        }
        if now.nanos < blockedUntilNanos {
            o.cancelWanted = true
            orders[id] = o
            return
        }
        o.state = .pendingCancel
        o.request = .cancel
        o.cancelWanted = false
        o.sentNanos = now.nanos
        o.deadlineNanos = now.nanos &+ configuration.requestTimeoutNanos
        o.attempts &+= 1
        orders[id] = o
        counters.cancelsSent += 1
        emit(.journal(.cancelSent(id, wallMillis: now.wallMillis)))
        emit(.cancel(id))
    }

    /// Cancels every order of ours (quotes pulled): the book is stale or the venue side is not ready.
    mutating func pullQuotes(_ now: Moment) {
        var pulled = false
        // By index: cancelling changes the orders (never their number).
        for i in 0..<orders.count {
            let o = orders.at(i)
            guard o.state != .pendingCancel && !o.cancelWanted && o.kind == .postOnlyLimit else { continue }
            requestCancel(o.clientOrderID, now)
            pulled = true
        }
        if pulled {
            counters.quotePulls += 1
            note(.quotesPulled)
        }
    }

    /// Starts a query for an order whose outcome is unknown.
    mutating func query(_ id: ClientOrderID, _ now: Moment) {
        guard var o = orders[id], now.nanos >= blockedUntilNanos else { return }
        o.state = .unknown
        if o.request != .query { o.attempts = 0 }
        o.request = .query
        o.attempts &+= 1
        o.sentNanos = now.nanos
        o.deadlineNanos = now.nanos &+ configuration.requestTimeoutNanos
        orders[id] = o
        counters.queriesSent += 1
        emit(.query(id))
    }

    /// Requests past their deadline become unknown outcomes (and are queried); queries past theirs are tried
    /// again, backing off.
    mutating func expireDeadlines(_ now: Moment) {
        for i in 0..<orders.count {
            let o = orders.at(i)
            let id = o.clientOrderID
            guard now.nanos >= o.deadlineNanos else { continue }
            switch o.state {
            case .pendingNew, .pendingCancel, .pendingModify:
                var u = o
                u.state = .unknown
                orders[id] = u
                counters.unknownOutcomes += 1
                note(.unknownOutcome(id, o.request))
                query(id, now)
            case .unknown:
                if o.cancelWanted && o.request != .query {
                    requestCancel(id, now)
                } else {
                    query(id, now)
                }
            case .open:
                break
            }
        }
        for i in 0..<orders.count where orders.at(i).state == .open && orders.at(i).cancelWanted {
            requestCancel(orders.at(i).clientOrderID, now)
        }
    }

    /// The user stream is connected but silent: an acknowledged order's report never came.
    mutating func checkUserStream(_ now: Moment) {
        let limit = configuration.userEventTimeoutNanos
        guard limit > 0, userStreamUp, !userStreamSilent else { return }
        for o in orders.all where o.ackedNanos > 0 && !o.reportSeen && now.nanos - o.ackedNanos > limit {
            userStreamSilent = true
            reconciledSinceConnect = false
            counters.userStreamSilences += 1
            note(.userStreamSilent)
            emit(.reconnectUserStream)
            pullQuotes(now)
            return
        }
    }
}
