import MMCore

/// Where one of our orders stands, as the engine knows it.
public enum OrderState: String, Sendable, Hashable, BitwiseCopyable {
    /// Sent; no answer yet.
    case pendingNew
    /// Acknowledged and resting (possibly partly filled).
    case open
    /// Cancel sent; fills may still arrive until the venue confirms.
    case pendingCancel
    /// Modify sent.
    case pendingModify
}

/// One of our live orders.
@frozen
public struct TrackedOrder: Sendable, Hashable, BitwiseCopyable {
    public var clientOrderID: ClientOrderID
    public var venueOrderID: VenueOrderID
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    public var filled: Quantity
    public var state: OrderState
    /// Monotonic time the last request for it was sent.
    public var sentNanos: Int64

    public var remaining: Quantity { quantity - filled }

    public init(
        clientOrderID: ClientOrderID, venueOrderID: VenueOrderID, side: Side, price: Price, quantity: Quantity, filled: Quantity,
        state: OrderState, sentNanos: Int64
    ) {
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.side = side
        self.price = price
        self.quantity = quantity
        self.filled = filled
        self.state = state
        self.sentNanos = sentNanos
    }
}

/// What an event did to our books, for counters, logs and the journal.
public enum TrackerEvent: Sendable, Equatable {
    case acknowledged(ClientOrderID)
    case filled(ClientOrderID, side: Side, price: Price, quantity: Quantity, fee: Notional, maker: Bool)
    /// Final: cancelled, expired (GTX that would have crossed: a normal outcome) or fully filled.
    case closed(ClientOrderID, OrderStatus)
    case rejected(ClientOrderID, code: Int)
    /// A report about an order we do not know (another client, or from before a restart).
    case unknown(ClientOrderID)
}

/// Our orders, position and PnL on one symbol, driven by request outcomes and user-stream reports. A value
/// owned by the gateway thread; it does no I/O.
///
/// Position and realized PnL follow the venue's fills (`l`, `L`, `rp`, `n` of `ORDER_TRADE_UPDATE`); an
/// `ACCOUNT_UPDATE` or a REST reconciliation overrides the position and entry price, since the venue's books
/// are the truth.
public struct OrderTracker: Sendable {
    public let symbol: Symbol
    public private(set) var orders: [ClientOrderID: TrackedOrder] = [:]
    /// Signed position and its average entry price.
    public private(set) var position = Quantity.zero
    public private(set) var entryPrice = Price.zero
    /// Realized PnL of fills (before fees), and fees paid (positive), since start or the last daily reset.
    public private(set) var realized = Notional.zero
    public private(set) var fees = Notional.zero
    public private(set) var fillCount = 0
    public private(set) var makerFillCount = 0
    /// Largest |position| seen.
    public private(set) var maxAbsPosition = Quantity.zero
    /// Filled quantity and notional traded.
    public private(set) var volume = Quantity.zero
    /// Reports and positions refused as implausible (see `isPlausible`).
    public private(set) var implausibleReports = 0
    /// Trade IDs already counted (a reconnect may replay reports).
    private var seenTrades: Set<Int64> = []

    public init(symbol: Symbol) {
        self.symbol = symbol
        orders.reserveCapacity(256)
        seenTrades.reserveCapacity(4096)
    }

    // MARK: Requests

    /// A new order was sent.
    public mutating func sent(_ id: ClientOrderID, _ side: Side, price: Price, quantity: Quantity, nowNanos: Int64) {
        orders[id] = TrackedOrder(
            clientOrderID: id, venueOrderID: VenueOrderID(0), side: side, price: price, quantity: quantity, filled: .zero,
            state: .pendingNew, sentNanos: nowNanos)
    }

    /// The venue accepted a new order (request answer or `NEW` report).
    @discardableResult
    public mutating func acknowledged(_ id: ClientOrderID, venueOrderID: VenueOrderID) -> TrackerEvent? {
        guard var o = orders[id] else { return nil }
        o.venueOrderID = venueOrderID
        guard o.state == .pendingNew else {
            orders[id] = o
            return nil
        }
        o.state = .open
        orders[id] = o
        return .acknowledged(id)
    }

