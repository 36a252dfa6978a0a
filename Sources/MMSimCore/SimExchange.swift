import MMBook
import MMCore

/// The venue's matching and accounts: validation against the instrument's filters and the account's margin,
/// taking displayed liquidity (and leaving the book thinner for it), resting maker orders with their queue
/// position, cancels, amends and queries. A pure value: a front end calls it with parsed requests and the
/// market, and sends what it returns and the events it queues.
public struct SimExchange: Sendable {
    public internal(set) var accounts: [String: SimAccount] = [:]
    /// User-stream events not yet delivered, with the account they belong to.
    public internal(set) var events: [(account: String, event: UserEvent)] = []
    /// Symbols traded spot, with their assets (the others are perpetuals).
    public var spotPairs: [Symbol: SpotPair] = [:]
    /// Liquidations not yet published.
    public internal(set) var liquidations: [Liquidation] = []
    /// The last fill's trade ID (the next is one more). A venue run from the wall clock starts it there, so
    /// that IDs never repeat across runs, as a real venue's do not (journals dedupe fills by them).
    public var nextTradeID: Int64 = 500_000_000
    var nextOrderID: Int64 = 1_000_000
    /// Fee rates: 0.02% maker, 0.05% taker unless set.
    public var makerFee = Ratio(raw: 20_000)
    public var takerFee = Ratio(raw: 50_000)
    /// Maintenance margin as a share of a position's notional at the mark.
    public var maintenanceMarginRate = SimExchange.defaultMaintenanceMarginRate
    /// 0.4%: the first bracket of the large perpetuals.
    public static let defaultMaintenanceMarginRate = Ratio(raw: 400_000)
    /// Share of the maintenance margin at which an account is warned with a margin call (80%).
    public var marginCallRatio = Ratio(raw: 80_000_000)
    /// What the venue saw, when auditing is on (`nil`: off).
    public var audit: [SimAuditEntry]?

    public init(accounts: [SimAccount]) {
        for a in accounts { self.accounts[a.id] = a }
    }

    /// Appends to the audit log when auditing is on.
    public mutating func record(_ entry: @autoclosure () -> SimAuditEntry) {
        if audit != nil { audit!.append(entry()) }
    }

    /// Takes the undelivered user-stream events.
    public mutating func drainEvents() -> [(account: String, event: UserEvent)] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// Takes the unpublished liquidations.
    public mutating func drainLiquidations() -> [Liquidation] {
        defer { liquidations.removeAll(keepingCapacity: true) }
        return liquidations
    }

    /// A new order. Takes what it crosses from `market` (the book shows the liquidity gone) and rests the rest.
    public mutating func place(_ r: OrderRequest, account id: String, market: inout SimMarket, nowMillis: Int64) -> Result<SimOrder, Rejection> {
        let result = admit(r, account: id, market: &market, nowMillis: nowMillis)
        let now = MonotonicInstant.now().nanos
        switch result {
        case .success(let o):
            record(.order(account: id, clientOrderID: o.clientOrderID, symbol: o.symbol, side: o.side, reduceOnly: o.reduceOnly, modify: false, nanos: now))
        case .failure(let e):
            record(.rejected(account: id, clientOrderID: r.clientOrderID ?? "", reason: e, nanos: now))
        }
        return result
    }

