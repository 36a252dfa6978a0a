import MMBinance
import MMCore
import MMExecution

/// What `mm run` prints on stdout when it stops: one JSON object.
public struct RunSummary: Sendable {
    public var venue: String
    public var symbol: String
    public var dryRun: Bool
    public var seconds: Double
    public var strategyTicks: Int
    public var staleTicks: Int
    public var report: GatewayReport?
    public var market: MarketDataClient.Stats?
    public var openOrdersAtExit: Int
    public var worstPnL: Notional
    public var netMax: Quantity
    /// REST calls outside start-up, snapshots, listen-key upkeep, reconciliation, heartbeat and shutdown: the
    /// order fallback. Zero while the WebSocket API is up.
    public var steadyStateRESTCalls: Int
    /// Times a limit was found exceeded beyond what the gate lets through (position beyond `netMax`).
    public var limitBreaches: Int
    /// Book level changes the strategy thread consumed from the ingest ring.
    public var levelChangesSeen: Int

    /// Endpoints that are not steady-state traffic.
    static let overheadEndpoints: Set<String> = [
        "GET /fapi/v1/time", "POST /fapi/v1/listenKey", "PUT /fapi/v1/listenKey", "DELETE /fapi/v1/listenKey",
        "GET /fapi/v1/openOrders", "GET /fapi/v2/positionRisk", "GET /fapi/v3/positionRisk", "GET /fapi/v1/income",
        "POST /fapi/v1/countdownCancelAll", "DELETE /fapi/v1/allOpenOrders", "GET /fapi/v1/positionSide/dual",
        "GET /fapi/v1/multiAssetsMargin", "GET /fapi/v1/feeBurn", "POST /fapi/v1/leverage", "POST /fapi/v1/marginType",
    ]

    static func make(
        config: EngineConfig, seconds: Double, report: GatewayReport?, market: MarketDataClient.Stats?,
        strategy: (ticks: Int, stale: Int, dropped: Int)?, openOrdersAtExit: Int, worstPnL: Notional, levelChangesSeen: Int
    ) -> RunSummary {
        let steady = report?.restCallsByEndpoint.filter { !overheadEndpoints.contains($0.key) }.values.reduce(0, +) ?? 0
        let maxPos = report?.snapshot.maxAbsPosition ?? .zero
        return RunSummary(
            venue: config.venue.rawValue, symbol: config.symbol, dryRun: config.dryRun, seconds: seconds, strategyTicks: strategy?.ticks ?? 0,
            staleTicks: strategy?.stale ?? 0, report: report, market: market, openOrdersAtExit: openOrdersAtExit,
            worstPnL: min(worstPnL, report?.snapshot.pnl ?? .zero), netMax: config.risk.netMax, steadyStateRESTCalls: steady,
            limitBreaches: maxPos > config.risk.netMax ? 1 : 0, levelChangesSeen: levelChangesSeen)
    }

    /// A clean run: every order gone at exit and no limit breached.
    public var isClean: Bool { openOrdersAtExit == 0 && limitBreaches == 0 }

    public var json: String {
        let g = report?.snapshot ?? GatewaySnapshot()
        var o = JSONObject()
        o.add("venue", venue)
        o.add("symbol", symbol)
        o.add("dry_run", dryRun)
        o.add("seconds", (seconds * 10).rounded() / 10)
        o.add("strategy_ticks", strategyTicks)
        o.add("stale_ticks", staleTicks)
        var orders = JSONObject()
        orders.add("sent", g.ordersSent)
        orders.add("acked", g.ordersAcked)
        orders.add("cancels_sent", g.cancelsSent)
        orders.add("modifies_sent", g.modifiesSent)
        orders.add("venue_rejects", g.venueRejects)
        orders.add("post_only_rejects", g.postOnlyRejects)
        orders.add("risk_rejects", g.riskRejects)
        orders.add("open_at_exit", openOrdersAtExit)
        o.add("orders", raw: orders.text)
        o.add("fills", g.fills)
        o.add("maker_fills", g.makerFills)
        var rejects = JSONObject()
        for (k, v) in (report?.rejectsByCode ?? [:]).sorted(by: { $0.key < $1.key }) { rejects.add(k, v) }
        o.add("rejects_by_code", raw: rejects.text)
        var pnl = JSONObject()
        pnl.add("realized_net", g.realizedNet.description)
        pnl.add("fees", g.fees.description)
        pnl.add("unrealized", g.unrealized.description)
        pnl.add("total", g.pnl.description)
        pnl.add("worst", worstPnL.description)
        o.add("pnl", raw: pnl.text)
        o.add("position", g.position.description)
        o.add("max_abs_position", g.maxAbsPosition.description)
        o.add("net_max", netMax.description)
        o.add("volume", g.volume.description)
        o.add("limit_breaches", limitBreaches)
        o.add("halts", report?.halts ?? 0)
        if let reason = report?.haltReason { o.add("halt_reason", reason) }
        var rest = JSONObject()
        for (k, v) in (report?.restCallsByEndpoint ?? [:]).sorted(by: { $0.key < $1.key }) { rest.add(k, v) }
        o.add("rest_calls", raw: rest.text)
        o.add("steady_state_rest_calls", steadyStateRESTCalls)
        o.add("rest_fallbacks", g.restFallbacks)
        var lat = JSONObject()
        lat.add("tick_to_gateway_p50_us", Double(report?.tickToGatewayP50Nanos ?? 0) / 1000)
        lat.add("tick_to_gateway_p99_us", Double(report?.tickToGatewayP99Nanos ?? 0) / 1000)
        lat.add("tick_to_send_p50_us", Double(report?.tickToSendP50Nanos ?? 0) / 1000)
        lat.add("tick_to_send_p99_us", Double(g.tickToSendP99Nanos) / 1000)
        for (path, h) in report?.gatewayPhases ?? GatewayReport.gatewayPhaseNames.map({ ($0, LatencyHistogram()) }) {
            lat.add("\(path)_p50_us", Double(h.quantile(0.5)) / 1000)
            lat.add("\(path)_p99_us", Double(h.quantile(0.99)) / 1000)
        }
        lat.add("order_round_trip_p50_us", Double(g.roundTripP50Nanos) / 1000)
        lat.add("order_round_trip_p99_us", Double(g.roundTripP99Nanos) / 1000)
        o.add("latency", raw: lat.text)
        if let m = market {
            var md = JSONObject()
            md.add("frames", m.frames)
            md.add("diffs_applied", m.diffsApplied)
            md.add("gaps", m.gaps)
            md.add("resyncs", m.resyncs)
            md.add("snapshots", m.snapshots)
            md.add("reconnects", m.connects > 0 ? m.connects - 1 : 0)
            md.add("malformed", m.malformed)
            md.add("book_ticker_checks", m.tickerChecks)
            md.add("book_ticker_mismatches", m.tickerMismatches)
            md.add("level_changes_consumed", levelChangesSeen)
            md.add("level_change_drops", m.levelChangeDrops)
            // Frame bytes → book (decode, sequence, apply, publish) on the ingest thread.
            md.add("frame_to_book_p50_ns", Int(m.frameToBook.quantile(0.5)))
            md.add("frame_to_book_p99_ns", Int(m.frameToBook.quantile(0.99)))
            md.add("frame_to_book_mean_ns", m.frameToBook.total > 0 ? Int(m.frameToBook.sumNanos / Int64(m.frameToBook.total)) : 0)
            o.add("market_data", raw: md.text)
        }
        if let r = report {
            o.add("reconciliations", r.reconciliations)
            o.add("listen_key_renewals", r.listenKeyRenewals)
        }
        return o.text
    }
}

