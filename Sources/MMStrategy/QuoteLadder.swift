import MMBook
import MMCore

/// Shared by the quoters: turns a bid and ask target (fractional 1e-8 price units) into N levels per side,
/// rounded per side to the tick (bids down, asks up: never more aggressive than computed), kept on their own
/// side of the touch (post-only), sized to the step, without levels that would take the position past its
/// limit or fall under the minimum notional.
public struct QuoteLadder: Sendable, Equatable {
    public let instrument: Instrument
    /// Size of each quote (the seed's `baseSize`).
    public var baseSize: Quantity
    /// Levels per side (1...8).
    public var levels: Int
    /// Extra distance of each further level, ticks.
    public var levelSpacingTicks: Int64
    /// Largest |position| the quotes may lead to.
    public var maxPosition: Quantity
    /// The maker fee as a fraction of notional (negative: a rebate).
    public var makerFee = 0.0
    /// Edge a round trip must make beyond its fees, as a fraction of the price.
    public var minEdge = 0.0
    /// How many maker fees each side must stay from the fair value when the fee is a cost (fills at a
    /// distance are mostly the adverse ones, so one fee is rarely enough); rebates are taken as they are.
    public var feeCoverage = 1.0
    /// Quote even where a round trip cannot cover its fees.
    public var allowNegativeEdge = false

    public init(instrument: Instrument, baseSize: Quantity, levels: Int = 1, levelSpacingTicks: Int64 = 1, maxPosition: Quantity) {
        self.instrument = instrument
        self.baseSize = baseSize
        self.levels = max(1, min(levels, QuoteIntent.capacity / 2))
        self.levelSpacingTicks = max(1, levelSpacingTicks)
        self.maxPosition = maxPosition
    }

    /// How far from `fair` (raw price units) each side must stay for a round trip to pay its maker fees (times
    /// `feeCoverage`) and `minEdge`: zero with a rebate that covers them, or when negative edge is allowed.
    @inlinable
    public func feeFloor(fair: Double) -> Double {
        allowNegativeEdge ? 0 : max(0, fair * ((makerFee > 0 ? makerFee * feeCoverage : makerFee) + minEdge / 2))
    }

    /// Builds the ladder for targets `bid` and `ask` (raw price units) into `intent` (replacing it), around
    /// `fair` (default: the mid) for the fee floor. Quotes may sit inside a wide spread but never cross it.
    @inlinable
    public func build(bid: Double, ask: Double, view: MarketView, fair: Double? = nil, into intent: inout QuoteIntent) {
        intent.removeAll()
        let size = instrument.roundQuantityDown(baseSize)
        guard size.raw > 0, bid.isFinite, ask.isFinite, bid > 0, ask > 0 else { return }
        let tick = instrument.tickSize.raw
        let spacing = levelSpacingTicks * tick
        var bid = bid
        var ask = ask
        let center = fair ?? view.top.mid.map { Double($0.raw) } ?? (bid + ask) / 2
        let floor = feeFloor(fair: center)
        if floor > 0 {
            bid = min(bid, center - floor)
            ask = max(ask, center + floor)
        }
        // Post-only: at most one tick under the best ask, at least one over the best bid.
        let firstBid = min(instrument.roundPrice(Price(raw: Int64(bid.rounded(.down))), for: .buy), Price(raw: view.top.askPrice.raw - tick))
        let firstAsk = max(instrument.roundPrice(Price(raw: Int64(ask.rounded(.up))), for: .sell), Price(raw: view.top.bidPrice.raw + tick))
        for level in 0..<levels {
            let extra = Int64(level) * spacing
            let bidPrice = Price(raw: firstBid.raw - extra)
            let askPrice = Price(raw: firstAsk.raw + extra)
            if view.position.raw + size.raw * Int64(level + 1) <= maxPosition.raw, bidPrice.raw > 0,
                instrument.meetsMinNotional(price: bidPrice, quantity: size)
            {
                intent.append(Quote(side: .buy, price: bidPrice, quantity: size))
            }
            if view.position.raw - size.raw * Int64(level + 1) >= -maxPosition.raw,
                instrument.meetsMinNotional(price: askPrice, quantity: size)
            {
                intent.append(Quote(side: .sell, price: askPrice, quantity: size))
            }
        }
    }

    /// Position in units of `baseSize` (the models' `q`).
    @inlinable
    public func inventory(_ position: Quantity) -> Double {
        baseSize.raw > 0 ? Double(position.raw) / Double(baseSize.raw) : 0
    }
}