    private mutating func admit(_ r: OrderRequest, account id: String, market: inout SimMarket, nowMillis: Int64) -> Result<SimOrder, Rejection> {
        guard var account = accounts[id] else { return .failure(.unknownAccount) }
        guard market.symbol == r.symbol else { return .failure(.unknownSymbol) }
        let instrument = market.script.instrument
        let quantity = r.quantity
        guard quantity.raw > 0 else { return .failure(.quantityNotPositive) }
        guard instrument.lots(quantity) != nil else { return .failure(.quantityOffStep) }
        if quantity < instrument.minQuantity { return .failure(.quantityBelowMinimum) }
        if instrument.maxQuantity.raw > 0 && quantity > instrument.maxQuantity { return .failure(.quantityAboveMaximum) }
        if account.hedgeMode ? r.positionSide == .both : r.positionSide != .both { return .failure(.positionSideMismatch) }
        let clientID = r.clientOrderID ?? "sim_\(nextOrderID + 1)"
        if account.byClientID[clientID] != nil { return .failure(.duplicateClientOrderID) }
        let top = market.book.topOfBook(isSynced: true)
        guard top.hasBid && top.hasAsk else { return .failure(.noMarket) }

        // A reduce-only order, and in hedge mode an order closing its leg, must shrink that position.
        let leg = account.position(r.symbol, r.positionSide)
        let closesLeg = (r.positionSide == .long && r.side == .sell) || (r.positionSide == .short && r.side == .buy)
        let reducing = r.reduceOnly || closesLeg
        if reducing {
            let shrinks = r.side == .buy ? leg.quantity.raw < 0 : leg.quantity.raw > 0
            if !shrinks || quantity.raw > leg.quantity.raw.magnitude { return .failure(.reduceOnlyRejected) }
        }
        let price = r.kind == .limit ? r.price : .zero
        if r.kind == .limit {
            guard price.raw > 0, instrument.ticks(price) != nil else { return .failure(.priceOffTick) }
            let mark = market.markPrice
            if mark.raw > 0 {
                if let up = instrument.percentPriceUp, Int128(price.raw) * Int128(FixedPointScale.unit) > Int128(mark.raw) * Int128(up.raw) {
                    return .failure(.priceAboveCap)
                }
                if let down = instrument.percentPriceDown, Int128(price.raw) * Int128(FixedPointScale.unit) < Int128(mark.raw) * Int128(down.raw) {
                    return .failure(.priceBelowFloor)
                }
            }
        }
        let reference = r.kind == .limit ? price : (r.side == .buy ? top.askPrice : top.bidPrice)
        if !reducing && !instrument.meetsMinNotional(price: reference, quantity: quantity) {
            return .failure(.notionalBelowMinimum(instrument.minNotional))
        }
        let pair = spotPairs[r.symbol]
        if pair != nil && (r.reduceOnly || r.positionSide != .both) { return .failure(.positionSideMismatch) }
        if pair == nil && !reducing && !hasMargin(account, for: r.symbol, adding: Notional(price: reference, quantity: quantity), mark: market.markPrice) {
            return .failure(.insufficientMargin)
        }
        let crosses = r.kind == .market
            || (r.side == .buy ? (top.hasAsk && price >= top.askPrice) : (top.hasBid && price <= top.bidPrice))
        if crosses && r.timeInForce == .postOnly { return .failure(.postOnlyWouldTake) }
        nextOrderID += 1
        var order = SimOrder(
            orderID: nextOrderID, clientOrderID: clientID, symbol: r.symbol, side: r.side, kind: r.kind,
            timeInForce: r.kind == .market ? .goodTillCancel : r.timeInForce, price: price, quantity: quantity, executed: .zero,
            status: .new, reduceOnly: r.reduceOnly, positionSide: r.positionSide, updateTimeMillis: nowMillis)
        if let pair {
            // A buy holds its cost in the quote (at the limit, or what taking the book would cost), a sell its
            // quantity in the base.
            let asset = r.side == .buy ? pair.quote : pair.base
            let hold: Notional
            if r.side == .sell {
                hold = Notional(raw: quantity.raw)
            } else if r.kind == .limit {
                hold = Notional(price: price, quantity: quantity) ?? Notional(raw: .max)
            } else {
                hold = costToTake(market, side: .buy, quantity: quantity)
            }
            guard account.balance(asset).free >= hold else { return .failure(.insufficientBalance) }
            account.balances[asset, default: AssetBalance()].free -= hold
            account.balances[asset, default: AssetBalance()].locked += hold
            order.locked = hold
        }
        events.append((id, .order(order, execution: .new, fill: nil)))
        if crosses {
            take(id, &account, &order, market: &market, nowMillis: nowMillis)
        } else if r.timeInForce == .immediateOrCancel || r.timeInForce == .fillOrKill {
            // Nothing to take at this price: the order expires at once.
            order.status = .expired
        }
        if order.status == .expired { events.append((id, .order(order, execution: .expired, fill: nil))) }
        if order.remaining.raw > 0 && order.isOpen {
            // Rests behind what is displayed at its price.
            order.queueAhead = displayed(market, order)
            account.open[order.orderID] = order
            account.byClientID[clientID] = order.orderID
        } else {
            release(&account, &order)
            account.closed[order.orderID] = order
        }
        if let pair { events.append((id, .balances(assets: [pair.base, pair.quote]))) }
        accounts[id] = account
        return .success(order)
    }

