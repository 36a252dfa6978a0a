import MMBook
import MMCore
import MMExecution
import MMRisk
import MMSimCore
import MMStrategy

/// How a backtest runs: the engine's own settings plus the latencies and fees of the simulated venue.
public struct BacktestSettings: Sendable {
    /// Strategy tick, as `quoteIntervalMs`.
    public var quoteIntervalNanos: Int64 = 250_000_000
    /// Exchange → engine: market data and order reports reach the strategy this much later.
    public var feedLatencyNanos: Int64 = 0
    /// Engine → exchange: a request acts this much after it is sent; its answer takes as long again.
    public var orderLatencyNanos: Int64 = 0
    /// Maker and taker fee rates (Binance's defaults: 0.02 % and 0.05 %).
    public var makerFee = Ratio(raw: 20_000)
    public var takerFee = Ratio(raw: 50_000)
    public var limits: RiskLimits
    public var reconciler: QuoteReconciler
    /// At most this many points in the time series (the chart).
    public var maxSeriesPoints = 2_000
    /// Book levels per side the imbalance signal reads, and the trade-flow half-life.
    public var signalLevels = 5
    public var flowHalfLifeSeconds = 5.0

    public init(limits: RiskLimits, reconciler: QuoteReconciler) {
        self.limits = limits
        self.reconciler = reconciler
    }
}

/// Replays one recorded market through a quoting model and the engine's own `OrderManager` (the same
/// order handling, risk gate and reconciler as `mm run`), against the simulated venue's matching
/// (`SimExchange`: exchange filters, GTX, queue position behind the displayed size, maker/taker fees). One
/// thread, deterministic: the clock is the recording's.
///
/// Timeline: the exchange sees each recorded message at its receive time; the strategy sees it
/// `feedLatency` later, as it sees order reports. Requests act at the exchange `orderLatency` after they are
/// sent; their answers come back `orderLatency` after that.
public struct Backtester<Model: Strategy> {
    public let script: MarketScript
    public var model: Model
    public let settings: BacktestSettings

    public init(script: MarketScript, model: Model, settings: BacktestSettings) {
        self.script = script
        self.model = model
        self.settings = settings
    }

