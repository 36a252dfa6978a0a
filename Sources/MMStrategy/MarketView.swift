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
    /// Book and trade signals (zero where the caller has none).
    public var signals: MarketSignals

    public init(top: TopOfBook, position: Quantity, nowNanos: Int64 = 0, signals: MarketSignals = MarketSignals()) {
        self.top = top
        self.position = position
        self.nowNanos = nowNanos
        self.signals = signals
    }
}

/// A quoting model. Implementations are values; `quote` may update estimates (volatility) they keep.
public protocol Strategy: Sendable {
    /// Writes the desired quotes for the view into `intent` (replacing them); none on a stale or one-sided
    /// book. Written in place: a returned intent would be copied on its way out.
    mutating func quote(_ view: MarketView, into intent: inout QuoteIntent)
}

extension Strategy {
    /// The desired quotes for the view, as a new value.
    public mutating func quote(_ view: MarketView) -> QuoteIntent {
        var intent = QuoteIntent()
        quote(view, into: &intent)
        return intent
    }
}
