import MMCore

/// The position of one symbol, kept from fills and checked against what the venue says it is.
///
/// Fills (each counted once, by trade ID) move the position. The venue's own figures arrive two ways:
/// - an account update (`ACCOUNT_UPDATE`) may arrive before or after the fill reports it already includes,
///   so it is advisory: the position must agree with it (allowing for fills on either side of it) within
///   `driftLimit`, or the venue's figure is taken;
/// - a reconciliation snapshot is authoritative at once: every fill at or before its time is in it, so such
///   fills arriving later no longer move the position.
///
/// While the two disagree, `bounds` gives both, so a risk check can take the worse.
public struct PositionKeeper: Sendable {
    public private(set) var position = Quantity.zero
    public private(set) var entryPrice = Price.zero
    public private(set) var fillCount = 0
    public private(set) var makerFillCount = 0
    public private(set) var volume = Quantity.zero
    public private(set) var maxAbsPosition = Quantity.zero
    /// Times the venue's figure replaced the fills' after a disagreement.
    public private(set) var corrections = 0

    /// Recent fills, oldest first (venue time, signed quantity, price, arrival number).
    private var recent: [(time: Int64, signed: Int64, price: Int64, arrival: UInt64)] = []
    private static let recentCapacity = 256
    private var arrivals: UInt64 = 0
    /// Fills at or before this venue time are already in the position (an authoritative snapshot said so).
    private var floorTime: Int64 = .min
    /// The venue's latest advisory figure not yet agreed with, and since when (monotonic).
    private var pending: (quantity: Quantity, entry: Price, time: Int64, arrival: UInt64, since: Int64)?
    private var seenTrades = TradeIDWindow()

    public init() {
        recent.reserveCapacity(Self.recentCapacity)
    }

    /// Whether the position agrees with the venue's last word.
    public var isConsistent: Bool { pending == nil }

    /// The position as the fills give it and, while they disagree, as the venue gives it: the smaller and the
    /// larger of the two.
    public var bounds: (low: Quantity, high: Quantity) {
        guard let p = pending else { return (position, position) }
        let implied = impliedBy(p.quantity, time: p.time, arrival: p.arrival, includeTies: false)
        return (Quantity(raw: min(position.raw, implied)), Quantity(raw: max(position.raw, implied)))
    }

    /// Applies one fill; false when its trade was already counted. `time` is the venue's (ms).
    @discardableResult
    public mutating func fill(tradeID: Int64, side: Side, price: Price, quantity: Quantity, maker: Bool, time: Int64) -> Bool {
        guard tradeID == 0 || seenTrades.insert(tradeID) else { return false }
        fillCount += 1
        if maker { makerFillCount += 1 }
        volume = volume.clampedAdding(quantity)
        let signed = side == .buy ? quantity.raw : -quantity.raw
        arrivals &+= 1
        if recent.count == Self.recentCapacity { recent.removeFirst() }
        recent.append((time, signed, price.raw, arrivals))
        if time > floorTime {
            (position, entryPrice) = Self.applying(signed, price.raw, to: (position, entryPrice))
            noteMax()
        }
        if let p = pending, agrees(p) { pending = nil }
        return true
    }

    /// The venue's position from an account update at venue time `time` (ms), arriving at `nowNanos`.
    public mutating func advisory(quantity: Quantity, entry: Price, time: Int64, nowNanos: Int64) {
        if let p = pending, time < p.time { return }
        if time < floorTime { return }
        arrivals &+= 1
        let p = (quantity, entry, time, arrivals, pending?.since ?? nowNanos)
        pending = agrees(p) ? nil : p
    }

    /// The venue's position from a reconciliation: taken as it is, with the fills after `time` on top.
    public mutating func authoritative(quantity: Quantity, entry: Price, time: Int64) {
        var state = (quantity, entry)
        for f in recent where f.time > time { state = Self.applying(f.signed, f.price, to: state) }
        (position, entryPrice) = state
        floorTime = max(floorTime, time)
        pending = nil
        noteMax()
    }

