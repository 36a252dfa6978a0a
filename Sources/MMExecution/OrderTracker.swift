import MMCore

/// Where one of our orders stands, as the engine knows it.
public enum OrderState: String, Sendable, Hashable, BitwiseCopyable {
    /// Sent; no answer yet.
    case pendingNew
    /// At the venue (possibly partly filled), no request in flight.
    case open
    /// Cancel sent; fills may still arrive until the venue confirms.
    case pendingCancel
    /// Modify sent.
    case pendingModify
    /// A request for it went unanswered: it may or may not be at the venue until a query tells.
    case unknown
}

/// One of our orders that may be live at the venue.
@frozen
public struct TrackedOrder: Sendable, Hashable, BitwiseCopyable {
    public var clientOrderID: ClientOrderID
    public var venueOrderID: VenueOrderID
    public var kind: OrderSpec.Kind
    public var side: Side
    public var price: Price
    /// Total size (filled part included).
    public var quantity: Quantity
    public var filled: Quantity
    public var state: OrderState
    /// The request in flight or, when `unknown`, the one that went unanswered.
    public var request: RequestKind
    /// When the request in flight is due an answer, or the next query of an unknown outcome (monotonic).
    public var deadlineNanos: Int64
    /// Monotonic time the last request for it was sent.
    public var sentNanos: Int64
    /// When the engine learned that the venue holds it (0: not yet).
    public var ackedNanos: Int64
    /// After this (monotonic), a place that has not reached the venue never will: the venue refuses a
    /// request older than its receive window.
    public var expiresNanos: Int64
    /// A user-stream report for it has arrived.
    public var reportSeen: Bool
    /// It is to be cancelled as soon as that can be done (its place is unanswered, or a cancel failed).
    public var cancelWanted: Bool
    /// A modify in flight: the price and total size asked for.
    public var targetPrice: Price
    public var targetQuantity: Quantity
    /// Queries and cancels tried for it.
    public var attempts: UInt8

    public init(
        clientOrderID: ClientOrderID, venueOrderID: VenueOrderID = VenueOrderID(0), kind: OrderSpec.Kind = .postOnlyLimit, side: Side,
        price: Price, quantity: Quantity, filled: Quantity = .zero, state: OrderState, request: RequestKind = .place,
        deadlineNanos: Int64 = .max, sentNanos: Int64 = 0, ackedNanos: Int64 = 0, expiresNanos: Int64 = 0
    ) {
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.kind = kind
        self.side = side
        self.price = price
        self.quantity = quantity
        self.filled = filled
        self.state = state
        self.request = request
        self.deadlineNanos = deadlineNanos
        self.sentNanos = sentNanos
        self.ackedNanos = ackedNanos
        self.expiresNanos = expiresNanos
        reportSeen = false
        cancelWanted = false
        targetPrice = price
        targetQuantity = quantity
        attempts = 0
    }

    /// Unfilled size.
    public var remaining: Quantity { Quantity(raw: max(0, quantity.raw - filled.raw)) }

    /// Whether the venue holds it, or held it before `nanos` if it ever will: what a cancel-all or an
    /// open-orders listing taken at `nanos` covers.
    public func isSettledAtVenue(by nanos: Int64) -> Bool { (ackedNanos > 0 && ackedNanos <= nanos) || expiresNanos <= nanos }

    /// The most this order can still fill: a modify in flight may leave either the old or the new size.
    public var worstCaseRemaining: Quantity {
        let total = state == .pendingModify || (state == .unknown && request == .modify) ? max(quantity.raw, targetQuantity.raw) : quantity.raw
        return Quantity(raw: max(0, total - filled.raw))
    }
}

/// Our orders on one symbol that may be live at the venue. A value owned by the order manager.
///
/// Kept in a small array searched by client order ID: a market maker has a few dozen orders at most, and
/// comparing five words beats hashing a 36-byte ID (and an array read while it is changed is not copied).
public struct OrderTracker: Sendable {
    public let symbol: Symbol
    /// The orders, in no particular order.
    public private(set) var all: [TrackedOrder] = []
    /// Orders closed on a reply or a cancel-all rather than their own final report: fills of theirs may still
    /// be on the user stream (its reports and the reply travel separately), so what they may have filled
    /// counts as exposure until their final report arrives or a listing covers them.
    public private(set) var settling: [(id: ClientOrderID, side: Side, quantity: Quantity, closedNanos: Int64)] = []
    /// Orders closed lately, and when (monotonic): a late report about one of them is not an orphan.
    private var closed: [(id: ClientOrderID, nanos: Int64)]
    private var closedNext = 0
    private static let closedCapacity = 256

    public init(symbol: Symbol) {
        self.symbol = symbol
        all.reserveCapacity(64)
        settling.reserveCapacity(64)
        closed = Array(repeating: (ClientOrderID(), 0), count: Self.closedCapacity)
    }

