import MMBinance
import MMBook
import MMCore
import MMExecution
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// The engine's Prometheus metrics (`mm_*`, snake case, unit suffixes). The trading threads never touch
/// the registry: once a second the engine reads their published snapshots and counters and brings the
/// metrics up to date here, so scraping costs the hot path nothing.
final class EngineMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private var counters: [String: Counter] = [:]
    private var gauges: [String: Gauge] = [:]
    /// Last values seen of the monotonic counts, to turn them into counter increments.
    private var last: [String: Int] = [:]
    private let lock = NSLockLike()

    /// The latest latency histograms by path, exposed as Prometheus histograms.
    private var histograms: [(String, LatencyHistogram)] = []
    static let bucketBounds: [Double] = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1]

    /// Text exposition for `/metrics`.
    func exposition() -> String {
        lock.withLock {
            var text = registry.emitToString()
            guard !histograms.isEmpty else { return text }
            text += "# HELP mm_latency_seconds Latency by path, from the engine's own fixed-bucket histograms.\n# TYPE mm_latency_seconds histogram\n"
            for (path, h) in histograms {
                for le in Self.bucketBounds {
                    text += "mm_latency_seconds_bucket{path=\"\(path)\",le=\"\(le)\"} \(h.count(atMost: Int64(le * 1e9)))\n"
                }
                text += "mm_latency_seconds_bucket{path=\"\(path)\",le=\"+Inf\"} \(h.total)\n"
                text += "mm_latency_seconds_sum{path=\"\(path)\"} \(Double(h.sumNanos) / 1e9)\n"
                text += "mm_latency_seconds_count{path=\"\(path)\"} \(h.total)\n"
            }
            return text
        }
    }

    private func count(_ name: String, _ help: String, _ value: Int, labels: [(String, String)] = []) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let counter = counters[key] ?? {
            let d = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
            let c = labels.isEmpty ? registry.makeCounter(descriptor: d) : registry.makeCounter(descriptor: d, labels: labels)
            counters[key] = c
            return c
        }()
        let delta = value - (last[key] ?? 0)
        if delta > 0 { counter.increment(by: Int64(delta)) }
        last[key] = max(value, last[key] ?? 0)
    }

    private func gauge(_ name: String, _ help: String, _ value: Double, labels: [(String, String)] = []) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let g = gauges[key] ?? {
            let d = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
            let g = labels.isEmpty ? registry.makeGauge(descriptor: d) : registry.makeGauge(descriptor: d, labels: labels)
            gauges[key] = g
            return g
        }()
        g.set(value)
    }

    private static func units(_ raw: Int64) -> Double { Double(raw) / Double(FixedPointScale.unit) }

    /// The configured limits, so alerts can compare against them.
    func limits(dailyMax: Notional, stopLoss: Notional, netMax: Quantity) {
        lock.withLock {
            gauge("mm_daily_loss_limit", "Configured daily loss limit (risk.dailyMax), quote units.", Self.units(dailyMax.raw))
            gauge("mm_stop_loss", "Configured total stop-loss (risk.stopLoss), quote units.", Self.units(stopLoss.raw))
            gauge("mm_position_limit", "Configured net position limit (risk.netMax), base units.", Self.units(netMax.raw))
        }
    }

    func update(
        report: GatewayReport, market: MarketDataClient.Stats, strategy: (ticks: Int, stale: Int, dropped: Int), levelChanges: Int,
        published: PublishedTop, nowNanos: Int64, symbol: String
    ) {
        lock.withLock {
            histograms = [
                ("frame_to_book", market.frameToBook), ("tick_to_gateway", report.tickToGateway), ("tick_to_send", report.tickToSend),
                ("order_round_trip", report.roundTrip),
            ] + report.gatewayPhases
            let g = report.snapshot
            count("mm_market_frames_total", "Market-data frames received.", market.frames)
            count("mm_market_diffs_applied_total", "Depth diffs applied to the book.", market.diffsApplied)
            count("mm_market_gaps_total", "Sequence gaps detected in the depth stream.", market.gaps)
            count("mm_market_resyncs_total", "Book resynchronisations from a REST snapshot.", market.resyncs)
            count("mm_market_snapshots_total", "REST depth snapshots loaded.", market.snapshots)
            count("mm_market_malformed_total", "Market-data frames that failed to decode.", market.malformed)
            count("mm_ws_reconnects_total", "Market-stream reconnects.", max(0, market.connects - 1 - market.rotations))
            count("mm_ws_rotations_total", "Make-before-break market-stream rotations.", market.rotations)
            count("mm_book_ticker_mismatches_total", "bookTicker disagreements with the book at the same update.", market.tickerMismatches)
            count("mm_level_changes_total", "Book level changes consumed from the ingest ring.", levelChanges)
            count("mm_level_change_drops_total", "Level changes dropped because the ring was full.", market.levelChangeDrops)
            count("mm_strategy_ticks_total", "Strategy ticks.", strategy.ticks)
            count("mm_strategy_stale_ticks_total", "Strategy ticks on a stale or unsynced book (no quotes).", strategy.stale)
            count("mm_strategy_ring_drops_total", "Ticks the gateway ring had no room for.", strategy.dropped)
            count("mm_orders_sent_total", "New orders sent.", g.ordersSent)
            count("mm_orders_acked_total", "New orders acknowledged by the venue.", g.ordersAcked)
            count("mm_orders_cancelled_total", "Cancels sent.", g.cancelsSent)
            count("mm_orders_modified_total", "Modifies sent.", g.modifiesSent)
            count("mm_orders_filled_total", "Fills.", g.fills)
            count("mm_orders_maker_filled_total", "Maker fills.", g.makerFills)
            count("mm_order_rest_fallbacks_total", "Order requests sent over REST because the WebSocket API was down.", g.restFallbacks)
            for (code, n) in report.rejectsByCode {
                if Int(code) != nil {
                    count("mm_orders_rejected_total", "Venue rejections by Binance error code.", n, labels: [("code", code)])
                } else {
                    count("mm_risk_rejections_total", "Risk-gate rejections by code.", n, labels: [("code", code)])
                }
            }
            for (endpoint, n) in report.restCallsByEndpoint {
                count("mm_rest_calls_total", "REST calls by endpoint.", n, labels: [("endpoint", endpoint)])
            }
            count("mm_listen_key_renewals_total", "Listen keys renewed after expiry.", report.listenKeyRenewals)
            count("mm_reconciliations_total", "REST reconciliations of open orders and position.", report.reconciliations)
            count("mm_halts_total", "Trading halts.", report.halts)

            let age = published.receivedNanos == 0 ? 0 : Double(nowNanos - published.receivedNanos) / 1e9
            gauge("mm_book_stale_seconds", "Seconds since the book was last updated.", age, labels: [("symbol", symbol)])
            gauge("mm_book_synced", "1 when the book is in sync with the venue.", published.top.isSynced ? 1 : 0, labels: [("symbol", symbol)])
            if let mid = published.top.mid { gauge("mm_mid_price", "Mid price.", Self.units(mid.raw), labels: [("symbol", symbol)]) }
            gauge("mm_position", "Signed position, base units.", Self.units(g.position.raw), labels: [("symbol", symbol)])
            let mark = published.top.mid ?? g.entryPrice
            gauge("mm_position_notional", "Position notional at mid, quote units.",
                  Self.units(g.position.raw) * Self.units(mark.raw), labels: [("symbol", symbol)])
            gauge("mm_pnl_realized", "Realized PnL today after fees, quote units.", Self.units(g.realizedNet.raw))
            gauge("mm_pnl_unrealized", "Unrealized PnL, quote units.", Self.units(g.unrealized.raw))
            gauge("mm_pnl", "Realized + unrealized PnL today, quote units.", Self.units(g.pnl.raw))
            gauge("mm_fees_paid", "Fees paid today, quote units.", Self.units(g.fees.raw))
            gauge("mm_daily_loss", "Today's loss (0 when in profit), quote units.", max(0, -Self.units(g.pnl.raw)))
            gauge("mm_drawdown", "Fall of today's PnL from its peak, quote units.", max(0, Self.units(report.peakPnL.raw - g.pnl.raw)))
            gauge("mm_listen_key_age_seconds", "Seconds since the listen key was created or kept alive.", report.listenKeyAgeSeconds)
            gauge("mm_ring_depth", "Items waiting in a ring.", Double(report.tickRingDepth), labels: [("ring", "strategy_ticks")])
            gauge("mm_ring_high_water", "Highest occupancy a ring's producer has seen.", Double(market.levelRingHighWater), labels: [("ring", "level_changes")])
            gauge("mm_latency_p50_seconds", "Median latency by path (engine-side histogram).", Double(market.frameToBookP50Nanos) / 1e9, labels: [("path", "frame_to_book")])
            gauge("mm_latency_p99_seconds", "99th-percentile latency by path (engine-side histogram).", Double(market.frameToBookP99Nanos) / 1e9, labels: [("path", "frame_to_book")])
            gauge("mm_trading_state", "0 active, 1 reducing, 2 halted.", Double(g.tradingState))
            gauge("mm_gateway_ready", "1 when reconciled with the venue and its user stream alive.", g.ready ? 1 : 0)
            gauge("mm_ws_api_up", "1 while the WebSocket order API is connected.", g.webSocketAPIUp ? 1 : 0)
            gauge("mm_user_stream_up", "1 while the user data stream is alive.", g.userStreamUp ? 1 : 0)
            gauge("mm_open_orders", "Our open orders.", Double(g.openOrders))
            gauge("mm_used_weight", "Request weight used in the venue's current minute.", Double(g.usedWeight))
            gauge("mm_latency_p50_seconds", "Median latency by path (engine-side histogram).", Double(report.tickToGatewayP50Nanos) / 1e9, labels: [("path", "tick_to_gateway")])
            gauge("mm_latency_p99_seconds", "99th-percentile latency by path (engine-side histogram).", Double(report.tickToGatewayP99Nanos) / 1e9, labels: [("path", "tick_to_gateway")])
            gauge("mm_latency_p50_seconds", "Median latency by path (engine-side histogram).", Double(report.tickToSendP50Nanos) / 1e9, labels: [("path", "tick_to_send")])
            gauge("mm_latency_p99_seconds", "99th-percentile latency by path (engine-side histogram).", Double(g.tickToSendP99Nanos) / 1e9, labels: [("path", "tick_to_send")])
            for (path, h) in report.gatewayPhases {
                gauge("mm_latency_p50_seconds", "Median latency by path (engine-side histogram).", Double(h.quantile(0.5)) / 1e9, labels: [("path", path)])
                gauge("mm_latency_p99_seconds", "99th-percentile latency by path (engine-side histogram).", Double(h.quantile(0.99)) / 1e9, labels: [("path", path)])
            }
            gauge("mm_latency_p50_seconds", "Median latency by path (engine-side histogram).", Double(g.roundTripP50Nanos) / 1e9, labels: [("path", "order_round_trip")])
            gauge("mm_latency_p99_seconds", "99th-percentile latency by path (engine-side histogram).", Double(g.roundTripP99Nanos) / 1e9, labels: [("path", "order_round_trip")])
        }
    }
}

/// A plain mutex (the registry is touched from the engine's status task and the HTTP thread).
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
