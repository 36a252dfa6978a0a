import MMCore
import MMStrategy

/// An order resting at the venue, as the engine knows it.
public struct OpenOrder: Sendable, Hashable {
    public var clientOrderID: String
    public var side: Side
    public var price: Price
    /// Remaining (unfilled) size.
    public var remaining: Quantity

    public init(clientOrderID: String, side: Side, price: Price, remaining: Quantity) {
        self.clientOrderID = clientOrderID
        self.side = side
        self.price = price
        self.remaining = remaining
    }
}

/// What the gateway must do to turn the open orders into the desired quotes.
public enum OrderCommand: Sendable, Hashable {
    case place(Quote)
    case cancel(clientOrderID: String)
}

/// Turns desired quotes into the fewest commands against the open orders. An open order that matches a
/// desired quote within the tolerance is kept (no churn: keeping queue position is worth more than a tick);
/// every unmatched open order is cancelled and every unmatched quote placed. Cancels come first.
public struct QuoteReconciler: Sendable {
    /// Largest price difference, in ticks, at which an open order still counts as the desired quote.
    public var priceToleranceTicks: Int64
    /// Smallest remaining size, as a fraction of the desired size, that still counts (partly filled orders).
    public var minRemainingFraction: Double
    public let tickSize: Price

    public init(tickSize: Price, priceToleranceTicks: Int64 = 0, minRemainingFraction: Double = 0.5) {
        self.tickSize = tickSize
        self.priceToleranceTicks = priceToleranceTicks
        self.minRemainingFraction = minRemainingFraction
    }

    public func reconcile(desired: QuoteIntent, open: [OpenOrder]) -> [OrderCommand] {
        var unmatched = open
        var places: [OrderCommand] = []
        for quote in desired.quotes {
            let tolerance = priceToleranceTicks * tickSize.raw
            if let i = unmatched.firstIndex(where: { o in
                o.side == quote.side && (o.price.raw - quote.price.raw).magnitude <= UInt64(tolerance)
                    && Double(o.remaining.raw) >= Double(quote.quantity.raw) * minRemainingFraction
            }) {
                unmatched.remove(at: i)
            } else {
                places.append(.place(quote))
            }
        }
        return unmatched.map { .cancel(clientOrderID: $0.clientOrderID) } + places
    }
}