    /// Where `id` is in `all`.
    @inline(__always)
    public func index(of id: ClientOrderID) -> Int? {
        all.withUnsafeBufferPointer { b in
            for i in 0..<b.count where b[i].clientOrderID == id { return i }
            return nil
        }
    }

    public subscript(id: ClientOrderID) -> TrackedOrder? {
        get { index(of: id).map { all[$0] } }
        set {
            if let i = index(of: id) {
                if let o = newValue { all[i] = o } else { all.swapAt(i, all.count - 1); all.removeLast() }
            } else if let o = newValue {
                all.append(o)
            }
        }
    }

    /// The order at `i` of `all`.
    @inline(__always) public func at(_ i: Int) -> TrackedOrder { all[i] }

    /// The IDs of every order.
    public var ids: [ClientOrderID] { all.map(\.clientOrderID) }

    public var count: Int { all.count }
    public var isEmpty: Bool { all.isEmpty }

    /// Forgets an order the venue no longer has.
    public mutating func close(_ id: ClientOrderID, nowNanos: Int64) {
        guard let i = index(of: id) else { return }
        all.swapAt(i, all.count - 1)
        all.removeLast()
        closed[closedNext] = (id, nowNanos)
        closedNext = (closedNext + 1) % Self.closedCapacity
    }

    /// Closes an order whose unreported fills, up to `unreported`, may still arrive.
    public mutating func close(_ id: ClientOrderID, nowNanos: Int64, unreported: Quantity) {
        guard let o = self[id] else { return }
        close(id, nowNanos: nowNanos)
        if unreported.raw > 0 { settling.append((id, o.side, unreported, nowNanos)) }
    }

    /// A report about a settling order: its fills no longer count as exposure once in the position, and its
    /// final report ends it (the stream delivers an order's fills before its end).
    public mutating func settle(_ id: ClientOrderID, filled: Quantity, final: Bool) {
        guard let i = settling.firstIndex(where: { $0.id == id }) else { return }
        if final {
            settling.remove(at: i)
        } else {
            settling[i].quantity = Quantity(raw: max(0, settling[i].quantity.raw - filled.raw))
        }
    }

    /// A listing asked for at `nanos` holds every fill before it: settling orders closed by then are done.
    public mutating func settleAll(closedBy nanos: Int64) {
        settling.removeAll { $0.closedNanos <= nanos }
    }

    /// When `id` was closed, if lately.
    public func closedAt(_ id: ClientOrderID) -> Int64? {
        for c in closed where c.id == id && c.id.count > 0 { return c.nanos }
        return nil
    }

    /// Orders the quote reconciler may keep: everything that may rest, at the price and size it will have,
    /// except orders on their way out (so nothing is placed twice, and nothing going away is counted on).
    public func quotable(into list: inout FixedList<OpenOrder>) {
        list.removeAll()
        for o in all where o.state != .pendingCancel && !o.cancelWanted && o.kind == .postOnlyLimit {
            let modifying = o.state == .pendingModify
            let price = modifying ? o.targetPrice : o.price
            let remaining = Quantity(raw: max(0, (modifying ? o.targetQuantity : o.quantity).raw - o.filled.raw))
            list.append(OpenOrder(clientOrderID: o.clientOrderID, side: o.side, price: price, remaining: remaining))
        }
    }

    /// The quotable orders as a new list (tests).
    public func quotable() -> FixedList<OpenOrder> {
        var list = FixedList<OpenOrder>()
        quotable(into: &list)
        return list
    }

    /// What may still fill on each side, counting every order that may be live at its largest possible size,
    /// and the number of such orders.
    public func exposure() -> (buy: Quantity, sell: Quantity, count: Int) {
        var buy: Int64 = 0
        var sell: Int64 = 0
        for o in all {
            let r = o.worstCaseRemaining.raw
            if o.side == .buy { buy = buy.addingReportingOverflow(r).partialValue } else { sell = sell.addingReportingOverflow(r).partialValue }
        }
        for s in settling {
            if s.side == .buy { buy = buy.addingReportingOverflow(s.quantity.raw).partialValue } else { sell = sell.addingReportingOverflow(s.quantity.raw).partialValue }
        }
        return (Quantity(raw: buy), Quantity(raw: sell), all.count)
    }

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

    /// Whether a venue order's figures are plausible (see `isPlausible`).
    public static func isPlausible(_ o: VenueOrder) -> Bool {
        let bound = UInt64(plausibleMagnitude)
        return o.price.raw.magnitude <= bound && o.quantity.raw >= 0 && o.quantity.raw.magnitude <= bound && o.executed.raw >= 0
            && o.executed.raw.magnitude <= bound
    }

    /// Whether a position and price are plausible.
    public static func isPlausible(_ q: Quantity, _ p: Price) -> Bool {
        q.raw.magnitude <= plausibleMagnitude.magnitude && p.raw.magnitude <= plausibleMagnitude.magnitude
    }
}