    /// Runs to the end of the recording. `progress` gets the fraction done, now and then.
    public mutating func run(progress: (Double) -> Void = { _ in }) -> BacktestResult {
        let instrument = script.instrument
        let venue = BacktestVenue(script: script, settings: settings)
        var config = OrderManager.Configuration(
            instrument: instrument, limits: settings.limits, reconciler: settings.reconciler, runPrefix: ClientOrderID("bt-1-")!,
            ownPrefix: ClientOrderID("bt-")!)
        config.heartbeatNanos = 0
        var session = OrderSession(manager: OrderManager(config))
        var view = OrderBook(instrument: instrument, levelCapacity: 8192)
        view.replace(with: script.snapshot)
        var signals = SignalTracker(levels: settings.signalLevels, flowHalfLifeSeconds: settings.flowHalfLifeSeconds)
        signals.observe(book: view)
        var viewUpdatedAt: Int64 = 0
        var intent = QuoteIntent()
        var result = BacktestResult(symbol: instrument.symbol, durationNanos: script.duration)
        let end = script.duration
        let sampleEvery = max(1_000_000_000, end / Int64(max(1, settings.maxSeriesPoints)))
        var nextSample: Int64 = 0
        var nextTick = settings.quoteIntervalNanos
        var step = 0
        var lastProgress = 0.0
        var atLimitSince: Int64?
        var lastDesired = (bid: Price.zero, ask: Price.zero)
        func moment(_ t: Int64) -> Moment { Moment(nanos: t, wallMillis: script.startMillis + t / 1_000_000) }

        session.handle(venue, at: moment(0)) { m in
            m.restore(PnLFigures(), at: moment(0))
            m.venueConfigured(at: moment(0))
            m.userStream(connected: true, at: moment(0))
        }

        func sample(_ t: Int64) {
            let account = venue.exchange.accounts[BacktestVenue.account]!
            let position = account.position(instrument.symbol)
            let top = venue.market.book.topOfBook(isSynced: true)
            let mid = top.mid ?? position.entryPrice
            let pnl = account.wallet - BacktestVenue.wallet + position.unrealized(at: mid)
            result.addSample(
                BacktestResult.Sample(nanos: t, mid: mid, bid: lastDesired.bid, ask: lastDesired.ask, position: position.quantity, pnl: pnl))
        }

        func marketState(_ t: Int64) -> MarketState {
            MarketState(top: view.topOfBook(isSynced: true), ageNanos: t - viewUpdatedAt)
        }

        func tick(_ t: Int64) {
            result.ticks += 1
            let halted = session.manager.tradingState == .halted
            let market = marketState(t)
            var top = market.top
            if t - viewUpdatedAt >= settings.limits.maxBookAgeMillis * 1_000_000 { top.isSynced = false }
            if halted {
                intent = QuoteIntent()
            } else {
                model.quote(MarketView(top: top, position: session.manager.position, nowNanos: t, signals: signals.signals(at: t)), into: &intent)
            }
            lastDesired = (.zero, .zero)
            intent.withUnsafeQuotes { quotes in
                for q in quotes {
                    if q.side == .buy, q.price > lastDesired.bid { lastDesired.bid = q.price }
                    if q.side == .sell, lastDesired.ask.isZero || q.price < lastDesired.ask { lastDesired.ask = q.price }
                }
            }
            let haltsBefore = session.manager.counters.halts
            session.handle(venue, at: moment(t)) { m in
                m.timer(moment(t), market: market)
                m.tick(intent, market: market, at: moment(t))
            }
            result.halts += session.manager.counters.halts - haltsBefore
        }

        while true {
            let nextStep = step < script.timeline.count ? script.timeline[step].at : Int64.max
            let t = min(nextStep, venue.queue.nextTime, nextTick, nextSample)
            if t > end { break }
            if t == nextSample {
                sample(t)
                nextSample += sampleEvery
            }
            // The exchange first: recorded messages, then requests arriving now.
            if t == nextStep {
                var sawDepth = false
                var trades: [Trade] = []
                venue.market.advance(to: t, nowMillis: t / 1_000_000) { event in
                    switch event {
                    case .depth(let d):
                        sawDepth = true
                        venue.queue.push(t + settings.feedLatencyNanos, .depth(d))
                    case .trade(let trade): trades.append(trade)
                    default: break
                    }
                }
                // As the venue does: resting orders see the step's book, then its trades.
                if sawDepth { venue.exchange.onDepth(venue.market) }
                for trade in trades {
                    result.trades += 1
                    venue.exchange.onTrade(trade, nowMillis: t / 1_000_000)
                    venue.queue.push(t + settings.feedLatencyNanos, .trade(trade))
                }
                venue.forwardReports(t, arriving: t + settings.feedLatencyNanos, into: &result)
                while step < script.timeline.count && script.timeline[step].at <= t { step += 1 }
            }
            while let item = venue.queue.pop(dueBy: t) {
                switch item {
                case .request(let action): venue.act(action, t, into: &result)
                case .depth(let d):
                    view.apply(d)
                    viewUpdatedAt = t
                    signals.observe(book: view)
                case .trade(let trade): signals.observeTrade(quantity: trade.quantity, buyerIsMaker: trade.buyerIsMaker, nanos: t)
                case .report(let r): session.handle(venue, at: moment(t)) { $0.report(r, at: moment(t)) }
                case .reply(let id, let kind, let reply):
                    if case .refused(_, let code, _) = reply { result.venueRejects[code, default: 0] += 1 }
                    session.handle(venue, at: moment(t)) { $0.reply(id, to: kind, reply, at: moment(t)) }
                case .cancelAllReply(let token): session.handle(venue, at: moment(t)) { $0.cancelAllReply(token: token, .done, at: moment(t)) }
                case .reconciled(let token, let snapshot): session.handle(venue, at: moment(t)) { $0.reconciled(token: token, snapshot, at: moment(t)) }
                }
            }
            if t == nextTick {
                tick(t)
                nextTick += settings.quoteIntervalNanos
            }
            let limit = settings.limits.maxNetPosition
            let position = venue.exchange.accounts[BacktestVenue.account]!.position(instrument.symbol).quantity
            if position.clampedMagnitude >= limit {
                if atLimitSince == nil { atLimitSince = t }
            } else if let since = atLimitSince {
                result.nanosAtLimit += t - since
                atLimitSince = nil
            }
            let done = Double(t) / Double(max(1, end))
            if done - lastProgress >= 0.01 {
                lastProgress = done
                progress(done)
            }
        }
        if let since = atLimitSince { result.nanosAtLimit += end - since }
        sample(end)
        let m = session.manager
        result.ordersSent = m.counters.placesSent
        for (r, n) in m.riskRejections { result.riskRejects[r.rawValue, default: 0] += n }
        let account = venue.exchange.accounts[BacktestVenue.account]!
        result.finish(
            position: account.position(instrument.symbol), wallet: account.wallet - BacktestVenue.wallet,
            mark: venue.market.book.topOfBook(isSynced: true).mid ?? .zero)
        progress(1)
        return result
    }
}