    /// What buying `quantity` from the displayed asks would cost (the whole book's depth at most).
    func costToTake(_ market: SimMarket, side: Side, quantity: Quantity) -> Notional {
        let grid = market.script.instrument.bookGrid
        var left = quantity
        var cost = Notional.zero
        var i = 0
        while left.raw > 0, let l = market.book.level(side == .buy ? .ask : .bid, i) {
            let q = min(left, grid.quantity(l.lots))
            cost += Notional(price: grid.price(l.ticks), quantity: q) ?? .zero
            left -= q
            i += 1
        }
        return cost
    }

    /// Returns what a spot order still holds to the free balance.
    func release(_ account: inout SimAccount, _ order: inout SimOrder) {
        guard order.locked.raw > 0, let pair = spotPairs[order.symbol] else { return }
        let asset = order.side == .buy ? pair.quote : pair.base
        account.balances[asset, default: AssetBalance()].locked -= order.locked
        account.balances[asset, default: AssetBalance()].free += order.locked
        order.locked = .zero
    }

    /// Cross margin per margin asset: the wallet plus this symbol's unrealized PnL must cover, at the
    /// symbol's leverage, the positions and open orders in that asset and the new order.
    func hasMargin(_ account: SimAccount, for symbol: Symbol, adding: Notional?, mark: Price) -> Bool {
        guard mark.raw > 0 else { return true }
        let asset = marginAsset(of: symbol)
        let held = account.positions(in: asset)
        var committed = Int128(0)
        for (key, pos) in held {
            committed += Int128(pos.notional(at: key.symbol == symbol ? mark : pos.entryPrice).raw)
        }
        for o in account.open.values where marginAsset(of: o.symbol) == asset {
            committed += Int128(Notional(price: o.price, quantity: o.remaining)?.raw ?? 0)
        }
        var equity = Int128(account.wallet(asset).raw)
        for (key, pos) in held where key.symbol == symbol { equity += Int128(pos.unrealized(at: mark).raw) }
        let needed = (committed + Int128(adding?.raw ?? .max)) / Int128(account.leverage(symbol))
        return equity >= needed
    }

    /// Takes displayed liquidity up to the order's limit, level by level, and removes it from the book.
    private mutating func take(_ id: String, _ account: inout SimAccount, _ order: inout SimOrder, market: inout SimMarket, nowMillis: Int64) {
        let instrument = market.script.instrument
        let takeSide: BookSide = order.side == .buy ? .ask : .bid
        var levels: [(Price, Quantity)] = []
        var available = Quantity.zero
        var i = 0
        while available < order.quantity, let l = market.book.level(takeSide, i) {
            let lp = instrument.bookGrid.price(l.ticks)
            if order.kind == .limit && (order.side == .buy ? lp > order.price : lp < order.price) { break }
            let lq = instrument.bookGrid.quantity(l.lots)
            levels.append((lp, lq))
            available += lq
            i += 1
        }
        if order.timeInForce == .fillOrKill && available < order.quantity {
            order.status = .expired
            return
        }
        var taken: [(Price, Quantity)] = []
        for (lp, lq) in levels where order.remaining.raw > 0 {
            let q = min(lq, order.remaining)
            fill(id, &account, &order, quantity: q, price: lp, maker: false, nowMillis: nowMillis)
            taken.append((lp, q))
        }
        market.consume(takeSide, taken, nowMillis: nowMillis)
        if order.remaining.raw > 0 && (order.timeInForce == .immediateOrCancel || order.kind == .market) { order.status = .expired }
    }

