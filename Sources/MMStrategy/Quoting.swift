import MMBook
import MMCore

/// What a strategy reads each tick: the published top of book and the account's position. Memory only.
public struct MarketView: Sendable, Equatable {
    public var top: TopOfBook
    /// Signed position.
    public var position: Quantity

    public init(top: TopOfBook, position: Quantity) {
        self.top = top
        self.position = position
    }
}

/// One desired resting order.
public struct Quote: Sendable, Hashable {
    public var side: Side
    public var price: Price
    public var quantity: Quantity

    public init(side: Side, price: Price, quantity: Quantity) {
        self.side = side
        self.price = price
        self.quantity = quantity
    }
}

/// The orders a strategy wants resting after this tick (empty: none).
public struct QuoteIntent: Sendable, Equatable {
    public var quotes: [Quote]
    public init(quotes: [Quote]) { self.quotes = quotes }
}

/// A quoting model.
public protocol Strategy: Sendable {
    /// Desired quotes for the view; never on a stale book.
    func quote(_ view: MarketView) -> QuoteIntent
}

/// Fixed spread around the mid with inventory skew: quotes move against the position so it mean-reverts,
/// and the side that would grow the position past `maxPosition` is not quoted. Prices are rounded per side
/// (bids down, asks up, never more aggressive than computed), sizes down to the step, and quotes under
/// the minimum notional are dropped.
public struct FixedSpreadQuoter: Strategy {
    public let instrument: Instrument
    /// Distance of the first level from mid, basis points.
    public var halfSpreadBps: Double
    /// Size of each quote (the seed's `baseSize`).
    public var baseSize: Quantity
    public var levels: Int
    /// Extra distance of each further level, ticks.
    public var levelSpacingTicks: Int64
    /// Shift of both sides per unit of `position / maxPosition`, basis points.
    public var skewBps: Double
    public var maxPosition: Quantity

    public init(
        instrument: Instrument, halfSpreadBps: Double, baseSize: Quantity, levels: Int = 1, levelSpacingTicks: Int64 = 1,
        skewBps: Double = 0, maxPosition: Quantity
    ) {
        self.instrument = instrument
        self.halfSpreadBps = halfSpreadBps
        self.baseSize = baseSize
        self.levels = levels
        self.levelSpacingTicks = levelSpacingTicks
        self.skewBps = skewBps
        self.maxPosition = maxPosition
    }

    public func quote(_ view: MarketView) -> QuoteIntent {
        guard view.top.isSynced, let mid = view.top.mid else { return QuoteIntent(quotes: []) }
        let size = instrument.roundQuantityDown(baseSize)
        guard size.raw > 0 else { return QuoteIntent(quotes: []) }
        let midValue = Double(mid.raw)
        let inventory = maxPosition.raw > 0 ? Double(view.position.raw) / Double(maxPosition.raw) : 0
        // Long: both sides move down (sell sooner, buy later); short: up.
        let center = midValue * (1 - skewBps * inventory / 10_000)
        let half = midValue * halfSpreadBps / 10_000
        var quotes: [Quote] = []
        for level in 0..<levels {
            let extra = Double(Int64(level) * levelSpacingTicks * instrument.tickSize.raw)
            let bid = instrument.roundPrice(Price(raw: Int64((center - half - extra).rounded(.down))), for: .buy)
            let ask = instrument.roundPrice(Price(raw: Int64((center + half + extra).rounded(.up))), for: .sell)
            // Never cross the book: a maker quote stays on its side of the touch.
            let safeBid = min(bid, view.top.bidPrice)
            let safeAsk = max(ask, view.top.askPrice)
            if view.position.raw + size.raw * Int64(level + 1) <= maxPosition.raw,
                instrument.meetsMinNotional(price: safeBid, quantity: size)
            {
                quotes.append(Quote(side: .buy, price: safeBid, quantity: size))
            }
            if view.position.raw - size.raw * Int64(level + 1) >= -maxPosition.raw,
                instrument.meetsMinNotional(price: safeAsk, quantity: size)
            {
                quotes.append(Quote(side: .sell, price: safeAsk, quantity: size))
            }
        }
        return QuoteIntent(quotes: quotes)
    }
}
