import MMBook
import MMCore

/// What a strategy reads each tick: the published top of book, the account's position and the time.
/// Memory only: never a network call.
public struct MarketView: Sendable, Equatable, BitwiseCopyable {
    public var top: TopOfBook
    /// Signed position.
    public var position: Quantity
    /// Monotonic time of the tick, nanoseconds (drives volatility estimates).
    public var nowNanos: Int64

    public init(top: TopOfBook, position: Quantity, nowNanos: Int64 = 0) {
        self.top = top
        self.position = position
        self.nowNanos = nowNanos
    }
}

/// A quoting model. Implementations are values; `quote` may update estimates (volatility) they keep.
public protocol Strategy: Sendable {
    /// Desired quotes for the view; empty on a stale or one-sided book.
    mutating func quote(_ view: MarketView) -> QuoteIntent
}