    /// Size displayed ahead of `order` at its price.
    func displayed(_ market: SimMarket, _ order: SimOrder) -> Quantity {
        let grid = market.script.instrument.bookGrid
        guard let t = grid.ticks(order.price) else { return .zero }
        return grid.quantity(market.book.lots(order.side == .buy ? .bid : .ask, at: t))
    }

    /// Records one execution: order progress, position, wallet and fee.
    mutating func fill(
        _ id: String, _ account: inout SimAccount, _ order: inout SimOrder, quantity: Quantity, price: Price, maker: Bool,
        nowMillis: Int64
    ) {
        guard quantity.raw > 0 else { return }
        let notional = Notional(price: price, quantity: quantity) ?? .zero
        let rate = maker ? makerFee : takerFee
        if let pair = spotPairs[order.symbol] {
            spotFill(id, &account, &order, pair: pair, quantity: quantity, price: price, notional: notional, rate: rate, maker: maker, nowMillis: nowMillis)
            return
        }
        let fee = Notional(raw: Int64(Int128(notional.raw) * Int128(rate.raw) / Int128(FixedPointScale.unit)))
        let key = PositionKey(order.symbol, order.positionSide)
        var position = account.positions[key] ?? SimPosition()
        let realized = position.apply(side: order.side, quantity: quantity, price: price)
        position.updateTimeMillis = nowMillis
        account.positions[key] = position
        let asset = marginAsset(of: order.symbol)
        account.wallets[asset, default: .zero] += realized - fee
        account.feesPaid += fee
        let f = execute(&account, &order, quantity: quantity, price: price, maker: maker, fee: fee, asset: asset, realized: realized, nowMillis: nowMillis)
        record(.fill(account: id, symbol: order.symbol, position: account.position(order.symbol).quantity, nanos: MonotonicInstant.now().nanos))
        events.append((id, .order(order, execution: .trade, fill: f)))
        events.append((id, .account(symbol: order.symbol, reason: .trade)))
    }

    /// Moves an order on by one execution and records the fill.
    private mutating func execute(
        _ account: inout SimAccount, _ order: inout SimOrder, quantity: Quantity, price: Price, maker: Bool, fee: Notional, asset: String,
        realized: Notional, nowMillis: Int64
    ) -> SimFill {
        let notional = Notional(price: price, quantity: quantity) ?? .zero
        order.executed += quantity
        order.cumQuote += notional
        order.status = order.remaining.raw == 0 ? .filled : .partiallyFilled
        order.updateTimeMillis = nowMillis
        nextTradeID += 1
        let f = SimFill(
            orderID: order.orderID, tradeID: nextTradeID, symbol: order.symbol, side: order.side, positionSide: order.positionSide,
            price: price, quantity: quantity, maker: maker, fee: fee, commissionAsset: asset, realized: realized, timeMillis: nowMillis)
        account.fills.append(f)
        return f
    }

    /// A spot execution: the buyer receives the base less the fee (charged in what it receives) and pays
    /// the quote from what its order holds; the seller the other way round.
    private mutating func spotFill(
        _ id: String, _ account: inout SimAccount, _ order: inout SimOrder, pair: SpotPair, quantity: Quantity, price: Price,
        notional: Notional, rate: Ratio, maker: Bool, nowMillis: Int64
    ) {
        let received = order.side == .buy ? Notional(raw: quantity.raw) : notional
        let fee = Notional(raw: Int64(Int128(received.raw) * Int128(rate.raw) / Int128(FixedPointScale.unit)))
        let (paid, gets) = order.side == .buy ? (pair.quote, pair.base) : (pair.base, pair.quote)
        let spent = order.side == .buy ? notional : Notional(raw: quantity.raw)
        // A limit buy holds its limit price; a better fill gives the difference back.
        let held = order.side == .buy && order.kind == .limit ? (Notional(price: order.price, quantity: quantity) ?? spent) : spent
        let taken = min(held, order.locked)
        order.locked -= taken
        account.balances[paid, default: AssetBalance()].locked -= taken
        account.balances[paid, default: AssetBalance()].free += taken - spent
        account.balances[gets, default: AssetBalance()].free += received - fee
        account.feesPaid += order.side == .buy ? .zero : fee
        let f = execute(&account, &order, quantity: quantity, price: price, maker: maker, fee: fee, asset: gets, realized: .zero, nowMillis: nowMillis)
        if order.remaining.raw == 0 { release(&account, &order) }
        events.append((id, .order(order, execution: .trade, fill: f)))
        events.append((id, .balances(assets: [pair.base, pair.quote])))
    }

