import MMBinanceWire
import MMCore
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket API (`/ws-fapi/v1`): orders (`order.place|cancel|status|modify`), account
/// (`account.status|balance|position` and their `v2/` forms), market data (`depth`, `ticker.book`,
/// `ticker.price`), user data streams (`userDataStream.start|ping|stop`) and session authentication
/// (`session.logon|status|logout`, Ed25519 keys only). Parameters must have the documented JSON types;
/// weights are shared with REST; answers come in Binance's `{"id","status","result"|"error","rateLimits"}`
/// envelope.
final class OrderAPIHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hub: StreamHub
    /// The API key `session.logon` authenticated, and since when.
    private var session: (apiKey: String, sinceMillis: Int64)?
    private let connectedSince: Int64
    /// `returnRateLimits` of the connection URL (default true).
    private let rateLimitsByDefault: Bool

    init(hub: StreamHub, uri: String) {
        self.hub = hub
        connectedSince = UnixNanos.now().millis
        let query = Query(uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "")
        rateLimitsByDefault = query["returnRateLimits"] != "false"
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

    /// What a method is: the REST route it shares answers and weights with, and how it authenticates.
    struct Method {
        enum Auth { case none, apiKey, signed, session }
        var http: HTTPMethod
        var path: String
        var auth: Auth
    }

    static let methods: [String: Method] = [
        "order.place": Method(http: .POST, path: "/fapi/v1/order", auth: .signed),
        "order.cancel": Method(http: .DELETE, path: "/fapi/v1/order", auth: .signed),
        "order.status": Method(http: .GET, path: "/fapi/v1/order", auth: .signed),
        "order.modify": Method(http: .PUT, path: "/fapi/v1/order", auth: .signed),
        "account.status": Method(http: .GET, path: "/fapi/v2/account", auth: .signed),
        "v2/account.status": Method(http: .GET, path: "/fapi/v3/account", auth: .signed),
        "account.balance": Method(http: .GET, path: "/fapi/v2/balance", auth: .signed),
        "v2/account.balance": Method(http: .GET, path: "/fapi/v3/balance", auth: .signed),
        "account.position": Method(http: .GET, path: "/fapi/v2/positionRisk", auth: .signed),
        "v2/account.position": Method(http: .GET, path: "/fapi/v3/positionRisk", auth: .signed),
        "depth": Method(http: .GET, path: "/fapi/v1/depth", auth: .none),
        "ticker.book": Method(http: .GET, path: "/fapi/v1/ticker/bookTicker", auth: .none),
        "ticker.price": Method(http: .GET, path: "/fapi/v2/ticker/price", auth: .none),
        "userDataStream.start": Method(http: .POST, path: "/fapi/v1/listenKey", auth: .apiKey),
        "userDataStream.ping": Method(http: .PUT, path: "/fapi/v1/listenKey", auth: .apiKey),
        "userDataStream.stop": Method(http: .DELETE, path: "/fapi/v1/listenKey", auth: .apiKey),
        "session.logon": Method(http: .POST, path: "session.logon", auth: .session),
        "session.status": Method(http: .GET, path: "session.status", auth: .session),
        "session.logout": Method(http: .POST, path: "session.logout", auth: .session),
    ]

    /// The JSON types the documentation gives the parameters: integers must be JSON integers, decimals
    /// JSON numbers or decimal strings, enums and strings JSON strings, flags JSON booleans.
    enum ParameterType { case integer, decimal, text, flag }
    static let parameterTypes: [String: ParameterType] = [
        "timestamp": .integer, "recvWindow": .integer, "orderId": .integer, "limit": .integer, "goodTillDate": .integer,
        "quantity": .decimal, "price": .decimal, "stopPrice": .decimal, "activationPrice": .decimal, "callbackRate": .decimal,
        "symbol": .text, "side": .text, "type": .text, "timeInForce": .text, "positionSide": .text, "newClientOrderId": .text,
        "origClientOrderId": .text, "reduceOnly": .text, "closePosition": .text, "workingType": .text, "priceProtect": .text,
        "newOrderRespType": .text, "priceMatch": .text, "selfTradePreventionMode": .text, "apiKey": .text, "signature": .text,
        "listenKey": .text, "returnRateLimits": .flag,
    ]

    /// Each parameter as the text it is signed with, or the error for a wrong JSON type.
    static func texts(_ params: JSONValue?) -> Result<[(String, String)], VenueError> {
        guard let params else { return .success([]) }
        guard case .object(let members) = params else { return .failure(VenueError(-1000, "An unknown error occured while processing the request.")) }
        var out: [(String, String)] = []
        for (name, value) in members {
            let ok: Bool
            switch (parameterTypes[name], value) {
            case (.integer?, .number(let n)): ok = !n.contains(".") && !n.contains("e") && !n.contains("E")
            case (.decimal?, .number(let n)): ok = !n.contains("e") && !n.contains("E")
            case (.decimal?, .string(let s)): ok = Quantity(s) != nil
            case (.text?, .string), (.flag?, .bool): ok = true
            case (nil, .string), (nil, .number), (nil, .bool): ok = true
            default: ok = false
            }
            guard ok else {
                return .failure(name == "timestamp" ? .mandatory(name) : .invalidParameter(name))
            }
            switch value {
            case .bool(let b): out.append((name, b ? "true" : "false"))
            default: out.append((name, value.text ?? ""))
            }
        }
        return .success(out)
    }

    private func handle(_ bytes: [UInt8]) -> String {
        guard let request = try? JSONValue.parse(bytes), case .object = request, let requested = request["method"]?.text else {
            return envelope("null", .failure(VenueError(-1000, "An unknown error occured while processing the request.")), orders: nil, show: rateLimitsByDefault)
        }
        let id = request["id"].map(WebSocketControl.renderID) ?? "null"
        // `v1/` names the default version of a method.
        let name = requested.hasPrefix("v1/") ? String(requested.dropFirst(3)) : requested
        let now = hub.nowMillis()
        if let banned = hub.limits.admit(nowMillis: UnixNanos.now().millis) {
            return envelope(id, .failure(banned.error), orders: nil, show: true)
        }
        let list: [(String, String)]
        switch Self.texts(request["params"]) {
        case .success(let l): list = l
        case .failure(let e): return envelope(id, .failure(e), orders: nil, show: rateLimitsByDefault)
        }
        var show = rateLimitsByDefault
        if let flag = list.first(where: { $0.0 == "returnRateLimits" }) { show = flag.1 == "true" }
        let params = list.filter { $0.0 != "returnRateLimits" }
        guard let method = Self.methods[name] else {
            return envelope(id, .failure(VenueError(-1000, "An unknown error occured while processing the request.")), orders: nil, show: show)
        }
        var map: [String: String] = [:]
        for (k, v) in params { map[k] = v }
        let weight = method.auth == .session ? 2 : RateLimits.weight(method: method.http.rawValue, path: method.path, query: Query(params))
        if let retry = hub.limits.spend(weight, nowMillis: UnixNanos.now().millis) {
            hub.limits.noteRefused(untilMillis: UnixNanos.now().millis + Int64(retry) * 1000)
            return envelope(id, .failure(.tooManyRequests(limit: hub.limits.weightPerMinute)), orders: nil, show: show)
        }
        switch method.auth {
        case .session:
            return envelope(id, sessionMethod(name, params, nowMillis: now), orders: nil, show: show)
        case .none:
            let (status, body) = hub.publicAnswer(method.http, method.path, Query(params), webSocketAPI: true)
            return envelope(id, status == .ok ? .success(String(decoding: body, as: UTF8.self)) : .failure(Self.error(status, body)), orders: nil, show: show)
        case .apiKey:
            guard let apiKey = map["apiKey"] ?? session?.apiKey, !apiKey.isEmpty else { return envelope(id, .failure(.mandatory("apiKey")), orders: nil, show: show) }
            guard hub.exchange.accounts[apiKey] != nil else { return envelope(id, .failure(.apiKeyRejected), orders: nil, show: show) }
            switch method.http {
            case .POST: return envelope(id, .success(#"{"listenKey":"\#(hub.openListenKey(apiKey: apiKey))"}"#), orders: nil, show: show)
            case .PUT:
                guard let key = hub.keepAlive(apiKey: apiKey) else { return envelope(id, .failure(.unknownListenKey), orders: nil, show: show) }
                return envelope(id, .success(#"{"listenKey":"\#(key)"}"#), orders: nil, show: show)
            default:
                hub.closeListenKey(apiKey: apiKey)
                return envelope(id, .success("{}"), orders: nil, show: show)
            }
        case .signed:
            let apiKey: String
            var p: [String: String]
            if map["signature"] == nil, let session, map["apiKey"] == nil || map["apiKey"] == session.apiKey {
                // An authenticated session: no key or signature, the timing rules still hold.
                guard hub.exchange.accounts[session.apiKey] != nil else { return envelope(id, .failure(.apiKeyRejected), orders: nil, show: show) }
                switch SignedRequest.readTiming(map) {
                case .success(let t):
                    if let e = SignedRequest.checkTime(t.timestamp, t.recvWindow, now) { return envelope(id, .failure(e), orders: nil, show: show) }
                case .failure(let e): return envelope(id, .failure(e), orders: nil, show: show)
                }
                (apiKey, p) = (session.apiKey, map)
                p["apiKey"] = nil
            } else {
                switch SignedRequest.verifyWebSocket(params, signers: hub.signer(for:), nowMillis: now) {
                case .success(let v): (apiKey, p) = v
                case .failure(let e): return envelope(id, .failure(e), orders: nil, show: show)
                }
            }
            var counted: String?
            let (status, body) = hub.answer(method.http, method.path, apiKey: apiKey, p, nowMillis: now) { ten, minute in
                counted = apiKey
                return self.hub.limits.countOrder(apiKey: apiKey, tenSeconds: ten, minute: minute, nowMillis: now)
            }
            let result: Result<String, VenueError> = status == .ok ? .success(String(decoding: body, as: UTF8.self)) : .failure(Self.error(status, body))
            return envelope(id, result, orders: counted, show: show)
        }
    }

    /// `session.logon|status|logout`.
    private func sessionMethod(_ name: String, _ params: [(String, String)], nowMillis now: Int64) -> Result<String, VenueError> {
        switch name {
        case "session.logon":
            let apiKey = params.first { $0.0 == "apiKey" }?.1 ?? ""
            guard !apiKey.isEmpty else { return .failure(.mandatory("apiKey")) }
            guard let verifier = hub.signer(for: apiKey) else { return .failure(.apiKeyRejected) }
            guard case .ed25519 = verifier else { return .failure(VenueError(-4056, "Invalid api key type.")) }
            switch SignedRequest.verifyWebSocket(params, signers: hub.signer(for:), nowMillis: now) {
            // Authorized since the logon's own timestamp, as the documentation's example shows.
            case .success: session = (apiKey, params.first { $0.0 == "timestamp" }.flatMap { Int64($0.1) } ?? now)
            case .failure(let e): return .failure(e)
            }
        case "session.logout":
            session = nil
        default:
            break
        }
        let key = session.map { #""\#($0.apiKey)""# } ?? "null"
        let since = session.map { String($0.sinceMillis) } ?? "null"
        return .success(#"{"apiKey":\#(key),"authorizedSince":\#(since),"connectedSince":\#(connectedSince),"returnRateLimits":\#(rateLimitsByDefault),"serverTime":\#(now)}"#)
    }

    static func error(_ status: HTTPResponseStatus, _ body: [UInt8]) -> VenueError {
        let json = try? JSONValue.parse(body)
        return VenueError(status, Int(json?["code"]?.int64 ?? -1000), json?["msg"]?.text ?? "")
    }

    private func envelope(_ id: String, _ result: Result<String, VenueError>, orders apiKey: String?, show: Bool) -> String {
        var limits = #"{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":\#(hub.limits.weightPerMinute),"count":\#(hub.limits.usedWeight)}"#
        if let apiKey {
            let counts = hub.limits.orderCounts(apiKey: apiKey)
            limits += #",{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":\#(hub.limits.ordersPer10s),"count":\#(counts.tenSeconds)}"#
            limits += #",{"rateLimitType":"ORDERS","interval":"MINUTE","intervalNum":1,"limit":\#(hub.limits.ordersPerMinute),"count":\#(counts.minute)}"#
        }
        let tail = show ? #","rateLimits":[\#(limits)]}"# : "}"
        switch result {
        case .success(let body):
            return #"{"id":\#(id),"status":200,"result":\#(body)"# + tail
        case .failure(let e):
            return #"{"id":\#(id),"status":\#(e.status.code),"error":\#(String(decoding: e.body, as: UTF8.self))"# + tail
        }
    }
}
