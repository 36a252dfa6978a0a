import Foundation
import MMBinance
import MMBinanceWire
import MMCore
import MMExecution
import Logging
import MMTelemetry
import Metrics
import Prometheus

extension Engine {
    /// Starts `/metrics` + `/health` and the control endpoint; fails before anything trades if a port is taken.
    func startOperations() async throws {
        if config.metricsEnabled {
            metricsServer = try await HTTPEndpointServer.start(host: config.metricsHost, port: config.metricsPort, configKey: "metrics.port") {
                [weak self] request in
                guard let self else { return OpsResponse(status: 503, body: "{}") }
                return await self.serveMetrics(request)
            }
        }
        if config.controlEnabled {
            controlServer = try await HTTPEndpointServer.start(host: config.controlHost, port: config.controlPort, configKey: "control.port") {
                [weak self] request in
                guard let self else { return OpsResponse(status: 503, body: "{}") }
                return await self.serveControl(request)
            }
        }
    }

    func serveMetrics(_ request: OpsRequest) async -> OpsResponse {
        switch (request.method, request.path) {
        case ("GET", "/metrics"):
            await refreshMetrics()
            return OpsResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
        case ("GET", "/health"):
            let h = health()
            return OpsResponse(status: h.ok ? 200 : 503, body: h.json)
        default:
            return OpsResponse(status: 404, body: #"{"error":"not found: GET /metrics or GET /health"}"#)
        }
    }

    /// Brings the metrics up to date from the threads' published state.
    func refreshMetrics() async {
        guard let gateway, let market, let instrument, let report = try? await gateway.report(), let stats = try? await market.stats() else { return }
        metrics.limits(dailyMax: config.risk.dailyMax, stopLoss: config.risk.stopLoss, netMax: config.risk.netMax)
        metrics.update(
            report: report, market: stats, strategy: strategy?.counts ?? (0, 0, 0), levelChanges: strategy?.levelChangesSeen ?? 0,
            published: market.published(instrument.symbol) ?? PublishedTop(top: .empty, receivedNanos: 0),
            nowNanos: MonotonicInstant.now().nanos, symbol: instrument.symbol.description)
    }

    /// Per-component status: market data synced and fresh, user stream alive, gateway connected, trading state.
    public func health() -> (ok: Bool, json: String) {
        let now = MonotonicInstant.now().nanos
        var components: [(String, Bool, String)] = []
        if let market, let instrument {
            let p = market.published(instrument.symbol) ?? PublishedTop(top: .empty, receivedNanos: 0)
            let ageMillis = p.receivedNanos == 0 ? -1 : (now - p.receivedNanos) / 1_000_000
            let fresh = p.top.isSynced && ageMillis >= 0 && ageMillis <= config.risk.maxBookAgeMillis
            components.append(("market_data", fresh, #"{"status":"\#(fresh ? "ok" : "stale")","synced":\#(p.top.isSynced),"age_ms":\#(ageMillis)}"#))
        } else {
            components.append(("market_data", false, #"{"status":"not started"}"#))
        }
        if let gateway {
            let g = gateway.state()
            let dry = config.dryRun
            components.append(("user_stream", g.userStreamUp || dry, #"{"status":"\#(g.userStreamUp || dry ? "ok" : "down")"}"#))
            let connected = g.ready || dry
            components.append((
                "gateway", connected,
                #"{"status":"\#(connected ? "ok" : "not ready")","ws_api":\#(g.webSocketAPIUp),"open_orders":\#(g.openOrders)}"#))
            let state = ["active", "reducing", "halted"][Int(min(g.tradingState, 2))]
            components.append(("trading", g.tradingState != 2, #"{"status":"\#(state)","dry_run":\#(dry)}"#))
        } else {
            components.append(("gateway", false, #"{"status":"not started"}"#))
        }
        let ok = components.allSatisfy(\.1)
        let body = components.map { #""\#($0.0)":\#($0.2)"# }.joined(separator: ",")
        return (ok, #"{"status":"\#(ok ? "ok" : "unhealthy")",\#(body)}"#)
    }

    /// `POST /control/<action>` with `Authorization: Bearer <MM_CONTROL_TOKEN>`, from loopback only.
    func serveControl(_ request: OpsRequest) async -> OpsResponse {
        guard let ip = request.remoteIP, ip == "127.0.0.1" || ip == "::1" || ip.hasPrefix("::ffff:127.") else {
            logger.warning("control.refused", metadata: ["reason": "not loopback", "peer": "\(request.remoteIP ?? "?")"])
            return OpsResponse(status: 403, body: #"{"error":"the control endpoint answers loopback only"}"#)
        }
        guard let token = options.environment["MM_CONTROL_TOKEN"], !token.isEmpty else {
            return OpsResponse(status: 503, body: #"{"error":"control disabled: start the engine with MM_CONTROL_TOKEN set"}"#)
        }
        let given = request.header("Authorization").map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : $0 } ?? ""
        guard Self.constantTimeEqual(given, token) else {
            shared.withLock { $0.controlRefusals += 1 }
            logger.warning("control.refused", metadata: ["reason": "bad token", "path": "\(request.path)"])
            return OpsResponse(status: 401, body: #"{"error":"bad or missing token (Authorization: Bearer $MM_CONTROL_TOKEN)"}"#)
        }
        if request.method == "GET" && request.path == "/control/orders" {
            // The orders the engine tracks (an operator, or the soak's auditor, compares them with the venue's).
            guard let gateway, let report = try? await gateway.report() else { return OpsResponse(status: 503, body: #"{"error":"engine not started"}"#) }
            let ids = report.openOrderIDs.map { JSONString.quoted($0) }.joined(separator: ",")
            return OpsResponse(status: 200, body: #"{"tracked":[\#(ids)],"halt_confirmed":\#(report.haltConfirmed)}"#)
        }
        guard request.method == "POST", request.path.hasPrefix("/control/") else {
            return OpsResponse(status: 404, body: #"{"error":"POST /control/{halt,resume,cancel-all,flatten,reload} or GET /control/orders"}"#)
        }
        guard let gateway else { return OpsResponse(status: 503, body: #"{"error":"engine not started"}"#) }
        let action = String(request.path.dropFirst("/control/".count))
        logger.notice("control", metadata: ["action": "\(action)"])
        do {
            switch action {
            case "halt": try await gateway.halt()
            case "resume": try await gateway.resume()
            case "cancel-all": try await gateway.cancelAll()
            case "flatten": try await gateway.haltAndFlatten()
            case "reload":
                let result = await reload()
                return OpsResponse(status: result.applied ? 200 : 422, body: result.json)
            default:
                return OpsResponse(status: 404, body: #"{"error":"unknown action '\#(action)': halt, resume, cancel-all, flatten, reload"}"#)
            }
        } catch {
            return OpsResponse(status: 500, body: #"{"error":"\#(action) failed"}"#)
        }
        let g = gateway.state()
        let state = ["active", "reducing", "halted"][Int(min(g.tradingState, 2))]
        return OpsResponse(status: 200, body: #"{"action":"\#(action)","trading":"\#(state)","open_orders":\#(g.openOrders),"position":"\#(g.position)"}"#)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}

extension Engine {
    /// Makes this engine's registry the process's swift-metrics backend, so metrics of any library that
    /// reports through swift-metrics appear on `/metrics` too. Once per process (`mm run` calls it).
    public func installAsMetricsBackend() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
    }
}
