import MMBinanceWire
import MMCore
import NIOCore
import NIOHTTP1

/// Serves the venue's REST endpoints. Runs on the hub's event loop.
final class RESTHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Request bodies larger than this are refused (Binance's bodies are small).
    static let maxBody = 1 << 20
    private let hub: StreamHub
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// Set by a refused request: seconds for `Retry-After`.
    private var retryAfter: Int?
    /// Set by an order request: the account whose order counts go in the headers.
    private var orderCountsFor: String?

    init(hub: StreamHub) {
        self.hub = hub
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll(keepingCapacity: true)
            tooLarge = false
        case .body(var chunk):
            if body.count + chunk.readableBytes > Self.maxBody {
                tooLarge = true
            } else if let bytes = chunk.readBytes(length: chunk.readableBytes) {
                body.append(contentsOf: bytes)
            }
        case .end:
            guard let head else { return }
            let (status, payload) = tooLarge
                ? VenueError.bodyTooLarge.reply
                : route(head)
            hub.deliverUserEvents()
            self.head = nil
            if !head.uri.hasPrefix("/sim/") {
                let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
                if hub.faults.roll(.drop, path: path) != nil {
                    // Processed but never answered: the client must time out.
                    hub.faults.count(.drop)
                    return
                }
                if let rule = hub.faults.roll(.delay, path: path) {
                    hub.faults.count(.delay)
                    let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: .milliseconds(rule.milliseconds ?? 0)) {
                        let (handler, ctx) = bound.value
                        handler.respond(context: ctx, head: head, status: status, body: payload)
                    }
                    return
                }
            }
            respond(context: context, head: head, status: status, body: payload)
        }
    }

    private func route(_ head: HTTPRequestHead) -> (HTTPResponseStatus, [UInt8]) {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let query = Query(parts.count > 1 ? String(parts[1]) : "")
        if path.hasPrefix("/sim/") { return control(head.method, path, query) }
        let wall = UnixNanos.now().millis
        if path.hasPrefix("/ws-fapi/") {
            // A WebSocket API handshake the upgrader refused: it was counted and weighed there already.
            if let ban = hub.limits.activeBan(nowMillis: wall) {
                retryAfter = ban.retryAfterSeconds
                return ban.error.reply
            }
            return VenueError.invalidPath(path, head.method.rawValue).reply
        }
        if let ban = hub.limits.admit(nowMillis: wall) {
            retryAfter = ban.retryAfterSeconds
            return ban.error.reply
        }
        if wall < hub.faults.rateLimitUntil {
            retryAfter = Int((hub.faults.rateLimitUntil - wall + 999) / 1000)
            hub.limits.noteRefused(untilMillis: hub.faults.rateLimitUntil)
            hub.faults.count(.rateLimit)
            return VenueError.tooManyRequests(limit: hub.limits.weightPerMinute).reply
        }
        if head.method == .DELETE && path == "/fapi/v1/allOpenOrders" && wall < hub.faults.cancelAllRefuseUntil {
            return VenueError.internalError.reply
        }
        if hub.faults.roll(.http5xx, path: Substring(path)) != nil {
            hub.faults.count(.http5xx)
            return VenueError.internalError.reply
        }
        let weight = RateLimits.weight(method: head.method.rawValue, path: path, query: query)
        if let retry = hub.limits.spend(weight, nowMillis: UnixNanos.now().millis) {
            retryAfter = retry
            hub.limits.noteRefused(untilMillis: wall + Int64(retry) * 1000)
            return VenueError.tooManyRequests(limit: hub.limits.weightPerMinute).reply
        }
        if path == "/fapi/v1/historicalTrades" {
            // MARKET_DATA: an API key, no signature.
            guard let apiKey = head.headers.first(name: "X-MBX-APIKEY"), !apiKey.isEmpty else { return VenueError.apiKeyFormat.reply }
            guard hub.exchange.accounts[apiKey] != nil else { return VenueError.apiKeyRejected.reply }
        }
        if let reply = hub.marketData(head.method, path, query) { return reply }
        if StreamHub.accountQueryRoutes.contains("\(head.method.rawValue) \(path)") {
            return signed(head, path: path, rawQuery: parts.count > 1 ? String(parts[1]) : "")
        }
        switch (head.method, path) {
        case (.GET, "/fapi/v1/ping"):
            return (.ok, Array("{}".utf8))
        case (.GET, "/fapi/v1/time"):
            return (.ok, Array(#"{"serverTime":\#(hub.nowMillis())}"#.utf8))
        case (.GET, "/fapi/v1/exchangeInfo"):
            return (.ok, ExchangeInfoBody.make(hub.instruments, serverTimeMillis: UnixNanos.now().millis))
        case (.GET, "/fapi/v1/depth"):
            return hub.publicAnswer(.GET, path, query)
        case (.POST, "/fapi/v1/listenKey"), (.PUT, "/fapi/v1/listenKey"), (.DELETE, "/fapi/v1/listenKey"):
            return listenKey(head)
        case (.POST, "/fapi/v1/countdownCancelAll"), (.POST, "/fapi/v1/batchOrders"),
            (.POST, "/fapi/v1/order"), (.DELETE, "/fapi/v1/order"), (.GET, "/fapi/v1/order"), (.PUT, "/fapi/v1/order"),
            (.GET, "/fapi/v1/openOrders"), (.DELETE, "/fapi/v1/allOpenOrders"), (.GET, "/fapi/v2/positionRisk"),
            (.GET, "/fapi/v3/positionRisk"), (.GET, "/fapi/v2/account"), (.GET, "/fapi/v3/account"),
            (.GET, "/fapi/v2/balance"), (.GET, "/fapi/v3/balance"), (.GET, "/fapi/v1/leverageBracket"), (.GET, "/fapi/v1/income"),
            (.GET, "/fapi/v1/positionSide/dual"), (.POST, "/fapi/v1/positionSide/dual"), (.GET, "/fapi/v1/multiAssetsMargin"),
            (.POST, "/fapi/v1/multiAssetsMargin"), (.GET, "/fapi/v1/feeBurn"), (.POST, "/fapi/v1/feeBurn"), (.POST, "/fapi/v1/leverage"),
            (.POST, "/fapi/v1/marginType"):
            return signed(head, path: path, rawQuery: parts.count > 1 ? String(parts[1]) : "")
        default:
            return VenueError.invalidPath(path, head.method.rawValue).reply
        }
    }

    /// The venue's own control endpoints (not Binance's): `POST /sim/fault?kind=…[&duration=…][&ms=…][&path=…]`
    /// injects a fault now; `GET /sim/faults` reports how often each fault fired.
    private func control(_ method: HTTPMethod, _ path: String, _ query: Query) -> (HTTPResponseStatus, [UInt8]) {
        switch (method, path) {
        case (.GET, "/sim/faults"):
            let counts = FaultKind.allCases.map { #""\#($0.rawValue)":\#(hub.faults.counts[$0] ?? 0)"# }.joined(separator: ",")
            return (.ok, Array("{\(counts)}".utf8))
        case (.POST, "/sim/funding"):
            // Sets a symbol's funding rate (`rate`, optional) and settles its funding now.
            guard let name = query["symbol"], let symbol = Symbol(name), hub.markets[symbol] != nil else { return VenueError.badSymbol.reply }
            if let text = query["rate"] {
                guard let rate = Ratio(text) else { return VenueError.invalidParameter("rate").reply }
                hub.setFundingRate(symbol, rate)
            }
            hub.settleFunding(symbol, nowMillis: hub.nowMillis())
            hub.deliverUserEvents()
            return (.ok, Array("{}".utf8))
        case (.POST, "/sim/mark"):
            // Holds a symbol's mark price at `price` (away from the mid, as index moves make it), or back to
            // the mid without one; margins are checked at once.
            guard let name = query["symbol"], let symbol = Symbol(name), hub.markets[symbol] != nil else { return VenueError.badSymbol.reply }
            var mark: Price?
            if let text = query["price"] {
                guard let p = try? Price(parsing: text), p.raw > 0 else { return VenueError.invalidParameter("price").reply }
                mark = p
            }
            hub.markets[symbol]!.markOverride = mark
            hub.checkMargins(nowMillis: hub.nowMillis())
            return (.ok, Array("{}".utf8))
        case (.POST, "/sim/fault"):
            guard let name = query["kind"], let kind = FaultKind(rawValue: name) else {
                return VenueError.invalidParameter("kind").reply
            }
            hub.trigger(query.faultRule(kind))
            return (.ok, Array("{}".utf8))
        default:
            return VenueError.invalidPath(path, method.rawValue).reply
        }
    }

    /// USER_STREAM endpoints: API key only, no signature.
    private func listenKey(_ head: HTTPRequestHead) -> (HTTPResponseStatus, [UInt8]) {
        guard let apiKey = head.headers.first(name: "X-MBX-APIKEY"), !apiKey.isEmpty else {
            return VenueError.apiKeyFormat.reply
        }
        guard hub.exchange.accounts[apiKey] != nil else {
            return VenueError.apiKeyRejected.reply
        }
        switch head.method {
        case .POST:
            return (.ok, Array(#"{"listenKey":"\#(hub.openListenKey(apiKey: apiKey))"}"#.utf8))
        case .PUT:
            guard let key = hub.keepAlive(apiKey: apiKey) else {
                return VenueError.unknownListenKey.reply
            }
            return (.ok, Array(#"{"listenKey":"\#(key)"}"#.utf8))
        default:
            hub.closeListenKey(apiKey: apiKey)
            return (.ok, Array("{}".utf8))
        }
    }

    /// Authenticates a SIGNED request and runs it against the venue's order entry.
    private func signed(_ head: HTTPRequestHead, path: String, rawQuery: String) -> (HTTPResponseStatus, [UInt8]) {
        let now = hub.nowMillis()
        let rawBody = String(decoding: body, as: UTF8.self)
        let auth = SignedRequest.verify(
            headers: head.headers, rawQuery: rawQuery, rawBody: rawBody, signers: hub.signer(for:), nowMillis: now)
        let (apiKey, params): (String, [String: String])
        switch auth {
        case .success(let v): (apiKey, params) = v
        case .failure(let e): return e.reply
        }
        return hub.answer(head.method, path, apiKey: apiKey, params, nowMillis: now) { ten, minute in
            self.orderCountsFor = apiKey
            return self.hub.limits.countOrder(apiKey: apiKey, tenSeconds: ten, minute: minute, nowMillis: now)
        }

    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "X-MBX-USED-WEIGHT-1M", value: String(hub.limits.usedWeight))
        if let retry = retryAfter {
            headers.add(name: "Retry-After", value: String(retry))
            retryAfter = nil
        }
        if let apiKey = orderCountsFor {
            let counts = hub.limits.orderCounts(apiKey: apiKey)
            headers.add(name: "X-MBX-ORDER-COUNT-10S", value: String(counts.tenSeconds))
            headers.add(name: "X-MBX-ORDER-COUNT-1M", value: String(counts.minute))
            orderCountsFor = nil
        }
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let keepAlive = head.isKeepAlive
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}

/// A decoded query string.
struct Query {
    private(set) var items: [(String, String)] = []

    init(_ items: [(String, String)]) { self.items = items }

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            items.append((Query.unescape(kv[0]), kv.count > 1 ? Query.unescape(kv[1]) : ""))
        }
    }

    subscript(key: String) -> String? { items.first { $0.0 == key }?.1 }

    static func unescape(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// `GET /fapi/v1/exchangeInfo` for the venue's instruments, with the fields standard clients read.
enum ExchangeInfoBody {
    static func make(_ instruments: [Instrument], serverTimeMillis: Int64) -> [UInt8] {
        var symbols: [String] = []
        for i in instruments {
            let name = i.symbol.description
            let quote = ["USDT", "USDC", "BUSD"].first { name.hasSuffix($0) } ?? "USDT"
            let base = String(name.dropLast(quote.count))
            let pd = i.bookGrid.priceFractionDigits
            let qd = i.bookGrid.quantityFractionDigits
            // Binance's sector tags of the venue's bases.
            let subType = ["BTC": #""PoW""#, "ETH": #""Layer-1""#][base] ?? ""
            var filters = [
                #"{"filterType":"PRICE_FILTER","minPrice":"\#(i.minPrice)","maxPrice":"\#(i.maxPrice)","tickSize":"\#(i.tickSize)"}"#,
                #"{"filterType":"LOT_SIZE","minQty":"\#(i.minQuantity)","maxQty":"\#(i.maxQuantity)","stepSize":"\#(i.stepSize)"}"#,
                #"{"filterType":"MARKET_LOT_SIZE","minQty":"\#(i.minQuantity)","maxQty":"\#(i.maxQuantity)","stepSize":"\#(i.stepSize)"}"#,
                #"{"filterType":"MAX_NUM_ORDERS","limit":200}"#,
                #"{"filterType":"MIN_NOTIONAL","notional":"\#(i.minNotional)"}"#,
            ]
            if let up = i.percentPriceUp, let down = i.percentPriceDown {
                filters.append(#"{"filterType":"PERCENT_PRICE","multiplierUp":"\#(up)","multiplierDown":"\#(down)","multiplierDecimal":"4"}"#)
            }
            symbols.append(
                #"{"symbol":"\#(name)","pair":"\#(name)","contractType":"PERPETUAL","deliveryDate":4133404800000,"onboardDate":1569398400000,"status":"TRADING","maintMarginPercent":"2.5000","requiredMarginPercent":"5.0000","baseAsset":"\#(base)","quoteAsset":"\#(quote)","marginAsset":"\#(quote)","pricePrecision":\#(pd),"quantityPrecision":\#(qd),"baseAssetPrecision":8,"quotePrecision":8,"underlyingType":"COIN","underlyingSubType":[\#(subType)],"settlePlan":0,"triggerProtect":"0.0500","liquidationFee":"0.012500","marketTakeBound":"0.05","filters":[\#(filters.joined(separator: ","))],"orderTypes":["LIMIT","MARKET"],"timeInForce":["GTC","IOC","FOK","GTX"]}"#
            )
        }
        let assets = Set(instruments.map { i in ["USDT", "USDC", "BUSD"].first { i.symbol.description.hasSuffix($0) } ?? "USDT" }).sorted()
            .map { #"{"asset":"\#($0)","marginAvailable":true,"autoAssetExchange":"0"}"# }.joined(separator: ",")
        let body = #"{"timezone":"UTC","serverTime":\#(serverTimeMillis),"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":2400},{"rateLimitType":"ORDERS","interval":"MINUTE","intervalNum":1,"limit":1200},{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":300}],"exchangeFilters":[],"assets":[\#(assets)],"symbols":[\#(symbols.joined(separator: ","))]}"#
        return Array(body.utf8)
    }
}

extension Query {
    /// The fault `POST /sim/fault` asks for, with its `duration`, `ms` and `path` (on every simulated venue).
    func faultRule(_ kind: FaultKind) -> FaultRule {
        FaultRule(kind: kind, durationSeconds: self["duration"].flatMap(Double.init), milliseconds: self["ms"].flatMap { Int64($0) }, path: self["path"])
    }
}
