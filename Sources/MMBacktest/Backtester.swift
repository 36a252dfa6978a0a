import MMBook
import MMCore
import MMExecution
import MMRisk
import MMSim
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

    public init(limits: RiskLimits, reconciler: QuoteReconciler) {
        self.limits = limits
        self.reconciler = reconciler
    }
}

/// Replays one recorded market through a quoting model, the engine's `QuoteReconciler`, `RiskGate` and
/// `OrderTracker`, against the simulated venue's matching (`SimExchange`: exchange filters, GTX, queue
/// position behind the displayed size, maker/taker fees). One thread, deterministic: the clock is the
/// recording's.
///
/// Timeline: the exchange sees each recorded message at its receive time; the strategy sees it
/// `feedLatency` later, as it sees order reports. Orders act at the exchange `orderLatency` after the
/// tick that sent them; acknowledgements and rejections come back `orderLatency` after that.
public struct Backtester<Model: Strategy> {
    public let script: MarketScript
    public var model: Model
    public let settings: BacktestSettings

    public init(script: MarketScript, model: Model, settings: BacktestSettings) {
        self.script = script
        self.model = model
        self.settings = settings
    }

    /// Something on its way between the strategy and the exchange.
    enum Delayed {
        case depth(DepthUpdate)
        case report(ExecutionReport)
        case rejected(ClientOrderID, code: Int)
        case request(Request)
    }

    enum Request {
        case place(ClientOrderID, Quote)
        case cancel(ClientOrderID)
        case modify(ClientOrderID, Quote, total: Quantity)
    }

