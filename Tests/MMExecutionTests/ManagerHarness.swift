import MMBook
import MMCore
import MMExecution
import MMRisk
import MMStrategy

/// An order manager on BTCUSDT with a clock, ready-made inputs and the actions it returned.
struct Harness {
    static let btc = try! Instrument(
        symbol: Symbol("BTCUSDT")!, tickSize: "0.10", stepSize: "0.001", minQuantity: "0.001", minNotional: "5")
    var m: OrderManager
    var now = Moment(nanos: 1_000_000_000, wallMillis: 1_780_000_000_000 - 1_780_000_000_000 % 86_400_000 + 3_600_000)
    /// Everything the manager asked for, in order.
    var log: [OrderAction] = []
    var bid = Price("60000")!
    var ask = Price("60010")!

    static func limits(netMax: String = "0.01", dailyMax: String = "50", stopLoss: String = "-100") -> RiskLimits {
        RiskLimits(
            maxOrderNotional: Notional(units: 10_000), maxNetPosition: Quantity(netMax)!, dailyLossLimit: Notional(dailyMax)!,
            stopLoss: Notional(stopLoss)!, maxDrawdown: Notional(units: 1000), maxOrdersPerSecond: 1000, maxOpenOrders: 50)
    }

    init(limits: RiskLimits = Harness.limits(), _ adjust: (inout OrderManager.Configuration) -> Void = { _ in }) {
        var c = OrderManager.Configuration(
            instrument: Self.btc, limits: limits, reconciler: QuoteReconciler(tickSize: Self.btc.tickSize), runPrefix: ClientOrderID("mmq-run1-")!,
            ownPrefix: ClientOrderID("mmq-")!)
        adjust(&c)
        m = OrderManager(c)
    }

    var market: MarketState {
        MarketState(
            top: TopOfBook(
                bidPrice: bid, bidQuantity: Quantity("1")!, askPrice: ask, askQuantity: Quantity("1")!, updateID: 1, eventTimeMillis: now.wallMillis,
                hasBid: true, hasAsk: true, isSynced: true), ageNanos: 1_000_000)
    }

    mutating func take() -> [OrderAction] {
        let a = m.drainActions()
        log += a
        return a
    }

    mutating func advance(ms: Int64) {
        now = now.adding(nanos: ms * 1_000_000)
    }

    /// Configured, user stream up, reconciled with an empty account.
    mutating func ready() {
        m.venueConfigured(at: now)
        m.userStream(connected: true, at: now)
        let token = reconcileToken(take())!
        m.reconciled(token: token, VenueSnapshot(openOrders: [], position: .zero, entryPrice: .zero, positionTimeMillis: 0), at: now)
        _ = take()
        precondition(m.isReady)
    }

    /// One strategy tick wanting these quotes.
    @discardableResult
    mutating func tick(_ quotes: [Quote]) -> [OrderAction] {
        m.tick(QuoteIntent(quotes: quotes), market: market, at: now)
        return take()
    }

    /// A bid and an ask of 0.002 around the default market.
    @discardableResult
    mutating func quoteBoth(bid b: String = "59990", ask a: String = "60020") -> [OrderAction] {
        tick([Quote(side: .buy, price: Price(b)!, quantity: Quantity("0.002")!), Quote(side: .sell, price: Price(a)!, quantity: Quantity("0.002")!)])
    }

    @discardableResult
    mutating func timer() -> [OrderAction] {
        m.timer(now, market: market)
        return take()
    }

    /// The venue takes order `spec` as it was sent.
    mutating func accept(_ spec: OrderSpec, executed: String = "0", status: OrderStatus = .new, venueID: Int64 = 7) -> [OrderAction] {
        m.reply(spec.clientOrderID, to: .place, .accepted(venue(spec, executed: executed, status: status, venueID: venueID)), at: now)
        return take()
    }