/// The simulated venue as the order manager's gateway: requests go into the delay queue, act on
/// `SimExchange` after the order latency, and their answers and reports come back as late again.
final class BacktestVenue: VenueGateway {
    static let account = "backtest"
    static let wallet = Notional(units: 1_000_000)
    var market: SimMarket
    var exchange: SimExchange
    var queue = DelayQueue<Delayed>()
    let settings: BacktestSettings
    let symbol: Symbol
    private var now: Int64 = 0

    /// Something on its way between the strategy and the exchange.
    enum Delayed {
        case depth(DepthUpdate)
        case trade(Trade)
        case report(ExecutionReport)
        case request(OrderAction)
        case reply(ClientOrderID, RequestKind, VenueReply)
        case cancelAllReply(UInt64)
        case reconciled(UInt64, VenueSnapshot)
    }

    init(script: MarketScript, settings: BacktestSettings) {
        market = SimMarket(script: script)
        exchange = SimExchange(accounts: [SimAccount(id: Self.account, wallet: Self.wallet)])
        exchange.makerFee = settings.makerFee
        exchange.takerFee = settings.takerFee
        self.settings = settings
        symbol = script.instrument.symbol
    }

    func execute(_ action: OrderAction, at now: Moment) {
        switch action {
        case .place, .modify, .cancel, .query, .cancelAll, .reconcile:
            queue.push(now.nanos + settings.orderLatencyNanos, .request(action))
        case .heartbeat, .reconnectUserStream, .journal, .note:
            break
        }
    }

    func endOfBatch(at now: Moment) {}

    /// A request reaches the exchange at `t`; its answer and the reports of what it did leave for the strategy.
    func act(_ action: OrderAction, _ t: Int64, into result: inout BacktestResult) {
        let reply = t + settings.orderLatencyNanos
        let nowMillis = t / 1_000_000
        func answer(_ id: ClientOrderID, _ kind: RequestKind, _ r: Result<SimOrder, Rejection>) {
            switch r {
            case .success(let o): queue.push(reply, .reply(id, kind, .accepted(Self.venueOrder(o))))
            case .failure(let e): queue.push(reply, .reply(id, kind, Self.reply(e)))
            }
        }
        switch action {
        case .place(let s):
            let request = s.kind == .postOnlyLimit
                ? OrderRequest(
                    symbol: symbol, side: s.side, kind: .limit, timeInForce: .postOnly, price: s.price, quantity: s.quantity,
                    clientOrderID: s.clientOrderID.description)
                : OrderRequest(symbol: symbol, side: s.side, kind: .market, quantity: s.quantity, reduceOnly: true, clientOrderID: s.clientOrderID.description)
            answer(s.clientOrderID, .place, exchange.place(request, account: Self.account, market: &market, nowMillis: nowMillis))
        case .cancel(let id):
            answer(id, .cancel, exchange.cancel(.client(id.description), account: Self.account, nowMillis: nowMillis))
        case .modify(let id, let side, let price, let quantity):
            answer(id, .modify, exchange.amend(
                .client(id.description), side: side, price: price, quantity: quantity, account: Self.account, market: market, nowMillis: nowMillis))
        case .query(let id):
            answer(id, .query, exchange.query(.client(id.description), account: Self.account))
        case .cancelAll(let token):
            exchange.cancelAll(account: Self.account, symbol: symbol, nowMillis: nowMillis)
            queue.push(reply, .cancelAllReply(token))
        case .reconcile(let token):
            let position = exchange.accounts[Self.account]!.position(symbol)
            let open = exchange.openOrders(account: Self.account, symbol: symbol).map(Self.venueOrder)
            queue.push(reply, .reconciled(token, VenueSnapshot(openOrders: open, position: position.quantity, entryPrice: position.entryPrice, positionTimeMillis: nowMillis)))
        case .heartbeat, .reconnectUserStream, .journal, .note:
            break
        }
        // Reports of what the request did go out with the reply.
        forwardReports(t, arriving: reply, into: &result)
    }

