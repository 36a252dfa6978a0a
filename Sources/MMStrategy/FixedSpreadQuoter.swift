import MMBook
import MMCore

/// Fixed spread around the mid with inventory skew: quotes move against the position so it mean-reverts,
/// and the side that would grow the position past `maxPosition` is not quoted.
public struct FixedSpreadQuoter: Strategy {
    public var ladder: QuoteLadder
    /// Distance of the first level from mid, basis points.
    public var halfSpreadBps: Double
    /// Shift of both sides per unit of `position / maxPosition`, basis points.
    public var skewBps: Double

    public init(
        instrument: Instrument, halfSpreadBps: Double, baseSize: Quantity, levels: Int = 1, levelSpacingTicks: Int64 = 1,
        skewBps: Double = 0, maxPosition: Quantity
    ) {
        ladder = QuoteLadder(
            instrument: instrument, baseSize: baseSize, levels: levels, levelSpacingTicks: levelSpacingTicks, maxPosition: maxPosition)
        self.halfSpreadBps = halfSpreadBps
        self.skewBps = skewBps
    }

    public mutating func quote(_ view: MarketView, into intent: inout QuoteIntent) {
        guard view.top.isSynced, let mid = view.top.mid else {
            intent.removeAll()
            return
        }
        let midValue = Double(mid.raw)
        let maxPosition = ladder.maxPosition.raw
        let inventory = maxPosition > 0 ? Double(view.position.raw) / Double(maxPosition) : 0
        // Long: both sides move down (sell sooner, buy later); short: up.
        let center = midValue * (1 - skewBps * inventory / 10_000)
        let half = midValue * halfSpreadBps / 10_000
        ladder.build(bid: center - half, ask: center + half, view: view, into: &intent)
    }
}