    func venue(_ spec: OrderSpec, executed: String = "0", status: OrderStatus = .new, venueID: Int64 = 7) -> VenueOrder {
        VenueOrder(
            clientOrderID: spec.clientOrderID, venueOrderID: VenueOrderID(venueID), side: spec.side, price: spec.price, quantity: spec.quantity,
            executed: Quantity(executed)!, status: status, reduceOnly: spec.reduceOnly)
    }

    /// A user-stream report for `id`.
    func report(
        _ id: String, _ side: Side, x: ExecutionType, status: OrderStatus, quantity: String = "0.002", price: String = "59990", last: String = "0",
        lastPrice: String = "0", cum: String = "0", fee: String = "0", feeAsset: String = "USDT", rp: String = "0", trade: Int64 = 0,
        timeMillis: Int64? = nil
    ) -> ExecutionReport {
        ExecutionReport(
            symbol: Self.btc.symbol, clientOrderID: id, venueOrderID: VenueOrderID(7), side: side, orderType: "LIMIT", timeInForce: "GTX",
            quantity: Quantity(quantity)!, price: Price(price)!, averagePrice: .zero, stopPrice: .zero, execution: x, status: status,
            lastQuantity: Quantity(last)!, lastPrice: Price(lastPrice)!, cumulativeQuantity: Quantity(cum)!, commission: Notional(fee)!,
            commissionAsset: feeAsset, tradeID: trade, isMaker: true, reduceOnly: false, realizedPnL: Notional(rp)!,
            eventTime: UnixNanos(millis: timeMillis ?? now.wallMillis), transactionTime: UnixNanos(millis: timeMillis ?? now.wallMillis))
    }

    func accountUpdate(position: String, entry: String, timeMillis: Int64, reason: String = "ORDER", balanceChange: String = "0") -> AccountUpdate {
        AccountUpdate(
            reason: reason,
            balances: [AccountUpdate.Balance(asset: "USDT", wallet: Notional(units: 10_000), crossWallet: Notional(units: 10_000), change: Notional(balanceChange)!)],
            positions: reason == "FUNDING_FEE" ? [] : [
                AccountUpdate.Position(symbol: Self.btc.symbol, quantity: Quantity(position)!, entryPrice: Price(entry)!, unrealizedPnL: .zero, positionSide: "BOTH")
            ], eventTime: UnixNanos(millis: timeMillis), transactionTime: UnixNanos(millis: timeMillis))
    }

    func snapshot(_ open: [VenueOrder] = [], position: String = "0", entry: String = "0", timeMillis: Int64 = 0) -> VenueSnapshot {
        VenueSnapshot(openOrders: open, position: Quantity(position)!, entryPrice: Price(entry)!, positionTimeMillis: timeMillis)
    }
}

// MARK: Reading actions

func places(_ a: [OrderAction]) -> [OrderSpec] { a.compactMap { if case .place(let s) = $0 { s } else { nil } } }
func cancels(_ a: [OrderAction]) -> [ClientOrderID] { a.compactMap { if case .cancel(let id) = $0 { id } else { nil } } }
func queries(_ a: [OrderAction]) -> [ClientOrderID] { a.compactMap { if case .query(let id) = $0 { id } else { nil } } }
func cancelAllToken(_ a: [OrderAction]) -> UInt64? { a.lazy.compactMap { if case .cancelAll(let t) = $0 { t } else { nil } }.first }
func reconcileToken(_ a: [OrderAction]) -> UInt64? { a.lazy.compactMap { if case .reconcile(let t) = $0 { t } else { nil } }.first }
func heartbeats(_ a: [OrderAction]) -> [Int64] { a.compactMap { if case .heartbeat(let c) = $0 { c } else { nil } } }
func events(_ a: [OrderAction]) -> [ManagerEvent] { a.compactMap { if case .note(let e) = $0 { e } else { nil } } }
func journal(_ a: [OrderAction]) -> [JournalRecord] { a.compactMap { if case .journal(let r) = $0 { r } else { nil } } }
