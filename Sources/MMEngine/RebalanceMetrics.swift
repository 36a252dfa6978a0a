import MMCore
import MMRebalance
import Prometheus

/// The rebalancer's Prometheus metrics, named as dashboards for it expect: runs by outcome and action, run
/// duration, the last order's fill rate, position value per asset, average cost and venue errors by code
/// and endpoint.
public final class RebalanceMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let lock = NSLockLike()
    private let duration: DurationHistogram

    public init() {
        duration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "rebalance_execution_duration", unitName: "seconds", helpText: "Duration of one rebalance run, start to complete."),
            buckets: [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600)])
    }

    private static func units(_ raw: Int64) -> Double { Double(raw) / Double(FixedPointScale.unit) }

    /// A finished run.
    public func record(_ r: RebalanceResult, baseAsset: String, quoteAsset: String) {
        lock.withLock {
            registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "rebalance_execution", unitName: "total", helpText: "Rebalance runs by outcome and action."), labels: [("status", r.status.rawValue), ("action", r.action)])
                .increment()
            duration.recordNanoseconds(max(0, (r.endMillis - r.startMillis) * 1_000_000))
            if let o = r.order, o.quantity.raw > 0 {
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "order_fill", unitName: "rate", helpText: "Executed share of the last rebalance order (0 … 1)."))
                    .set(Double(r.executed.raw) / Double(o.quantity.raw))
            }
            if let p = r.after ?? r.before, let mid = r.mid {
                let value = Notional(price: mid, quantity: p.base) ?? .zero
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "position_value", unitName: "usdt", helpText: "Value of each asset held, in the quote asset at the mid."), labels: [("asset", baseAsset)])
                    .set(Self.units(value.raw))
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "position_value", unitName: "usdt", helpText: "Value of each asset held, in the quote asset at the mid."), labels: [("asset", quoteAsset)])
                    .set(Self.units(p.quote.raw))
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "average_cost", unitName: "usdt", helpText: "Weighted average cost of the base asset held.")).set(Self.units(p.averageCost.raw))
            }
        }
    }

    /// A venue error on `endpoint` (code 0 when the venue gave none).
    public func apiError(code: Int?, endpoint: String) {
        lock.withLock {
            registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "api_errors", unitName: "total", helpText: "Venue errors by code and endpoint."), labels: [("error_code", "\(code ?? 0)"), ("endpoint", endpoint)])
                .increment()
        }
    }

    /// Text exposition for `/metrics`.
    public func exposition() -> String { lock.withLock { registry.emitToString() } }
}
