#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MMBook
import MMCore

/// Guéant–Lehalle–Fernandez-Tapia (2013) closed-form approximation, in tick units with order size Δ = 1
/// (`baseSize`) and ξ = γ:
/// `c1 = ln(1 + γ/κ)/γ`, `c2 = √(γ/(2Aκ) · (1 + γ/κ)^(κ/γ + 1))`,
/// half spread `c1 + σ·c2/2`, skew `σ·c2` per unit of inventory: bid depth `half + skew·q`, ask depth
/// `half − skew·q`. `A` and κ describe how fast fills arrive at a given depth (fills/s ≈ A·e^(−κ·depth)).
public struct GLFTQuoter: Strategy {
    public var ladder: QuoteLadder
    public let gamma: Double
    public let kappa: Double
    public let arrivalRate: Double
    public var minHalfSpreadTicks: Double
    public var volatility: VolatilityEstimator
    /// The closed form's constants, which depend only on γ, κ and A.
    @usableFromInline let c1: Double
    @usableFromInline let c2: Double

    public init(
        ladder: QuoteLadder, gamma: Double, kappa: Double, arrivalRate: Double, minHalfSpreadTicks: Double = 1,
        volatility: VolatilityEstimator = VolatilityEstimator()
    ) {
        self.ladder = ladder
        self.gamma = max(gamma, 1e-9)
        self.kappa = max(kappa, 1e-9)
        self.arrivalRate = max(arrivalRate, 1e-9)
        self.minHalfSpreadTicks = max(minHalfSpreadTicks, 0)
        self.volatility = volatility
        let g = self.gamma
        let k = self.kappa
        c1 = log1p(g / k) / g
        c2 = (g / (2 * self.arrivalRate * k) * pow(1 + g / k, k / g + 1)).squareRoot()
    }

    /// Bid and ask depth from mid, in ticks, for inventory `q` and volatility σ.
    @inlinable
    public func depths(inventory q: Double, sigma: Double) -> (bid: Double, ask: Double) {
        let half = c1 + sigma * c2 / 2
        let skew = sigma * c2
        return (max(half + skew * q, minHalfSpreadTicks), max(half - skew * q, minHalfSpreadTicks))
    }

    public mutating func quote(_ view: MarketView, into intent: inout QuoteIntent) {
        guard view.top.isSynced, let mid = view.top.mid else {
            intent.removeAll()
            return
        }
        let tick = Double(ladder.instrument.tickSize.raw)
        volatility.observe(midTicks: Double(mid.raw) / tick, nanos: view.nowNanos)
        let d = depths(inventory: ladder.inventory(view.position), sigma: volatility.ticksPerSqrtSecond)
        ladder.build(bid: Double(mid.raw) - d.bid * tick, ask: Double(mid.raw) + d.ask * tick, view: view, into: &intent)
    }
}

/// The configured quoting model, as a value (no existential on the tick path).
public enum QuoterModel: Strategy {
    case fixedSpread(FixedSpreadQuoter)
    case avellanedaStoikov(AvellanedaStoikovQuoter)
    case glft(GLFTQuoter)
    case alpha(AlphaQuoter)

    public mutating func quote(_ view: MarketView, into intent: inout QuoteIntent) {
        switch self {
        case .fixedSpread(var q):
            q.quote(view, into: &intent)
            self = .fixedSpread(q)
        case .avellanedaStoikov(var q):
            q.quote(view, into: &intent)
            self = .avellanedaStoikov(q)
        case .glft(var q):
            q.quote(view, into: &intent)
            self = .glft(q)
        case .alpha(var q):
            q.quote(view, into: &intent)
            self = .alpha(q)
        }
    }
}
