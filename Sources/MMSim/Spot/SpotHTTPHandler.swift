import MMBinanceWire
import MMCore
import MMSimCore
import NIOCore
import NIOHTTP1

/// A REST request as the spot front ends read it: the URI split once into its path and raw query.
struct SpotRequest {
    var method: HTTPMethod
    var path: String
    var rawQuery: String
    var headers: HTTPHeaders
    var body: String

    init(_ head: HTTPRequestHead, body: String) {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        method = head.method
        path = String(parts[0])
        rawQuery = parts.count > 1 ? String(parts[1]) : ""
        headers = head.headers
        self.body = body
    }
}

/// A spot venue's REST front end: a request in, a status and JSON body out.
protocol SpotFront {
    func route(_ request: SpotRequest) -> (HTTPResponseStatus, [UInt8])
}

extension SpotFront {
    /// A 200 with `text` as its body.
    func ok(_ text: String) -> (HTTPResponseStatus, [UInt8]) { (.ok, Array(text.utf8)) }
}

/// The HTTP plumbing every spot front end shares: the venue's rate limits and injected faults before the
/// front end routes a request, the `/sim/` controls, and the response. Runs on the venue's event loop.
final class SpotHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let front: any SpotFront
    private let venue: SpotVenue
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(front: any SpotFront, venue: SpotVenue) {
        self.front = front
        self.venue = venue
    }

    private var mexc: Bool { venue.limits.dialect == .mexc }

    private func error(_ status: Int, _ code: Int, _ message: String) -> (HTTPResponseStatus, [UInt8]) {
        (HTTPResponseStatus(statusCode: status), Array(#"{"code":\#(code),"msg":\#(JSONString.quoted(message))}"#.utf8))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll(keepingCapacity: true)
        case .body(var chunk):
            if body.count < 1 << 20, let bytes = chunk.readBytes(length: chunk.readableBytes) { body.append(contentsOf: bytes) }
        case .end:
            guard let head else { return }
            self.head = nil
            var headers = HTTPHeaders()
            let request = SpotRequest(head, body: String(decoding: body, as: UTF8.self))
            let (status, payload): (HTTPResponseStatus, [UInt8])
            if request.path.hasPrefix("/sim/") {
                (status, payload) = control(request)
            } else {
                if venue.faults.roll(.drop, path: Substring(request.path)) != nil {
                    // Processed nowhere and never answered: the client must time out.
                    venue.faults.count(.drop)
                    return
                }
                (status, payload) = admitted(request, headers: &headers) ?? front.route(request)
                if !mexc { headers.add(name: "X-MBX-USED-WEIGHT-1M", value: String(venue.limits.usedWeight)) }
                if let rule = venue.faults.roll(.delay, path: Substring(request.path)) {
                    venue.faults.count(.delay)
                    let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                    let held = headers
                    context.eventLoop.scheduleTask(in: .milliseconds(rule.milliseconds ?? 0)) {
                        let (handler, ctx) = bound.value
                        handler.respond(context: ctx, head: head, status: status, headers: held, payload: payload)
                    }
                    return
                }
            }
            respond(context: context, head: head, status: status, headers: headers, payload: payload)
        }
    }

    /// A refusal before routing: an injected rate limit or server error, or the venue's own limits.
    private func admitted(_ request: SpotRequest, headers: inout HTTPHeaders) -> (HTTPResponseStatus, [UInt8])? {
        let now = UnixNanos.now().millis
        var refusal = venue.limits.ban(nowMillis: now)
        if refusal != nil {
            // Banned.
        } else if now < venue.faults.rateLimitUntil {
            venue.faults.count(.rateLimit)
            refusal = venue.limits.refuse(
                until: venue.faults.rateLimitUntil, now, code: mexc ? 429 : -1003,
                mexc ? "Too many requests" : "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.")
        } else {
            let apiKey = request.headers.first(name: mexc ? "X-MEXC-APIKEY" : "X-MBX-APIKEY")
            refusal = venue.limits.admit(
                method: request.method.rawValue, path: request.path, hasSymbol: request.rawQuery.contains("symbol="), apiKey: apiKey, nowMillis: now)
        }
        if let refusal {
            headers.add(name: "Retry-After", value: String(refusal.retryAfterSeconds))
            return error(refusal.status, refusal.code, refusal.message)
        }
        if venue.faults.roll(.http5xx, path: Substring(request.path)) != nil {
            venue.faults.count(.http5xx)
            return mexc ? error(503, 503, "Service Unavailable") : error(503, -1001, "Internal error; unable to process your request. Please try again.")
        }
        return nil
    }

    /// The venue's own controls (no venue has them): `POST /sim/fault?kind=…[&duration=S][&ms=N][&path=/route]` starts a
    /// fault now; `GET /sim/faults` counts how often each fired.
    private func control(_ request: SpotRequest) -> (HTTPResponseStatus, [UInt8]) {
        let query = Query(request.rawQuery)
        switch (request.method, request.path) {
        case (.GET, "/sim/faults"):
            let counts = FaultKind.allCases.map { #""\#($0.rawValue)":\#(venue.faults.counts[$0] ?? 0)"# }.joined(separator: ",")
            return (.ok, Array("{\(counts)}".utf8))
        case (.POST, "/sim/fault"):
            guard let name = query["kind"], let kind = FaultKind(rawValue: name) else { return error(400, -1100, "Illegal characters found in parameter 'kind'.") }
            venue.trigger(query.faultRule(kind))
            return (.ok, Array("{}".utf8))
        default:
            return error(404, 404, "Not Found")
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, headers extra: HTTPHeaders, payload: [UInt8]) {
        var headers = extra
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(payload.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: payload)))), promise: nil)
        let keepAlive = head.isKeepAlive
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepAlive { channel.close(promise: nil) } }
    }
}