    /// The exchange's reports (acks, fills, cancels) of what happened at `t` travel back to the strategy,
    /// arriving at `arrival`.
    func forwardReports(_ t: Int64, arriving arrival: Int64, into result: inout BacktestResult) {
        for (_, event) in exchange.drainEvents() {
            guard case .order(let o, let execution, let fill) = event else { continue }
            queue.push(arrival, .report(ExecutionReport(o, execution: execution, fill: fill, nanos: t)))
            if let fill {
                result.addFill(.init(nanos: t, side: o.side, price: fill.price, quantity: fill.quantity, maker: fill.maker, fee: fill.fee))
            }
        }
    }

    static func venueOrder(_ o: SimOrder) -> VenueOrder {
        VenueOrder(
            clientOrderID: ClientOrderID(o.clientOrderID) ?? ClientOrderID(), venueOrderID: VenueOrderID(o.orderID), side: o.side, price: o.price,
            quantity: o.quantity, executed: o.executed, status: o.status, reduceOnly: o.reduceOnly)
    }

    /// What the venue refused, as the manager sees it (the same kinds as the live shell's, with the
    /// Binance codes the live venue would send).
    static func reply(_ r: Rejection) -> VenueReply {
        switch r {
        case .postOnlyWouldTake: .refused(.postOnlyWouldCross, code: -5022, retryAfterMillis: 0)
        case .unknownOrder: .refused(.unknownOrder, code: -2013, retryAfterMillis: 0)
        default: .refused(.invalid, code: -1, retryAfterMillis: 0)
        }
    }
}

/// Items due at given times, popped in time order (insertion order among equal times).
struct DelayQueue<Element> {
    private var items: [(at: Int64, seq: Int, element: Element)] = []
    private var head = 0
    private var seq = 0

    var nextTime: Int64 { head < items.count ? items[head].at : .max }

    mutating func push(_ at: Int64, _ e: Element) {
        seq += 1
        // Latencies are constant per kind, so items nearly always arrive in order: insert from the back.
        var i = items.count
        while i > head && items[i - 1].at > at { i -= 1 }
        items.insert((at, seq, e), at: i)
    }

    mutating func pop(dueBy t: Int64) -> Element? {
        guard head < items.count, items[head].at <= t else { return nil }
        let e = items[head].element
        head += 1
        if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }
}

extension ExecutionReport {
    /// The user-stream report the venue would send for this order event.
    init(_ o: SimOrder, execution: ExecutionType, fill: SimFill?, nanos: Int64) {
        self.init(
            symbol: o.symbol, clientOrderID: o.clientOrderID, venueOrderID: VenueOrderID(o.orderID), side: o.side, orderType: o.kind == .market ? "MARKET" : "LIMIT",
            timeInForce: o.timeInForce == .postOnly ? "GTX" : o.timeInForce == .goodTillCancel ? "GTC" : o.timeInForce == .fillOrKill ? "FOK" : "IOC", quantity: o.quantity, price: o.price, averagePrice: o.averagePrice, stopPrice: .zero,
            execution: execution, status: o.status,
            lastQuantity: fill?.quantity ?? .zero, lastPrice: fill?.price ?? .zero, cumulativeQuantity: o.executed,
            commission: fill?.fee ?? .zero, commissionAsset: fill?.commissionAsset ?? "USDT", tradeID: fill?.tradeID ?? 0, isMaker: fill?.maker ?? false,
            reduceOnly: o.reduceOnly, realizedPnL: fill?.realized ?? .zero, eventTime: UnixNanos(nanos), transactionTime: UnixNanos(nanos))
    }
}
