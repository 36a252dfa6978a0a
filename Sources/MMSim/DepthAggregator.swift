import MMBook
import MMCore

/// Merges a symbol's diffs over an update interval into one diff, as Binance's `@depth@100ms` and
/// `@depth` streams do: `U` of the first, `u` and levels as of the last, `pu` of the first (which equals
/// the previous merged diff's `u` while the stream is unbroken, and shows a gap when it is not).
public struct DepthAggregator: Sendable {
    public let intervalMillis: Int
    private var pending: DepthUpdate?
    private var bids: [Int64: Int64] = [:]
    private var asks: [Int64: Int64] = [:]

    public init(intervalMillis: Int) {
        self.intervalMillis = intervalMillis
    }

    /// Adds one diff to the current interval.
    public mutating func add(_ d: DepthUpdate) {
        if pending == nil {
            var first = d
            first.bids = []
            first.asks = []
            pending = first
        }
        pending!.finalUpdateID = d.finalUpdateID
        pending!.eventTimeMillis = d.eventTimeMillis
        pending!.transactionTimeMillis = d.transactionTimeMillis
        for l in d.bids { bids[l.price.raw] = l.quantity.raw }
        for l in d.asks { asks[l.price.raw] = l.quantity.raw }
    }

    /// The merged diff of the interval, if any diff arrived, with levels in ascending price as Binance sends them.
    public mutating func flush() -> DepthUpdate? {
        guard var d = pending else { return nil }
        d.bids = LevelList(bids.sorted { $0.key < $1.key }.map { PriceLevel(price: Price(raw: $0.key), quantity: Quantity(raw: $0.value)) })
        d.asks = LevelList(asks.sorted { $0.key < $1.key }.map { PriceLevel(price: Price(raw: $0.key), quantity: Quantity(raw: $0.value)) })
        pending = nil
        bids.removeAll(keepingCapacity: true)
        asks.removeAll(keepingCapacity: true)
        return d
    }
}
