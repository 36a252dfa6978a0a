import MMBinanceWire
import MMCore
import NIOCore
import NIOWebSocket

/// The WebSocket API (`/ws-fapi/v1`): `order.place`, `order.cancel`, `order.status`, `order.modify`, each
/// signed per request, answered in Binance's `{"id","status","result"|"error","rateLimits"}` envelope.
final class OrderAPIHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hub: StreamHub

    init(hub: StreamHub) {
        self.hub = hub
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard hub.inbound(frame, on: context.channel) else { return WebSocketControl.close(context: context, code: .policyViolation) }
        if WebSocketControl.handle(frame, context: context) { return }
        guard frame.opcode == .text else { return }
        var payload = frame.unmaskedData
        let reply = handle(payload.readBytes(length: payload.readableBytes) ?? [])
        // The `ws_api_drop` fault: carried out, never answered.
        if UnixNanos.now().millis < hub.faults.webSocketAPIDropUntil { return }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: reply))), promise: nil)
        hub.deliverUserEvents()
    }

    private func handle(_ bytes: [UInt8]) -> String {
        guard let request = try? JSONValue.parse(bytes), case .object = request, let method = request["method"]?.text else {
            return envelope("null", .failure(VenueError(-1000, "An unknown error occured while processing the request.")))
        }
        let id = request["id"].map(WebSocketControl.renderID) ?? "null"
        var params: [(String, String)] = []
        if case .object(let members)? = request["params"] {
            for (k, v) in members {
                let text: String?
                switch v {
                case .bool(let b): text = b ? "true" : "false"
                default: text = v.text
                }
                guard let text else { return envelope(id, .failure(.invalidParameter(k))) }
                params.append((k, text))
            }
        }
        let name = method.split(separator: "/").last.map(String.init) ?? method
        guard ["order.place", "order.cancel", "order.status", "order.modify"].contains(name) else {
            return envelope(id, .failure(VenueError(-1000, "An unknown error occured while processing the request.")))
        }
        let now = hub.nowMillis()
        if hub.limits.spend(1, nowMillis: now) != nil {
            return envelope(id, .failure(.tooManyRequests(limit: hub.limits.weightPerMinute)))
        }
        let apiKey: String
        let p: [String: String]
        switch SignedRequest.verifyWebSocket(params, exchange: hub.exchange, nowMillis: now) {
        case .success(let v): (apiKey, p) = v
        case .failure(let e): return envelope(id, .failure(e))
        }
        let market = p["symbol"].flatMap { Symbol($0) }.flatMap { hub.markets[$0] }
        let result: Result<SimOrder, VenueError>
        switch name {
        case "order.place":
            if let refused = hub.limits.countOrder(apiKey: apiKey, nowMillis: now) { return envelope(id, .failure(refused)) }
            result = hub.exchange.newOrder(apiKey: apiKey, p, market: market, nowMillis: now)
        case "order.cancel": result = hub.exchange.cancel(apiKey: apiKey, p, nowMillis: now)
        case "order.modify": result = hub.exchange.modify(apiKey: apiKey, p, market: market, nowMillis: now)
        default: result = hub.exchange.query(apiKey: apiKey, p)
        }
        return envelope(id, result.map { o in
            OrderJSON.render(o, instrument: hub.markets[o.symbol]!.script.instrument, withTime: name == "order.status")
        })
    }

    private func envelope(_ id: String, _ result: Result<String, VenueError>) -> String {
        let limits = #"[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":\#(hub.limits.weightPerMinute),"count":\#(hub.limits.usedWeight)}]"#
        switch result {
        case .success(let body):
            return #"{"id":\#(id),"status":200,"result":\#(body),"rateLimits":\#(limits)}"#
        case .failure(let e):
            return #"{"id":\#(id),"status":\#(e.status.code),"error":\#(String(decoding: e.body, as: UTF8.self)),"rateLimits":\#(limits)}"#
        }
    }
}
