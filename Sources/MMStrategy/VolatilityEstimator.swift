#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exponentially weighted variance of mid changes per second, in ticks² / s, from samples at irregular times.
/// Starts at `initialTicksPerSqrtSecond`² so the models quote sensibly before data accumulates.
public struct VolatilityEstimator: Sendable, Equatable {
    /// Half-life of the weights, seconds.
    public var halfLifeSeconds: Double
    public private(set) var variancePerSecond: Double
    private var lastMid: Double?
    private var lastNanos: Int64 = 0

    public init(halfLifeSeconds: Double = 30, initialTicksPerSqrtSecond: Double = 1) {
        self.halfLifeSeconds = max(0.001, halfLifeSeconds)
        variancePerSecond = initialTicksPerSqrtSecond * initialTicksPerSqrtSecond
    }

    /// Adds a mid (in ticks) observed at `nanos` (monotonic).
    public mutating func observe(midTicks: Double, nanos: Int64) {
        defer {
            lastMid = midTicks
            lastNanos = nanos
        }
        guard let previous = lastMid, nanos > lastNanos else { return }
        let dt = Double(nanos - lastNanos) / 1e9
        let change = midTicks - previous
        let weight = exp2(-dt / halfLifeSeconds)
        variancePerSecond = weight * variancePerSecond + (1 - weight) * (change * change / dt)
    }

    /// σ in ticks per √second.
    public var ticksPerSqrtSecond: Double { variancePerSecond.squareRoot() }
}

