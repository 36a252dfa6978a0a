#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMBook
import MMCore

/// What the book and the trades say beyond the mid, for the models: order-book imbalance over several
/// levels, the touch's microprice, and the signed flow and arrival rate of trades. Zero means no opinion.
public struct MarketSignals: Sendable, Equatable, BitwiseCopyable {
    /// (bid size − ask size) / (bid size + ask size) over the first levels, nearer levels weighing more:
    /// −1 (all offers) … 1 (all bids).
    public var imbalance: Double = 0
    /// The touch's size-weighted price, raw 1e-8 units (0 when a side is empty).
    public var microprice: Double = 0
    /// Taker buys minus taker sells over their sum, both decayed by age: −1 … 1.
    public var flow: Double = 0
    /// Trades per second, decayed by age.
    public var tradeRate: Double = 0

    public init(imbalance: Double = 0, microprice: Double = 0, flow: Double = 0, tradeRate: Double = 0) {
        self.imbalance = imbalance
        self.microprice = microprice
        self.flow = flow
        self.tradeRate = tradeRate
    }
}

/// Keeps `MarketSignals` up to date from the book after each applied diff and from each trade, without
/// allocating. A value, owned by whoever sees the market (the ingest thread, the backtester).
public struct SignalTracker: Sendable, Equatable {
    /// Levels per side the imbalance reads.
    public var levels: Int
    /// Half-life of the trade-flow weights, seconds.
    public var flowHalfLifeSeconds: Double
    public private(set) var imbalance = 0.0
    public private(set) var microprice = 0.0
    private var buyVolume = 0.0
    private var sellVolume = 0.0
    private var trades = 0.0
    private var lastTradeNanos: Int64 = 0

    public init(levels: Int = 5, flowHalfLifeSeconds: Double = 5) {
        self.levels = max(1, min(levels, 50))
        self.flowHalfLifeSeconds = max(0.001, flowHalfLifeSeconds)
    }

    /// Reads the first `levels` levels of each side (level i weighs 1/(i+1)) and the touch.
    @inlinable
    public mutating func observe(book: OrderBook) {
        var bid = 0.0
        var ask = 0.0
        for i in 0..<levels {
            let w = 1 / Double(i + 1)
            if let l = book.level(.bid, i) { bid += w * Double(l.lots.value) }
            if let l = book.level(.ask, i) { ask += w * Double(l.lots.value) }
        }
        setImbalance(bid + ask > 0 ? (bid - ask) / (bid + ask) : 0)
        guard let b = book.bestBid, let a = book.bestAsk, b.lots.value + a.lots.value > 0 else {
            setMicroprice(0)
            return
        }
        let grid = book.instrument.bookGrid
        let bq = Double(b.lots.value)
        let aq = Double(a.lots.value)
        setMicroprice((Double(grid.price(b.ticks).raw) * aq + Double(grid.price(a.ticks).raw) * bq) / (aq + bq))
    }

    @usableFromInline mutating func setImbalance(_ v: Double) { imbalance = v }
    @usableFromInline mutating func setMicroprice(_ v: Double) { microprice = v }

    /// One public trade: the taker bought unless the buyer was the maker.
    public mutating func observeTrade(quantity: Quantity, buyerIsMaker: Bool, nanos: Int64) {
        decay(to: nanos)
        let q = Double(quantity.raw) / Double(FixedPointScale.unit)
        if buyerIsMaker { sellVolume += q } else { buyVolume += q }
        trades += 1
    }

    private mutating func decay(to nanos: Int64) {
        if nanos > lastTradeNanos {
            let w = exp2(-Double(nanos - lastTradeNanos) / 1e9 / flowHalfLifeSeconds)
            buyVolume *= w
            sellVolume *= w
            trades *= w
            lastTradeNanos = nanos
        }
    }

    /// The signals as of `nanos` (the flow decayed to then).
    public func signals(at nanos: Int64) -> MarketSignals {
        let w = nanos > lastTradeNanos ? exp2(-Double(nanos - lastTradeNanos) / 1e9 / flowHalfLifeSeconds) : 1
        let total = (buyVolume + sellVolume) * w
        // Trades per second: the decayed count over the weights' mean life (half-life / ln 2).
        let rate = trades * w / (flowHalfLifeSeconds / M_LN2)
        return MarketSignals(
            imbalance: imbalance, microprice: microprice, flow: total > 0 ? (buyVolume - sellVolume) * w / total : 0, tradeRate: rate)
    }
}