    /// Fills resting orders from a public trade: a trade through an order's price fills it; a trade at its
    /// price first consumes the displayed size queued ahead of it.
    public mutating func onTrade(_ trade: Trade, nowMillis: Int64) {
        for key in accounts.keys {
            var account = accounts[key]!
            var changed = false
            for id in account.open.keys.sorted() {
                guard var order = account.open[id], order.symbol == trade.symbol else { continue }
                // A resting bid fills from sellers (aggressor sold), a resting ask from buyers.
                guard (order.side == .buy) == trade.buyerIsMaker else { continue }
                let through = order.side == .buy ? trade.price < order.price : trade.price > order.price
                var qty = Quantity.zero
                if through {
                    qty = order.remaining
                } else if trade.price == order.price {
                    let left = trade.quantity - order.queueAhead
                    order.queueAhead = left.raw >= 0 ? .zero : order.queueAhead - trade.quantity
                    if left.raw > 0 { qty = min(left, order.remaining) }
                }
                guard qty.raw > 0 || trade.price == order.price else { continue }
                fill(key, &account, &order, quantity: qty, price: order.price, maker: true, nowMillis: nowMillis)
                if order.remaining.raw == 0 {
                    account.open[id] = nil
                    account.byClientID[order.clientOrderID] = nil
                    account.closed[id] = order
                } else {
                    account.open[id] = order
                }
                changed = true
            }
            if changed { accounts[key] = account }
        }
    }

    /// After a diff: the size queued ahead of an order cannot exceed what is displayed at its price.
    public mutating func onDepth(_ market: SimMarket) {
        let symbol = market.symbol
        for key in accounts.keys {
            var account = accounts[key]!
            var changed = false
            for (id, var order) in account.open where order.symbol == symbol && order.queueAhead.raw > 0 {
                let shown = displayed(market, order)
                if shown < order.queueAhead {
                    order.queueAhead = shown
                    account.open[id] = order
                    changed = true
                }
            }
            if changed { accounts[key] = account }
        }
    }

    /// The order `reference` names, open or recently closed.
    func find(_ account: SimAccount, _ reference: OrderReference) -> Int64? {
        switch reference {
        case .venue(let id): return id
        case .client(let client):
            if let id = account.byClientID[client] { return id }
            return account.closed.values.first(where: { $0.clientOrderID == client })?.orderID
        }
    }

    /// Cancels an open order.
    public mutating func cancel(_ reference: OrderReference, account id: String, nowMillis: Int64) -> Result<SimOrder, Rejection> {
        guard var account = accounts[id] else { return .failure(.unknownAccount) }
        guard let orderID = find(account, reference), var order = account.open.removeValue(forKey: orderID) else { return .failure(.unknownOrder) }
        account.byClientID[order.clientOrderID] = nil
        release(&account, &order)
        order.status = .canceled
        order.updateTimeMillis = nowMillis
        account.closed[orderID] = order
        accounts[id] = account
        events.append((id, .order(order, execution: .canceled, fill: nil)))
        return .success(order)
    }