    /// The venue refused a request for the order. A refused new order is gone; a refused cancel or modify
    /// leaves the order as it was (code -2011 "unknown order" on cancel means it is already gone).
    public mutating func rejected(_ id: ClientOrderID, code: Int) -> TrackerEvent? {
        guard var o = orders[id] else { return nil }
        switch o.state {
        case .pendingNew:
            orders[id] = nil
        case .pendingCancel where code == -2011:
            orders[id] = nil
        case .pendingCancel, .pendingModify:
            o.state = .open
            orders[id] = o
        case .open:
            break
        }
        return .rejected(id, code: code)
    }

    public mutating func cancelSent(_ id: ClientOrderID, nowNanos: Int64) {
        guard var o = orders[id] else { return }
        o.state = .pendingCancel
        o.sentNanos = nowNanos
        orders[id] = o
    }

    public mutating func modifySent(_ id: ClientOrderID, nowNanos: Int64) {
        guard var o = orders[id], o.state == .open else { return }
        o.state = .pendingModify
        o.sentNanos = nowNanos
        orders[id] = o
    }

    /// A modify was accepted: the order now rests at `price` for `quantity` in all (filled part included).
    public mutating func modified(_ id: ClientOrderID, price: Price, quantity: Quantity) {
        guard var o = orders[id] else { return }
        o.price = price
        o.quantity = quantity
        o.state = .open
        orders[id] = o
    }

    // MARK: Venue reports

    /// The largest magnitude a price, quantity or amount from the venue may have (10^9 units): far beyond
    /// any real order, and small enough that sums and products of a few of them cannot overflow.
    public static let plausibleMagnitude: Int64 = 1_000_000_000 * FixedPointScale.unit

    /// Whether every figure of a report is within `plausibleMagnitude`, and quantities are not negative. A
    /// report that is not is a malformed venue message: counted and ignored, never applied.
    public static func isPlausible(_ r: ExecutionReport) -> Bool {
        let bound = UInt64(plausibleMagnitude)
        func amount(_ v: Int64) -> Bool { v.magnitude <= bound }
        func quantity(_ q: Int64) -> Bool { q >= 0 && q.magnitude <= bound }
        return amount(r.price.raw) && amount(r.lastPrice.raw) && amount(r.realizedPnL.raw) && amount(r.commission.raw)
            && quantity(r.quantity.raw) && quantity(r.lastQuantity.raw) && quantity(r.cumulativeQuantity.raw)
    }

    /// Applies one `ORDER_TRADE_UPDATE`. An implausible report (see `isPlausible`) changes nothing.
    public mutating func apply(_ r: ExecutionReport) -> (fill: TrackerEvent?, status: TrackerEvent?) {
        guard r.symbol == symbol, let id = ClientOrderID(r.clientOrderID) else { return (nil, nil) }
        guard Self.isPlausible(r) else {
            implausibleReports += 1
            return (nil, nil)
        }
        var fill: TrackerEvent?
        if r.execution == .trade, r.lastQuantity.raw > 0, seenTrades.insert(r.tradeID).inserted || r.tradeID == 0 {
            applyFill(side: r.side, price: r.lastPrice, quantity: r.lastQuantity, realizedPnL: r.realizedPnL, fee: r.commission)
            if r.isMaker { makerFillCount += 1 }
            fill = .filled(id, side: r.side, price: r.lastPrice, quantity: r.lastQuantity, fee: r.commission, maker: r.isMaker)
        }
        guard var o = orders[id] else { return (fill, .unknown(id)) }
        o.venueOrderID = r.venueOrderID
        o.filled = r.cumulativeQuantity
        if r.execution == .amendment {
            o.price = r.price
            o.quantity = r.quantity
        }
        if r.status.isFinal {
            orders[id] = nil
            return (fill, .closed(id, r.status))
        }
        let wasPending = o.state == .pendingNew
        if wasPending || (o.state == .pendingModify && r.execution == .amendment) { o.state = .open }
        orders[id] = o
        return (fill, wasPending ? .acknowledged(id) : nil)
    }