    /// Takes the venue's figure if it has disagreed with the fills for `driftLimitNanos`; returns the
    /// correction made.
    public mutating func settle(nowNanos: Int64, driftLimitNanos: Int64) -> (from: Quantity, to: Quantity)? {
        guard let p = pending, nowNanos - p.since >= driftLimitNanos else { return nil }
        let before = position
        authoritative(quantity: p.quantity, entry: p.entry, time: p.time)
        corrections += 1
        return before == position ? nil : (before, position)
    }

    /// Today's figures restored after a restart: trades already counted are not counted again.
    public mutating func remember(tradeIDs: [Int64]) {
        for t in tradeIDs where t != 0 { _ = seenTrades.insert(t) }
    }

    /// The unrealized PnL of the position at `mark`.
    public func unrealized(at mark: Price) -> Notional {
        guard position.raw != 0, entryPrice.raw != 0 else { return .zero }
        let diff = (Int128(mark.raw) - Int128(entryPrice.raw)) * Int128(position.raw) / Int128(FixedPointScale.unit)
        return Notional(raw: Int64(clamping: diff))
    }

    // MARK: Helpers

    private mutating func noteMax() {
        if position.raw.magnitude > maxAbsPosition.raw.magnitude { maxAbsPosition = position.clampedMagnitude }
    }

    /// The position a venue figure implies now: it plus the fills after it. Fills with the venue figure's own
    /// time that arrived after it may or may not be in it (a millisecond holds several events).
    private func impliedBy(_ quantity: Quantity, time: Int64, arrival: UInt64, includeTies: Bool) -> Int64 {
        var q = quantity.raw
        for f in recent where f.time > time || (includeTies && f.time == time && f.arrival > arrival) {
            q = q.addingReportingOverflow(f.signed).partialValue
        }
        return q
    }

    private func agrees(_ p: (quantity: Quantity, entry: Price, time: Int64, arrival: UInt64, since: Int64)) -> Bool {
        if let oldest = recent.first, recent.count == Self.recentCapacity, oldest.time > p.time {
            // Older than every fill remembered: nothing to compare with; a reconciliation will tell.
            return true
        }
        return position.raw == impliedBy(p.quantity, time: p.time, arrival: p.arrival, includeTies: false)
            || position.raw == impliedBy(p.quantity, time: p.time, arrival: p.arrival, includeTies: true)
    }

    /// Position and average entry after one fill: adding averages the price, reducing keeps it, flipping
    /// starts from the fill's price.
    static func applying(_ signed: Int64, _ price: Int64, to state: (Quantity, Price)) -> (Quantity, Price) {
        let old = state.0.raw
        let new = state.0.clampedAdding(Quantity(raw: signed)).raw
        var entry = state.1
        if old == 0 || (old > 0) != (signed > 0) {
            if new == 0 {
                entry = .zero
            } else if old == 0 || (old > 0) != (new > 0) {
                entry = Price(raw: price)
            }
        } else {
            let cost = Int128(entry.raw) * Int128(old.magnitude) + Int128(price) * Int128(signed.magnitude)
            entry = Price(raw: Int64(clamping: cost / Int128(new.magnitude)))
        }
        return (Quantity(raw: new), entry)
    }
}

/// The trade IDs of the last few thousand fills: a reconnect may deliver a report again.
struct TradeIDWindow: Sendable {
    private var set: Set<Int64> = []
    private var order: [Int64]
    private var next = 0
    private static let capacity = 4096

    init() {
        set.reserveCapacity(Self.capacity)
        order = [Int64](repeating: 0, count: Self.capacity)
    }

    /// False when `id` is in the window already.
    mutating func insert(_ id: Int64) -> Bool {
        guard set.insert(id).inserted else { return false }
        let evicted = order[next]
        if evicted != 0 { set.remove(evicted) }
        order[next] = id
        next = (next + 1) % Self.capacity
        return true
    }
}
