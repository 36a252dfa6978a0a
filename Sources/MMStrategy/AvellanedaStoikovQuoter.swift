#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMBook
import MMCore

/// Avellaneda–Stoikov (2008) with a rolling horizon, in tick units: reservation price
/// `r = mid − q·γ·σ²·τ` and total spread `γ·σ²·τ + (2/γ)·ln(1 + γ/κ)`, where `q` is the position in
/// `baseSize` units, σ the estimated volatility (ticks/√s), τ the horizon (s), γ the risk aversion and κ the
/// order-book liquidity (1/ticks). Half spread is floored at `minHalfSpreadTicks`.
public struct AvellanedaStoikovQuoter: Strategy {
    public var ladder: QuoteLadder
    public let gamma: Double
    public let kappa: Double
    public var horizonSeconds: Double
    /// `(2/γ)·ln(1 + γ/κ)`, constant for the quoter's γ and κ.
    @usableFromInline let liquidityTerm: Double
    public var minHalfSpreadTicks: Double
    public var volatility: VolatilityEstimator

    public init(
        ladder: QuoteLadder, gamma: Double, kappa: Double, horizonSeconds: Double, minHalfSpreadTicks: Double = 1,
        volatility: VolatilityEstimator = VolatilityEstimator()
    ) {
        self.ladder = ladder
        self.gamma = max(gamma, 1e-9)
        self.kappa = max(kappa, 1e-9)
        self.horizonSeconds = max(horizonSeconds, 0)
        self.minHalfSpreadTicks = max(minHalfSpreadTicks, 0)
        self.volatility = volatility
        liquidityTerm = (2 / self.gamma) * log1p(self.gamma / self.kappa)
    }

    /// Reservation-price offset from mid and half spread, in ticks, for inventory `q` and volatility σ.
    @inlinable
    public func targets(inventory q: Double, sigma: Double) -> (offset: Double, halfSpread: Double) {
        let risk = gamma * sigma * sigma * horizonSeconds
        let half = (risk + liquidityTerm) / 2
        return (-q * risk, max(half, minHalfSpreadTicks))
    }

    public mutating func quote(_ view: MarketView, into intent: inout QuoteIntent) {
        guard view.top.isSynced, let mid = view.top.mid else {
            intent.removeAll()
            return
        }
        let tick = Double(ladder.instrument.tickSize.raw)
        volatility.observe(midTicks: Double(mid.raw) / tick, nanos: view.nowNanos)
        let t = targets(inventory: ladder.inventory(view.position), sigma: volatility.ticksPerSqrtSecond)
        let center = Double(mid.raw) + t.offset * tick
        ladder.build(bid: center - t.halfSpread * tick, ask: center + t.halfSpread * tick, view: view, into: &intent)
    }
}
