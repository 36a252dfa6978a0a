import MMCore

/// A one-way (BOTH) position and its accounting, in exact fixed point.
public struct SimPosition: Sendable, Equatable {
    /// Signed size: positive long, negative short.
    public var quantity = Quantity.zero
    /// Average entry price of the open size.
    public var entryPrice = Price.zero
    /// Realized PnL since the account opened (before fees).
    public var realized = Notional.zero
    /// When a fill last changed it (the venue's clock, ms; 0 never).
    public var updateTimeMillis: Int64 = 0

    public init() {}

    /// Applies a fill and returns the PnL it realized.
    @discardableResult
    public mutating func apply(side: Side, quantity q: Quantity, price: Price) -> Notional {
        let signed = side == .buy ? q.raw : -q.raw
        let current = quantity.raw
        var realizedNow = Notional.zero
        if current == 0 || (current > 0) == (signed > 0) {
            // Opening or adding: entry is the size-weighted average, rounded toward the position's side.
            let total = Int128(current.magnitude) * Int128(entryPrice.raw) + Int128(signed.magnitude) * Int128(price.raw)
            let size = Int128(current.magnitude + signed.magnitude)
            entryPrice = Price(raw: Int64(total / size))
            quantity = Quantity(raw: current + signed)
        } else {
            // Reducing, closing or flipping.
            let closing = min(current.magnitude, signed.magnitude)
            let perUnit = Int128(price.raw - entryPrice.raw) * (current > 0 ? 1 : -1)
            realizedNow = Notional(raw: Int64(perUnit * Int128(closing) / Int128(FixedPointScale.unit)))
            realized += realizedNow
            let remaining = current + signed
            quantity = Quantity(raw: remaining)
            if remaining == 0 {
                entryPrice = .zero
            } else if (remaining > 0) != (current > 0) {
                entryPrice = price
            }
        }
        return realizedNow
    }

    /// Unrealized PnL at `mark`.
    public func unrealized(at mark: Price) -> Notional {
        Notional(raw: Int64(Int128(mark.raw - entryPrice.raw) * Int128(quantity.raw) / Int128(FixedPointScale.unit)))
    }

    /// |size| × mark.
    public func notional(at mark: Price) -> Notional {
        Notional(raw: Int64(Int128(quantity.raw.magnitude) * Int128(mark.raw) / Int128(FixedPointScale.unit)))
    }
}