    /// Applies a position from `ACCOUNT_UPDATE` or REST (`positionAmt`, `entryPrice`).
    /// An implausible one (beyond `plausibleMagnitude`) is counted and ignored.
    public mutating func setPosition(_ quantity: Quantity, entryPrice: Price) {
        guard quantity.raw.magnitude <= Self.plausibleMagnitude.magnitude, entryPrice.raw.magnitude <= Self.plausibleMagnitude.magnitude else {
            implausibleReports += 1
            return
        }
        position = quantity
        self.entryPrice = entryPrice
        if quantity.raw.magnitude > maxAbsPosition.raw.magnitude { maxAbsPosition = quantity.clampedMagnitude }
    }

    /// Adopts an order found open at the venue (after a restart or reconnect).
    public mutating func adopt(_ o: TrackedOrder) {
        var order = o
        order.state = .open
        orders[o.clientOrderID] = order
    }

    /// Forgets an order the venue no longer has (reconciliation).
    public mutating func forget(_ id: ClientOrderID) { orders[id] = nil }

    private mutating func applyFill(side: Side, price: Price, quantity: Quantity, realizedPnL: Notional, fee: Notional) {
        fillCount += 1
        // Running totals clamp rather than trap: each input is bounded, their sum over a long run is not.
        volume = volume.clampedAdding(quantity)
        realized = realized.clampedAdding(realizedPnL)
        fees = fees.clampedAdding(fee)
        let signed = side == .buy ? quantity.raw : -quantity.raw
        let old = position.raw
        let new = position.clampedAdding(Quantity(raw: signed)).raw
        if old == 0 || (old > 0) != (signed > 0) {
            // Opening from flat, reducing, or flipping: the entry price of what remains.
            if new == 0 {
                entryPrice = .zero
            } else if old == 0 || (old > 0) != (new > 0) {
                entryPrice = price
            }
        } else {
            // Adding: volume-weighted average, rounded to the 1e-8 scale.
            let cost = Int128(entryPrice.raw) * Int128(old.magnitude) + Int128(price.raw) * Int128(signed.magnitude)
            entryPrice = Price(raw: Int64(clamping: cost / Int128(new.magnitude)))
        }
        position = Quantity(raw: new)
        if new.magnitude > maxAbsPosition.raw.magnitude { maxAbsPosition = Quantity(raw: new).clampedMagnitude }
    }

    // MARK: Views

    /// Unrealized PnL of the position at `mark`.
    public func unrealized(at mark: Price) -> Notional {
        guard position.raw != 0, entryPrice.raw != 0 else { return .zero }
        let diff = (Int128(mark.raw) - Int128(entryPrice.raw)) * Int128(position.raw) / Int128(FixedPointScale.unit)
        return Notional(raw: Int64(clamping: diff))
    }

    /// Realized PnL after fees.
    public var realizedNet: Notional { realized - fees }

    /// Orders that count as resting for quoting (pending new included, so nothing is placed twice; pending
    /// cancels excluded, they are going away).
    public func quotable() -> FixedList<OpenOrder> {
        var list = FixedList<OpenOrder>()
        quotable(into: &list)
        return list
    }

    /// The quotable orders written into a reused list.
    public func quotable(into list: inout FixedList<OpenOrder>) {
        list.removeAll()
        for o in orders.values where o.state != .pendingCancel {
            list.append(OpenOrder(clientOrderID: o.clientOrderID, side: o.side, price: o.price, remaining: o.remaining))
        }
    }

    /// Open quantity per side and the count of live orders, for the risk gate.
    public func exposure() -> (buy: Quantity, sell: Quantity, count: Int) {
        var buy: Int64 = 0
        var sell: Int64 = 0
        for o in orders.values {
            if o.side == .buy { buy += o.remaining.raw } else { sell += o.remaining.raw }
        }
        return (Quantity(raw: buy), Quantity(raw: sell), orders.count)
    }

    /// Starts a new trading day: realized PnL and fees restart from zero.
    /// Today's realized PnL and fees from before a restart (the journal, or the venue's income history), so
    /// they still count. `tradeIDs` are the trades already in these figures: their reports, should they
    /// still arrive, are not counted again.
    public mutating func restoreDay(realized: Notional, fees: Notional, tradeIDs: [Int64] = []) {
        self.realized = realized
        self.fees = fees
        for t in tradeIDs where t != 0 { seenTrades.insert(t) }
    }

    public mutating func resetDay() {
        realized = .zero
        fees = .zero
    }
}