    /// An open or recently closed order.
    public func query(_ reference: OrderReference, account id: String) -> Result<SimOrder, Rejection> {
        guard let account = accounts[id] else { return .failure(.unknownAccount) }
        guard let orderID = find(account, reference), let o = account.open[orderID] ?? account.closed[orderID] else { return .failure(.unknownOrder) }
        return .success(o)
    }

    /// Open orders of an account, of one symbol or all, in order of arrival.
    public func openOrders(account id: String, symbol: Symbol?) -> [SimOrder] {
        (accounts[id]?.open.values.filter { symbol == nil || $0.symbol == symbol } ?? []).sorted { $0.orderID < $1.orderID }
    }

    /// New price and quantity for a resting limit order. The order keeps its ID and goes to the back of the
    /// queue at its new price.
    public mutating func amend(
        _ reference: OrderReference, side: Side, price: Price, quantity: Quantity, account id: String, market: SimMarket, nowMillis: Int64
    ) -> Result<SimOrder, Rejection> {
        let result = reprice(reference, side: side, price: price, quantity: quantity, account: id, market: market, nowMillis: nowMillis)
        let now = MonotonicInstant.now().nanos
        switch result {
        case .success(let o):
            record(.order(account: id, clientOrderID: o.clientOrderID, symbol: o.symbol, side: o.side, reduceOnly: o.reduceOnly, modify: true, nanos: now))
        case .failure(let e):
            let client: String = if case .client(let c) = reference { c } else { "" }
            record(.rejected(account: id, clientOrderID: client, reason: e, nanos: now))
        }
        return result
    }

    private mutating func reprice(
        _ reference: OrderReference, side: Side, price: Price, quantity: Quantity, account id: String, market: SimMarket, nowMillis: Int64
    ) -> Result<SimOrder, Rejection> {
        guard var account = accounts[id] else { return .failure(.unknownAccount) }
        guard let orderID = find(account, reference), var order = account.open[orderID], order.symbol == market.symbol else {
            return .failure(.unknownOrder)
        }
        guard side == order.side else { return .failure(.sideMismatch) }
        // Spot venues replace orders rather than amend them.
        guard spotPairs[order.symbol] == nil else { return .failure(.cannotModify) }
        let instrument = market.script.instrument
        guard instrument.ticks(price) != nil else { return .failure(.priceOffTick) }
        guard instrument.lots(quantity) != nil else { return .failure(.quantityOffStep) }
        if price == order.price && quantity == order.quantity { return .failure(.nothingToModify) }
        guard quantity > order.executed else { return .failure(.cannotModify) }
        if !order.reduceOnly && !instrument.meetsMinNotional(price: price, quantity: quantity) {
            return .failure(.notionalBelowMinimum(instrument.minNotional))
        }
        let top = market.book.topOfBook(isSynced: true)
        let crosses = order.side == .buy ? (top.hasAsk && price >= top.askPrice) : (top.hasBid && price <= top.bidPrice)
        if crosses { return .failure(order.timeInForce == .postOnly ? .postOnlyWouldTake : .cannotModify) }
        order.price = price
        order.quantity = quantity
        order.updateTimeMillis = nowMillis
        order.queueAhead = displayed(market, order)
        account.open[orderID] = order
        accounts[id] = account
        events.append((id, .order(order, execution: .amendment, fill: nil)))
        return .success(order)
    }

    /// Cancels every open order of an account on `symbol`; returns them, cancelled, in order of arrival.
    @discardableResult
    public mutating func cancelAll(account id: String, symbol: Symbol, nowMillis: Int64) -> [SimOrder] {
        guard var account = accounts[id] else { return [] }
        var cancelled: [SimOrder] = []
        for (orderID, var order) in account.open.sorted(by: { $0.key < $1.key }) where order.symbol == symbol {
            account.open[orderID] = nil
            account.byClientID[order.clientOrderID] = nil
            release(&account, &order)
            order.status = .canceled
            order.updateTimeMillis = nowMillis
            account.closed[orderID] = order
            events.append((id, .order(order, execution: .canceled, fill: nil)))
            cancelled.append(order)
        }
        accounts[id] = account
        return cancelled
    }
}