    /// Runs to the end of the recording. `progress` gets the fraction done, now and then.
    public mutating func run(progress: (Double) -> Void = { _ in }) -> BacktestResult {
        let instrument = script.instrument
        let apiKey = "backtest"
        var market = SimMarket(script: script)
        var exchange = SimExchange(accounts: [SimAccount(apiKey: apiKey, secret: "backtest", wallet: Notional(units: 1_000_000))])
        exchange.makerFee = settings.makerFee
        exchange.takerFee = settings.takerFee
        var view = OrderBook(instrument: instrument, levelCapacity: 8192)
        view.replace(with: script.snapshot)
        var viewUpdatedAt: Int64 = 0
        var tracker = OrderTracker(symbol: instrument.symbol)
        var gate = RiskGate(instrument: instrument, limits: settings.limits)
        var intent = QuoteIntent()
        var open = FixedList<OpenOrder>()
        var commands = FixedList<OrderCommand>()
        var queue = DelayQueue<Delayed>()
        var result = BacktestResult(symbol: instrument.symbol, durationNanos: script.duration)
        var sequence: UInt64 = 0
        let prefix = ClientOrderID("bt-")!
        let end = script.duration
        let sampleEvery = max(1_000_000_000, end / Int64(max(1, settings.maxSeriesPoints)))
        var nextSample: Int64 = 0
        var nextTick = settings.quoteIntervalNanos
        var step = 0
        var lastProgress = 0.0
        var atLimitSince: Int64?
        var lastDesired = (bid: Price.zero, ask: Price.zero)

        func sample(_ t: Int64) {
            let account = exchange.accounts[apiKey]!
            let position = account.position(instrument.symbol)
            let top = market.book.topOfBook(isSynced: true)
            let mid = top.mid ?? position.entryPrice
            let pnl = account.wallet - Notional(units: 1_000_000) + position.unrealized(at: mid)
            result.addSample(
                BacktestResult.Sample(nanos: t, mid: mid, bid: lastDesired.bid, ask: lastDesired.ask, position: position.quantity, pnl: pnl))
        }

        /// The exchange's reports (acks, fills, cancels) of what happened at `t` travel back to the strategy,
        /// arriving at `arrival`.
        func forwardReports(_ t: Int64, arriving arrival: Int64) {
            for (_, event) in exchange.drainEvents() {
                guard case .order(let o, let execution, let fill) = event else { continue }
                queue.push(arrival, .report(ExecutionReport(o, execution: execution, fill: fill, nanos: t)))
                if let fill {
                    result.addFill(.init(nanos: t, side: o.side, price: fill.price, quantity: fill.quantity, maker: fill.maker, fee: fill.fee))
                }
            }
        }

        func act(_ request: Request, _ t: Int64) {
            var p: [String: String] = ["symbol": instrument.symbol.description]
            let reply = t + settings.orderLatencyNanos
            switch request {
            case .place(let id, let q):
                p["side"] = q.side == .buy ? "BUY" : "SELL"
                p["type"] = "LIMIT"
                p["timeInForce"] = "GTX"
                p["price"] = q.price.description
                p["quantity"] = q.quantity.description
                p["newClientOrderId"] = id.description
                if case .failure(let e) = exchange.newOrder(apiKey: apiKey, p, market: market, nowMillis: t / 1_000_000) {
                    queue.push(reply, .rejected(id, code: e.code))
                }
            case .cancel(let id):
                p["origClientOrderId"] = id.description
                _ = exchange.cancel(apiKey: apiKey, p, nowMillis: t / 1_000_000)
            case .modify(let id, let q, let total):
                p["origClientOrderId"] = id.description
                p["side"] = q.side == .buy ? "BUY" : "SELL"
                p["price"] = q.price.description
                p["quantity"] = total.description
                if case .failure(let e) = exchange.modify(apiKey: apiKey, p, market: market, nowMillis: t / 1_000_000) {
                    queue.push(reply, .rejected(id, code: e.code))
                }
            }
            // Reports of what the request did go out with the reply.
            forwardReports(t, arriving: reply)
        }

        func riskContext(_ t: Int64) -> RiskContext {
            let top = view.topOfBook(isSynced: true)
            let exposure = tracker.exposure()
            let mark = top.mid ?? tracker.entryPrice
            return RiskContext(
                position: tracker.position, openBuy: exposure.buy, openSell: exposure.sell, openOrders: exposure.count,
                realizedToday: tracker.realizedNet, unrealized: tracker.unrealized(at: mark), top: top,
                bookAgeMillis: (t - viewUpdatedAt) / 1_000_000, userStreamAgeMillis: 0, nowNanos: t)
        }

        func tick(_ t: Int64) {
            result.ticks += 1
            let before = gate.state
            if gate.evaluate(riskContext(t)) == .halted {
                if before != .halted { result.halts += 1 }
                // Halted: everything resting is cancelled, nothing new.
                for (id, o) in tracker.orders where o.state != .pendingCancel {
                    tracker.cancelSent(id, nowNanos: t)
                    queue.push(t + settings.orderLatencyNanos, .request(.cancel(id)))
                }
                lastDesired = (.zero, .zero)
                return
            }
            model.quote(MarketView(top: view.topOfBook(isSynced: (t - viewUpdatedAt) < settings.limits.maxBookAgeMillis * 1_000_000),
                position: tracker.position, nowNanos: t), into: &intent)
            lastDesired = (.zero, .zero)
            intent.withUnsafeQuotes { quotes in
                for q in quotes {
                    if q.side == .buy, q.price > lastDesired.bid { lastDesired.bid = q.price }
                    if q.side == .sell, lastDesired.ask.isZero || q.price < lastDesired.ask { lastDesired.ask = q.price }
                }
            }
            tracker.quotable(into: &open)
            settings.reconciler.reconcile(desired: intent, open: open, into: &commands)
            for i in 0..<commands.count {
                switch commands[i] {
                case .cancel(let id):
                    tracker.cancelSent(id, nowNanos: t)
                    queue.push(t + settings.orderLatencyNanos, .request(.cancel(id)))
                case .place(let q):
                    if case .reject(let r) = gate.check(OrderIntent(side: q.side, price: q.price, quantity: q.quantity), riskContext(t)) {
                        result.riskRejects[r.rawValue, default: 0] += 1
                        continue
                    }
                    sequence += 1
                    guard let id = ClientOrderID(prefix: prefix, sequence: sequence) else { continue }
                    tracker.sent(id, q.side, price: q.price, quantity: q.quantity, nowNanos: t)
                    result.ordersSent += 1
                    queue.push(t + settings.orderLatencyNanos, .request(.place(id, q)))
                case .modify(let id, let q):
                    guard let o = tracker.orders[id], o.state == .open else { continue }
                    if case .reject(let r) = gate.check(OrderIntent(side: q.side, price: q.price, quantity: q.quantity), riskContext(t)) {
                        result.riskRejects[r.rawValue, default: 0] += 1
                        tracker.cancelSent(id, nowNanos: t)
                        queue.push(t + settings.orderLatencyNanos, .request(.cancel(id)))
                        continue
                    }
                    tracker.modifySent(id, nowNanos: t)
                    queue.push(t + settings.orderLatencyNanos, .request(.modify(id, q, total: o.filled + q.quantity)))
                }
            }
        }

        while true {
            let nextStep = step < script.timeline.count ? script.timeline[step].at : Int64.max
            let t = min(nextStep, queue.nextTime, nextTick, nextSample)
            if t > end { break }
            if t == nextSample {
                sample(t)
                nextSample += sampleEvery
            }
            // The exchange first: recorded messages, then requests arriving now.
            if t == nextStep {
                var sawDepth = false
                var trades: [Trade] = []
                market.advance(to: t, nowMillis: t / 1_000_000) { event in
                    switch event {
                    case .depth(let d):
                        sawDepth = true
                        queue.push(t + settings.feedLatencyNanos, .depth(d))
                    case .trade(let trade): trades.append(trade)
                    default: break
                    }
                }
                // As the venue does: resting orders see the step's book, then its trades.
                if sawDepth { exchange.onDepth(market) }
                for trade in trades {
                    result.trades += 1
                    exchange.onTrade(trade, nowMillis: t / 1_000_000)
                }
                forwardReports(t, arriving: t + settings.feedLatencyNanos)
                while step < script.timeline.count && script.timeline[step].at <= t { step += 1 }
            }
            while let item = queue.pop(dueBy: t) {
                switch item {
                case .request(let r): act(r, t)
                case .depth(let d):
                    view.apply(d)
                    viewUpdatedAt = t
                case .report(let r):
                    _ = tracker.apply(r)
                case .rejected(let id, let code):
                    result.venueRejects[code, default: 0] += 1
                    _ = tracker.rejected(id, code: code)
                }
            }
            if t == nextTick {
                tick(t)
                nextTick += settings.quoteIntervalNanos
            }
            let limit = settings.limits.maxNetPosition
            let position = exchange.accounts[apiKey]!.position(instrument.symbol).quantity
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
        let account = exchange.accounts[apiKey]!
        result.finish(
            position: account.position(instrument.symbol), wallet: account.wallet - Notional(units: 1_000_000),
            mark: market.book.topOfBook(isSynced: true).mid ?? .zero)
        progress(1)
        return result
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
    init(_ o: SimOrder, execution: String, fill: SimFill?, nanos: Int64) {
        self.init(
            symbol: o.symbol, clientOrderID: o.clientOrderID, venueOrderID: VenueOrderID(o.orderID), side: o.side, orderType: o.type,
            timeInForce: o.timeInForce, quantity: o.quantity, price: o.price, averagePrice: o.averagePrice, stopPrice: .zero,
            execution: ExecutionType(rawValue: execution) ?? .new, status: OrderStatus(rawValue: o.status) ?? .new,
            lastQuantity: fill?.quantity ?? .zero, lastPrice: fill?.price ?? .zero, cumulativeQuantity: o.executed,
            commission: fill?.fee ?? .zero, commissionAsset: "USDT", tradeID: fill?.tradeID ?? 0, isMaker: fill?.maker ?? false,
            reduceOnly: o.reduceOnly, realizedPnL: fill?.realized ?? .zero, eventTime: UnixNanos(nanos), transactionTime: UnixNanos(nanos))
    }
}
