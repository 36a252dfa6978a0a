import MMBinanceWire
import MMCore
import MMSimCore
import NIOCore
import NIOHTTP1

/// A MEXC error: HTTP status and `{"code":…,"msg":…}` with its documented code and text.
struct MexcError: Error, Equatable {
    var status: HTTPResponseStatus = .badRequest
    var code: Int
    var msg: String

    var reply: (HTTPResponseStatus, [UInt8]) { (status, Array(#"{"code":\#(code),"msg":\#(JSONString.quoted(msg))}"#.utf8)) }

    static let apiKeyRequired = MexcError(status: .badRequest, code: 400, msg: "api key required")
    static let invalidAccessKey = MexcError(code: 10072, msg: "invalid access key")
    static let badSignature = MexcError(code: 700002, msg: "Signature for this request is not valid")
    static let outsideRecvWindow = MexcError(code: 700003, msg: "Timestamp for this request is outside of the recvWindow")
    static let recvWindowTooLong = MexcError(code: 700005, msg: "recvWindow must less than 60000")
    static let needOrderID = MexcError(code: 700004, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null")
    static let badSymbol = MexcError(code: 10007, msg: "bad symbol")
    static let paramError = MexcError(code: 33333, msg: "param is error")
    static let paramNull = MexcError(code: 44444, msg: "param cannot be null")
    static let unknownOrder = MexcError(code: -2011, msg: "Unknown order sent")
    static let notFound = MexcError(status: .notFound, code: 404, msg: "Not Found")

    /// MEXC's code and text for what the core refused.
    init(_ r: Rejection) {
        switch r {
        case .unknownAccount: self = .invalidAccessKey
        case .unknownSymbol: self = .badSymbol
        case .insufficientBalance, .insufficientMargin: self = MexcError(code: 30004, msg: "Insufficient position")
        case .notionalBelowMinimum(let n): self = MexcError(code: 30002, msg: "The minimum transaction volume cannot be less than :\(n)")
        case .quantityBelowMinimum: self = MexcError(code: 30002, msg: "The minimum transaction volume cannot be less than :")
        case .quantityAboveMaximum: self = MexcError(code: 30003, msg: "The maximum transaction volume cannot be greater than :")
        case .unknownOrder: self = .unknownOrder
        case .postOnlyWouldTake, .noMarket: self = MexcError(code: 30010, msg: "no valid trade price")
        default: self = .paramError
        }
    }

    init(status: HTTPResponseStatus = .badRequest, code: Int, msg: String) {
        self.status = status
        self.code = code
        self.msg = msg
    }
}

/// MEXC spot v3's REST API over the venue core.
struct MexcFront: SpotFront {
    let venue: SpotVenue

    func route(_ request: SpotRequest) -> (HTTPResponseStatus, [UInt8]) {
        let (path, method) = (request.path, request.method)
        if let answer = publicRoute(method, path, Query(request.rawQuery)) { return answer }
        let signedRoutes: Set<String> = [
            "GET /api/v3/account", "GET /api/v3/capital/config/getall", "POST /api/v3/order", "POST /api/v3/order/test", "DELETE /api/v3/order", "GET /api/v3/order",
            "GET /api/v3/openOrders", "DELETE /api/v3/openOrders", "GET /api/v3/allOrders", "GET /api/v3/myTrades",
        ]
        guard signedRoutes.contains("\(method.rawValue) \(path)") else { return MexcError.notFound.reply }
        switch verify(request.headers, rawQuery: request.rawQuery, rawBody: request.body) {
        case .failure(let e): return e.reply
        case .success(let (apiKey, params)): return signed(method, path, apiKey: apiKey, params)
        }
    }

    /// MEXC's signed requests: `X-MEXC-APIKEY`, HMAC-SHA256 (hex) over the query string followed by the body,
    /// `timestamp` within `recvWindow` (default 5000, at most 60000).
    private func verify(_ headers: HTTPHeaders, rawQuery: String, rawBody: String) -> Result<(String, [String: String]), MexcError> {
        guard let apiKey = headers.first(name: "X-MEXC-APIKEY"), !apiKey.isEmpty else { return .failure(.apiKeyRequired) }
        guard let verifier = venue.signer(for: apiKey) else { return .failure(.invalidAccessKey) }
        let (query, querySignature) = SignedRequest.strip(rawQuery)
        let (body, bodySignature) = SignedRequest.strip(rawBody)
        guard let signature = querySignature ?? bodySignature, verifier.isValid(signature: signature, for: Array((query + body).utf8)) else {
            return .failure(.badSignature)
        }
        var params: [String: String] = [:]
        for part in [query, body] { for (k, v) in Query(part).items { params[k] = v } }
        guard let ts = params["timestamp"].flatMap({ Int64($0) }) else { return .failure(.paramNull) }
        let window = params["recvWindow"].flatMap { Int64($0) } ?? 5000
        guard window <= 60_000 else { return .failure(.recvWindowTooLong) }
        let now = venue.nowMillis()
        guard ts < now + 1000, now - ts <= window else { return .failure(.outsideRecvWindow) }
        return .success((apiKey, params))
    }

    private func market(_ name: String?) -> Result<SimMarket, MexcError> {
        guard let name, !name.isEmpty else { return .failure(.paramNull) }
        guard let symbol = Symbol(name), let m = venue.markets[symbol] else { return .failure(.badSymbol) }
        return .success(m)
    }

    private func publicRoute(_ method: HTTPMethod, _ path: String, _ q: Query) -> (HTTPResponseStatus, [UInt8])? {
        guard method == .GET else { return nil }
        let symbols = venue.markets.keys.sorted()
        switch path {
        case "/api/v3/ping": return ok("{}")
        case "/api/v3/time": return ok(#"{"serverTime":\#(venue.nowMillis())}"#)
        case "/api/v3/exchangeInfo":
            let wanted = (q["symbol"] ?? q["symbols"])?.split(separator: ",").map(String.init)
            let listed = symbols.filter { wanted == nil || wanted!.contains($0.description) }
            if let wanted, listed.count != wanted.count { return MexcError.badSymbol.reply }
            return ok(MexcJSON.exchangeInfo(listed.map { (venue.markets[$0]!.script.instrument, venue.pairs[$0]!) }, serverTime: venue.nowMillis()))
        case "/api/v1/contract/detail":
            // The contract (futures) API: this venue lists no contracts.
            return ok(#"{"success":true,"code":0,"data":[]}"#)
        case "/api/v3/depth":
            switch market(q["symbol"]) {
            case .failure(let e): return e.reply
            case .success(let m):
                let limit = SpotVenue.limit(q["limit"], default: 100, max: 5000)
                let i = m.script.instrument
                func side(_ s: BookSide) -> String {
                    m.book.levels(s, limit: limit).map { #"["\#($0.price.formatted(minFractionDigits: i.priceFractionDigits))","\#($0.quantity.formatted(minFractionDigits: i.quantityFractionDigits))"]"# }
                        .joined(separator: ",")
                }
                return ok(#"{"lastUpdateId":\#(m.lastUpdateID),"bids":[\#(side(.bid))],"asks":[\#(side(.ask))],"timestamp":\#(venue.nowMillis())}"#)
            }
        case "/api/v3/trades":
            switch market(q["symbol"]) {
            case .failure(let e): return e.reply
            case .success(let m):
                let limit = SpotVenue.limit(q["limit"], default: 500, max: 1000)
                let i = m.script.instrument
                let rows = m.tape.recent(limit: limit).map { p in
                    #"{"id":null,"price":"\#(p.price.formatted(minFractionDigits: i.priceFractionDigits))","qty":"\#(p.quantity.formatted(minFractionDigits: i.quantityFractionDigits))","quoteQty":"\#((Notional(price: p.price, quantity: p.quantity) ?? .zero).formatted(minFractionDigits: i.priceFractionDigits))","time":\#(p.timeMillis),"isBuyerMaker":\#(p.buyerIsMaker),"isBestMatch":true,"tradeType":"\#(p.buyerIsMaker ? "ASK" : "BID")"}"#
                }
                return ok("[" + rows.joined(separator: ",") + "]")
            }
        case "/api/v3/klines":
            switch market(q["symbol"]) {
            case .failure(let e): return e.reply
            case .success(let m):
                // MEXC's names: 1m 5m 15m 30m 60m 4h 1d 1W 1M.
                let names = ["1m": "1m", "5m": "5m", "15m": "15m", "30m": "30m", "60m": "1h", "4h": "4h", "1d": "1d", "1W": "1w", "1M": "1M"]
                guard let name = q["interval"], let mapped = names[name], let interval = CandleInterval(mapped) else { return MexcError.paramError.reply }
                let limit = SpotVenue.limit(q["limit"], default: 500, max: 1000)
                let i = m.script.instrument
                let rows = m.tape.trades.candles(interval, start: q["startTime"].flatMap { Int64($0) }, end: q["endTime"].flatMap { Int64($0) }, limit: limit).map { c in
                    let pd = i.priceFractionDigits
                    return #"[\#(c.openTime),"\#(c.open.formatted(minFractionDigits: pd))","\#(c.high.formatted(minFractionDigits: pd))","\#(c.low.formatted(minFractionDigits: pd))","\#(c.close.formatted(minFractionDigits: pd))","\#(c.volume.formatted(minFractionDigits: i.quantityFractionDigits))",\#(interval.next(after: c.openTime)),"\#(c.quoteVolume.formatted(minFractionDigits: pd))"]"#
                }
                return ok("[" + rows.joined(separator: ",") + "]")
            }
        case "/api/v3/ticker/price", "/api/v3/ticker/bookTicker", "/api/v3/ticker/24hr":
            guard let list = venue.symbols(named: q["symbol"]) else { return MexcError.badSymbol.reply }
            let rows = list.map { ticker(path, venue.markets[$0]!) }
            return ok(q["symbol"] != nil ? rows[0] : "[" + rows.joined(separator: ",") + "]")
        default:
            return nil
        }
    }

    private func ticker(_ path: String, _ m: SimMarket) -> String {
        let i = m.script.instrument
        let pd = i.priceFractionDigits
        let qd = i.quantityFractionDigits
        let top = m.book.topOfBook(isSynced: true)
        let last = m.tape.last?.price ?? top.mid ?? .zero
        switch path {
        case "/api/v3/ticker/price":
            return #"{"symbol":"\#(m.symbol)","price":"\#(last.formatted(minFractionDigits: pd))"}"#
        case "/api/v3/ticker/bookTicker":
            return #"{"symbol":"\#(m.symbol)","bidPrice":"\#(top.bidPrice.formatted(minFractionDigits: pd))","bidQty":"\#(top.bidQuantity.formatted(minFractionDigits: qd))","askPrice":"\#(top.askPrice.formatted(minFractionDigits: pd))","askQty":"\#(top.askQuantity.formatted(minFractionDigits: qd))"}"#
        default:
            let d = DayStats(m, nowMillis: venue.nowMillis())
            let (p, q) = (d.price, d.quantity)
            return #"{"symbol":"\#(m.symbol)","priceChange":"\#(p(d.change))","priceChangePercent":"\#(d.percent.formatted(minFractionDigits: 3))","prevClosePrice":"\#(p(d.open))","lastPrice":"\#(p(d.last))","bidPrice":"\#(top.bidPrice.formatted(minFractionDigits: pd))","bidQty":"\#(top.bidQuantity.formatted(minFractionDigits: qd))","askPrice":"\#(top.askPrice.formatted(minFractionDigits: pd))","askQty":"\#(top.askQuantity.formatted(minFractionDigits: qd))","openPrice":"\#(p(d.open))","highPrice":"\#(p(d.high))","lowPrice":"\#(p(d.low))","volume":"\#(q(d.volume))","quoteVolume":"\#(d.quoteVolume)","openTime":\#(d.openTime),"closeTime":\#(d.closeTime),"count":null}"#
        }
    }

    private func reference(_ p: [String: String]) -> Result<OrderReference, MexcError> {
        if let text = p["orderId"], let id = MexcJSON.orderID(parsing: text) { return .success(.venue(id)) }
        if let client = p["origClientOrderId"], !client.isEmpty { return .success(.client(client)) }
        return .failure(.needOrderID)
    }

    private func signed(_ method: HTTPMethod, _ path: String, apiKey: String, _ p: [String: String]) -> (HTTPResponseStatus, [UInt8]) {
        let now = venue.nowMillis()
        if path == "/api/v3/account" {
            let account = venue.exchange.accounts[apiKey]!
            let rows = account.balances.keys.sorted().map { a in
                let b = account.balance(a)
                return #"{"asset":"\#(a)","free":"\#(b.free)","locked":"\#(b.locked)"}"#
            }
            return ok(#"{"canTrade":true,"canWithdraw":true,"canDeposit":true,"updateTime":null,"accountType":"SPOT","balances":[\#(rows.joined(separator: ","))],"permissions":["SPOT"]}"#)
        }
        if path == "/api/v3/capital/config/getall" {
            // The venue's assets, one network each (deposits and withdrawals are not modelled).
            let assets = Set(venue.pairs.values.flatMap { [$0.base, $0.quote] }).sorted()
            let rows = assets.map { a in
                #"{"coin":"\#(a)","Name":"\#(a)","networkList":[{"coin":"\#(a)","depositDesc":null,"depositEnable":false,"minConfirm":0,"Name":"\#(a)","network":"\#(a)","withdrawEnable":false,"withdrawFee":"0","withdrawIntegerMultiple":null,"withdrawMax":"0","withdrawMin":"0","sameAddress":false,"contract":"","withdrawTips":null,"depositTips":null,"netWork":"\#(a)"}]}"#
            }
            return ok("[" + rows.joined(separator: ",") + "]")
        }
        let m: SimMarket
        switch market(p["symbol"]) {
        case .failure(let e): return e.reply
        case .success(let v): m = v
        }
        let i = m.script.instrument
        switch (method, path) {
        case (.POST, "/api/v3/order"), (.POST, "/api/v3/order/test"):
            guard let sideText = p["side"], let typeText = p["type"] else { return MexcError.paramNull.reply }
            guard let side = Side(binance: sideText) else { return MexcError.paramError.reply }
            let kind: OrderKind
            var tif = TimeInForce.goodTillCancel
            switch typeText {
            case "LIMIT": kind = .limit
            case "LIMIT_MAKER": kind = .limit; tif = .postOnly
            case "IMMEDIATE_OR_CANCEL": kind = .limit; tif = .immediateOrCancel
            case "FILL_OR_KILL": kind = .limit; tif = .fillOrKill
            case "MARKET": kind = .market
            default: return MexcError.paramError.reply
            }
            // Quantity in the base, or for a market order the quote amount to spend or raise (quoteOrderQty).
            let quantity: Quantity
            if let qtyText = p["quantity"], !qtyText.isEmpty {
                guard let q = try? Quantity(parsing: qtyText) else { return MexcError.paramError.reply }
                quantity = q
            } else if kind == .market, let text = p["quoteOrderQty"], !text.isEmpty {
                guard let amount = try? Notional(parsing: text), amount.raw > 0 else { return MexcError.paramError.reply }
                if amount < i.minNotional { return MexcError(.notionalBelowMinimum(i.minNotional)).reply }
                quantity = venue.quantity(forQuote: amount, side: side, symbol: m.symbol)
                guard quantity.raw > 0 else { return MexcError(.noMarket).reply }
            } else {
                return MexcError.paramNull.reply
            }
            var price = Price.zero
            if kind == .limit {
                guard let text = p["price"], let v = try? Price(parsing: text), v.raw > 0 else { return MexcError.paramNull.reply }
                price = v
            }
            if let client = p["newClientOrderId"], !ClientOrderIDScheme.of(.mexc).accepts(client) { return MexcError.paramError.reply }
            let request = OrderRequest(symbol: m.symbol, side: side, kind: kind, timeInForce: tif, price: price, quantity: quantity, clientOrderID: p["newClientOrderId"])
            let test = path.hasSuffix("/test")
            switch venue.place(request, account: apiKey, test: test, nowMillis: now) {
            case .success(let o): return ok(test ? "{}" : MexcJSON.placed(o, i))
            case .failure(let r): return MexcError(r).reply
            }
        case (.DELETE, "/api/v3/order"), (.GET, "/api/v3/order"):
            let ref: OrderReference
            switch reference(p) {
            case .success(let r): ref = r
            case .failure(let e): return e.reply
            }
            let result = method == .DELETE
                ? venue.exchange.cancel(ref, account: apiKey, nowMillis: now) : venue.exchange.query(ref, account: apiKey)
            switch result {
            case .success(let o) where o.symbol == m.symbol: return ok(MexcJSON.order(o, i, full: method == .GET))
            case .success: return MexcError.unknownOrder.reply
            case .failure(let r): return MexcError(r).reply
            }
        case (.GET, "/api/v3/openOrders"):
            return ok("[" + venue.exchange.openOrders(account: apiKey, symbol: m.symbol).map { MexcJSON.order($0, i, full: true) }.joined(separator: ",") + "]")
        case (.DELETE, "/api/v3/openOrders"):
            let cancelled = venue.exchange.cancelAll(account: apiKey, symbol: m.symbol, nowMillis: now)
            return ok("[" + cancelled.map { MexcJSON.order($0, i, full: false) }.joined(separator: ",") + "]")
        case (.GET, "/api/v3/allOrders"):
            let all = venue.allOrders(account: apiKey, symbol: m.symbol, limit: SpotVenue.limit(p["limit"], default: 500, max: 1000))
            return ok("[" + all.map { MexcJSON.order($0, i, full: true) }.joined(separator: ",") + "]")
        default:  // GET /api/v3/myTrades
            let pd = i.priceFractionDigits
            let rows = venue.fills(account: apiKey, symbol: m.symbol, limit: SpotVenue.limit(p["limit"], default: 500, max: 1000)).map { f, client in
                return #"{"symbol":"\#(f.symbol)","id":"\#(f.tradeID)","orderId":"\#(MexcJSON.orderID(f.orderID))","orderListId":-1,"price":"\#(f.price.formatted(minFractionDigits: pd))","qty":"\#(f.quantity.formatted(minFractionDigits: i.quantityFractionDigits))","quoteQty":"\#((Notional(price: f.price, quantity: f.quantity) ?? .zero).formatted(minFractionDigits: pd))","commission":"\#(f.fee)","commissionAsset":"\#(f.commissionAsset)","time":\#(f.timeMillis),"isBuyer":\#(f.side == .buy),"isMaker":\#(f.maker),"isBestMatch":true,"isSelfTrade":false,"clientOrderId":"\#(client)"}"#
            }
            return ok("[" + rows.joined(separator: ",") + "]")
        }
    }
}
