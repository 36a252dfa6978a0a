import MMBook
import MMCore

/// GLFT quoting around a fair value that leans on the book and the tape:
/// `fair = mid + imbalanceTicks·imbalance + flowTicks·flow + micropriceWeight·(microprice − mid)`,
/// with GLFT's half spread and inventory skew in ticks around it and the ladder's fee floor under both sides.
/// With a one-tick spread this mostly decides which side to show at the touch: the one the signals do not
/// expect to be run over.
public struct AlphaQuoter: Strategy {
    public var glft: GLFTQuoter
    /// Fair-value shift per unit of imbalance (−1 … 1), ticks.
    public var imbalanceTicks: Double
    /// Fair-value shift per unit of trade flow (−1 … 1), ticks.
    public var flowTicks: Double
    /// Share of the microprice's distance from the mid taken into the fair value (0 … 1).
    public var micropriceWeight: Double

    public init(glft: GLFTQuoter, imbalanceTicks: Double, flowTicks: Double, micropriceWeight: Double = 0) {
        self.glft = glft
        self.imbalanceTicks = imbalanceTicks
        self.flowTicks = flowTicks
        self.micropriceWeight = max(0, min(micropriceWeight, 1))
    }

    /// The fair value (raw price units) for a mid and the signals.
    @inlinable
    public func fairValue(mid: Double, tick: Double, signals s: MarketSignals) -> Double {
        var fair = mid + (imbalanceTicks * s.imbalance + flowTicks * s.flow) * tick
        if s.microprice > 0 { fair += micropriceWeight * (s.microprice - mid) }
        return fair
    }

    public mutating func quote(_ view: MarketView, into intent: inout QuoteIntent) {
        guard view.top.isSynced, let mid = view.top.mid else {
            intent.removeAll()
            return
        }
        let ladder = glft.ladder
        let tick = Double(ladder.instrument.tickSize.raw)
        glft.volatility.observe(midTicks: Double(mid.raw) / tick, nanos: view.nowNanos)
        let d = glft.depths(inventory: ladder.inventory(view.position), sigma: glft.volatility.ticksPerSqrtSecond)
        let fair = fairValue(mid: Double(mid.raw), tick: tick, signals: view.signals)
        ladder.build(bid: fair - d.bid * tick, ask: fair + d.ask * tick, view: view, fair: fair, into: &intent)
    }
}
