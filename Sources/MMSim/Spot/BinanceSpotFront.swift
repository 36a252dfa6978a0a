import MMBinanceWire
import MMCore
import MMSimCore
import NIOHTTP1

/// Binance spot's REST API (`/api/v3`) over the venue core: its parameters, shapes, codes and signatures.
struct BinanceSpotFront: SpotFront {
    let venue: SpotVenue

    func route(_ request: SpotRequest) -> (HTTPResponseStatus, [UInt8]) {
        let (path, method) = (request.path, request.method)
        if method == .GET, let answer = publicRoute(path, Query(request.rawQuery)) { return answer }
        let signedRoutes: Set<String> = [
            "GET /api/v3/account", "POST /api/v3/order", "POST /api/v3/order/test", "DELETE /api/v3/order", "GET /api/v3/order",
            "GET /api/v3/openOrders", "DELETE /api/v3/openOrders", "GET /api/v3/allOrders", "GET /api/v3/myTrades",
        ]
        guard signedRoutes.contains("\(method.rawValue) \(path)") else { return VenueError.invalidPath(path, method.rawValue).reply }
        switch SignedRequest.verify(
            headers: request.headers, rawQuery: request.rawQuery, rawBody: request.body, signers: venue.signer(for:), nowMillis: venue.nowMillis())
        {
        case .failure(let e): return e.reply
        case .success(let (apiKey, params)): return signed(method, path, apiKey: apiKey, params)
        }
    }

    private func market(_ name: String?) -> Result<SimMarket, VenueError> {
        guard let name, !name.isEmpty else { return .failure(.mandatory("symbol")) }
        guard let symbol = Symbol(name), let m = venue.markets[symbol] else { return .failure(.badSymbol) }
        return .success(m)
    }

    private func withMarket(_ name: String?, _ body: (SimMarket) -> String) -> (HTTPResponseStatus, [UInt8]) {
        switch market(name) {
        case .failure(let e): return e.reply
        case .success(let m): return ok(body(m))
        }
    }

    private func publicRoute(_ path: String, _ q: Query) -> (HTTPResponseStatus, [UInt8])? {
        let symbols = venue.markets.keys.sorted()
        switch path {
        case "/api/v3/ping": return ok("{}")
        case "/api/v3/time": return ok(#"{"serverTime":\#(venue.nowMillis())}"#)
        case "/api/v3/exchangeInfo":
            // `symbol=X` or `symbols=["X","Y"]`.
            var wanted: [String]?
            if let one = q["symbol"] { wanted = [one] }
            if let many = q["symbols"] { wanted = many.filter { !"[]\" ".contains($0) }.split(separator: ",").map(String.init) }
            let listed = symbols.filter { wanted == nil || wanted!.contains($0.description) }
            if let wanted, listed.count != wanted.count { return VenueError.badSymbol.reply }
            return ok(exchangeInfo(listed))
        case "/api/v3/depth":
            return withMarket(q["symbol"]) { m in
                let limit = SpotVenue.limit(q["limit"], default: 100, max: 5000)
                func side(_ s: BookSide) -> String {
                    m.book.levels(s, limit: limit).map { #"["\#($0.price.formatted(minFractionDigits: 8))","\#($0.quantity.formatted(minFractionDigits: 8))"]"# }.joined(separator: ",")
                }
                return #"{"lastUpdateId":\#(m.lastUpdateID),"bids":[\#(side(.bid))],"asks":[\#(side(.ask))]}"#
            }
        case "/api/v3/trades":
            return withMarket(q["symbol"]) { m in
                let limit = SpotVenue.limit(q["limit"], default: 500, max: 1000)
                return "[" + m.tape.recent(limit: limit).map { p in
                    #"{"id":\#(p.id),"price":"\#(p.price.formatted(minFractionDigits: 8))","qty":"\#(p.quantity.formatted(minFractionDigits: 8))","quoteQty":"\#((Notional(price: p.price, quantity: p.quantity) ?? .zero).formatted(minFractionDigits: 8))","time":\#(p.timeMillis),"isBuyerMaker":\#(p.buyerIsMaker),"isBestMatch":true}"#
                }.joined(separator: ",") + "]"
            }
        case "/api/v3/klines":
            guard let name = q["interval"], let interval = CandleInterval(name) else { return VenueError(-1120, "Invalid interval.").reply }
            return withMarket(q["symbol"]) { m in
                let limit = SpotVenue.limit(q["limit"], default: 500, max: 1000)
                return "[" + m.tape.trades.candles(interval, start: q["startTime"].flatMap { Int64($0) }, end: q["endTime"].flatMap { Int64($0) }, limit: limit).map { c in
                    let prices = [c.open, c.high, c.low, c.close].map { #""\#($0.formatted(minFractionDigits: 8))""# }.joined(separator: ",")
                    return #"[\#(c.openTime),\#(prices),"\#(c.volume.formatted(minFractionDigits: 8))",\#(interval.next(after: c.openTime) - 1),"\#(c.quoteVolume.formatted(minFractionDigits: 8))",\#(c.count),"\#(c.takerBuyVolume.formatted(minFractionDigits: 8))","\#(c.takerBuyQuoteVolume.formatted(minFractionDigits: 8))","0"]"#
                }.joined(separator: ",") + "]"
            }
        case "/api/v3/ticker/price", "/api/v3/ticker/bookTicker", "/api/v3/ticker/24hr":
            guard let list = venue.symbols(named: q["symbol"]) else { return VenueError.badSymbol.reply }
            let rows = list.map { ticker(path, venue.markets[$0]!) }
            return ok(q["symbol"] != nil ? rows[0] : "[" + rows.joined(separator: ",") + "]")
        default:
            return nil
        }
    }

    private func exchangeInfo(_ symbols: [Symbol]) -> String {
        let rows = symbols.map { s in
            let i = venue.markets[s]!.script.instrument
            let pair = venue.pairs[s]!
            let filters = [
                #"{"filterType":"PRICE_FILTER","minPrice":"\#(i.tickSize.formatted(minFractionDigits: 8))","maxPrice":"1000000.00000000","tickSize":"\#(i.tickSize.formatted(minFractionDigits: 8))"}"#,
                #"{"filterType":"LOT_SIZE","minQty":"\#(i.minQuantity.formatted(minFractionDigits: 8))","maxQty":"\#(i.maxQuantity.formatted(minFractionDigits: 8))","stepSize":"\#(i.stepSize.formatted(minFractionDigits: 8))"}"#,
                #"{"filterType":"NOTIONAL","minNotional":"\#(i.minNotional.formatted(minFractionDigits: 8))","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}"#,
            ]
            return #"{"symbol":"\#(s)","status":"TRADING","baseAsset":"\#(pair.base)","baseAssetPrecision":8,"quoteAsset":"\#(pair.quote)","quotePrecision":8,"quoteAssetPrecision":8,"baseCommissionPrecision":8,"quoteCommissionPrecision":8,"orderTypes":["LIMIT","LIMIT_MAKER","MARKET"],"icebergAllowed":false,"ocoAllowed":false,"otoAllowed":false,"quoteOrderQtyMarketAllowed":true,"allowTrailingStop":false,"cancelReplaceAllowed":false,"isSpotTradingAllowed":true,"isMarginTradingAllowed":false,"filters":[\#(filters.joined(separator: ","))],"permissions":[],"permissionSets":[["SPOT"]],"defaultSelfTradePreventionMode":"EXPIRE_MAKER","allowedSelfTradePreventionModes":["EXPIRE_TAKER","EXPIRE_MAKER","EXPIRE_BOTH"]}"#
        }
        return #"{"timezone":"UTC","serverTime":\#(venue.nowMillis()),"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":100},{"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":200000}],"exchangeFilters":[],"symbols":[\#(rows.joined(separator: ","))]}"#
    }

    private func ticker(_ path: String, _ m: SimMarket) -> String {
        let top = m.book.topOfBook(isSynced: true)
        let f = { (p: Price) in p.formatted(minFractionDigits: 8) }
        let g = { (q: Quantity) in q.formatted(minFractionDigits: 8) }
        switch path {
        case "/api/v3/ticker/price":
            return #"{"symbol":"\#(m.symbol)","price":"\#(f(m.tape.last?.price ?? top.mid ?? .zero))"}"#
        case "/api/v3/ticker/bookTicker":
            return #"{"symbol":"\#(m.symbol)","bidPrice":"\#(f(top.bidPrice))","bidQty":"\#(g(top.bidQuantity))","askPrice":"\#(f(top.askPrice))","askQty":"\#(g(top.askQuantity))"}"#
        default:
            let d = DayStats(m, nowMillis: venue.nowMillis())
            return #"{"symbol":"\#(m.symbol)","priceChange":"\#(f(d.change))","priceChangePercent":"\#(d.percent.formatted(minFractionDigits: 3))","weightedAvgPrice":"\#(f(d.vwap))","prevClosePrice":"\#(f(d.open))","lastPrice":"\#(f(d.last))","lastQty":"\#(g(d.lastQuantity))","bidPrice":"\#(f(top.bidPrice))","bidQty":"\#(g(top.bidQuantity))","askPrice":"\#(f(top.askPrice))","askQty":"\#(g(top.askQuantity))","openPrice":"\#(f(d.open))","highPrice":"\#(f(d.high))","lowPrice":"\#(f(d.low))","volume":"\#(g(d.volume))","quoteVolume":"\#(d.quoteVolume)","openTime":\#(d.openTime),"closeTime":\#(d.closeTime),"firstId":\#(d.firstID),"lastId":\#(d.lastID),"count":\#(d.count)}"#
        }
    }

    /// Binance spot's codes and texts for what the core refused.
    static func error(_ r: Rejection, cancel: Bool = false) -> VenueError {
        switch r {
        case .insufficientBalance, .insufficientMargin: VenueError(-2010, "Account has insufficient balance for requested action.")
        case .notionalBelowMinimum: VenueError(-1013, "Filter failure: NOTIONAL")
        case .quantityBelowMinimum, .quantityAboveMaximum, .quantityOffStep: VenueError(-1013, "Filter failure: LOT_SIZE")
        case .priceOffTick: VenueError(-1013, "Filter failure: PRICE_FILTER")
        case .postOnlyWouldTake: VenueError(-2010, "Order would immediately match and take.")
        case .duplicateClientOrderID: VenueError(-2010, "Duplicate order sent.")
        case .unknownOrder: cancel ? VenueError(-2011, "Unknown order sent.") : VenueError(-2013, "Order does not exist.")
        case .unknownSymbol: .badSymbol
        case .unknownAccount: .apiKeyRejected
        default: VenueError(-1013, "Invalid quantity.")
        }
    }

    static func type(_ o: SimOrder) -> String {
        o.kind == .market ? "MARKET" : o.timeInForce == .postOnly ? "LIMIT_MAKER" : "LIMIT"
    }

    static func order(_ o: SimOrder, full: Bool) -> String {
        let tif = o.kind == .market || o.timeInForce == .postOnly ? "GTC" : o.timeInForce.binance
        var s = #"{"symbol":"\#(o.symbol)","orderId":\#(o.orderID),"orderListId":-1,"clientOrderId":"\#(o.clientOrderID)","price":"\#(o.price.formatted(minFractionDigits: 8))","origQty":"\#(o.quantity.formatted(minFractionDigits: 8))","executedQty":"\#(o.executed.formatted(minFractionDigits: 8))","cummulativeQuoteQty":"\#(o.cumQuote.formatted(minFractionDigits: 8))","status":"\#(o.status.rawValue)","timeInForce":"\#(tif)","type":"\#(type(o))","side":"\#(o.side)""#
        if full {
            s += #","stopPrice":"0.00000000","icebergQty":"0.00000000","time":\#(o.updateTimeMillis),"updateTime":\#(o.updateTimeMillis),"isWorking":true,"workingTime":\#(o.updateTimeMillis),"origQuoteOrderQty":"0.00000000","selfTradePreventionMode":"EXPIRE_MAKER""#
        }
        return s + "}"
    }

    private func signed(_ method: HTTPMethod, _ path: String, apiKey: String, _ p: [String: String]) -> (HTTPResponseStatus, [UInt8]) {
        let now = venue.nowMillis()
        if path == "/api/v3/account" {
            let account = venue.exchange.accounts[apiKey]!
            let rows = account.balances.keys.sorted().map { a in
                let b = account.balance(a)
                return #"{"asset":"\#(a)","free":"\#(b.free.formatted(minFractionDigits: 8))","locked":"\#(b.locked.formatted(minFractionDigits: 8))"}"#
            }
            return ok(#"{"makerCommission":10,"takerCommission":10,"buyerCommission":0,"sellerCommission":0,"commissionRates":{"maker":"0.00100000","taker":"0.00100000","buyer":"0.00000000","seller":"0.00000000"},"canTrade":true,"canWithdraw":true,"canDeposit":true,"brokered":false,"requireSelfTradePrevention":false,"preventSor":false,"updateTime":\#(now),"accountType":"SPOT","balances":[\#(rows.joined(separator: ","))],"permissions":["SPOT"],"uid":1}"#)
        }
        let m: SimMarket
        switch market(p["symbol"]) {
        case .failure(let e): return e.reply
        case .success(let v): m = v
        }
        switch (method, path) {
        case (.POST, "/api/v3/order"), (.POST, "/api/v3/order/test"):
            for name in ["side", "type"] where (p[name] ?? "").isEmpty { return VenueError.mandatory(name).reply }
            let byQuote = p["type"] == "MARKET" && (p["quantity"] ?? "").isEmpty && !(p["quoteOrderQty"] ?? "").isEmpty
            if !byQuote && (p["quantity"] ?? "").isEmpty { return VenueError.mandatory("quantity").reply }
            guard let side = Side(binance: p["side"]!) else { return VenueError.badSide.reply }
            let kind: OrderKind
            var tif = TimeInForce.goodTillCancel
            switch p["type"]! {
            case "LIMIT":
                kind = .limit
                guard let t = p["timeInForce"], !t.isEmpty else { return VenueError.mandatory("timeInForce").reply }
                guard let parsed = TimeInForce(binance: t), parsed != .postOnly else { return VenueError.badTimeInForce.reply }
                tif = parsed
            case "LIMIT_MAKER": kind = .limit; tif = .postOnly
            case "MARKET": kind = .market
            default: return VenueError.badType.reply
            }
            let quantity: Quantity
            if byQuote {
                // A market order by quote amount: what it spends (buy) or raises (sell) sizes it from the book.
                guard let amount = try? Notional(parsing: p["quoteOrderQty"]!), amount.raw > 0 else { return VenueError.badPrecision.reply }
                quantity = venue.quantity(forQuote: amount, side: side, symbol: m.symbol)
            } else {
                guard let q = try? Quantity(parsing: p["quantity"]!) else { return VenueError.badPrecision.reply }
                quantity = q
            }
            var price = Price.zero
            if kind == .limit {
                guard let text = p["price"], !text.isEmpty else { return VenueError.mandatory("price").reply }
                guard let v = try? Price(parsing: text), v.raw > 0 else { return VenueError.badPrecision.reply }
                price = v
            }
            if let client = p["newClientOrderId"], !ClientOrderIDScheme.of(.binanceSpot).accepts(client) {
                return VenueError.invalidParameter("newClientOrderId").reply
            }
            let request = OrderRequest(symbol: m.symbol, side: side, kind: kind, timeInForce: tif, price: price, quantity: quantity, clientOrderID: p["newClientOrderId"])
            let test = path.hasSuffix("/test")
            switch venue.place(request, account: apiKey, test: test, nowMillis: now) {
            case .success where test: return ok("{}")
            case .success(let o):
                let fills = venue.exchange.accounts[apiKey]!.fills.filter { $0.orderID == o.orderID }.map { f in
                    #"{"price":"\#(f.price.formatted(minFractionDigits: 8))","qty":"\#(f.quantity.formatted(minFractionDigits: 8))","commission":"\#(f.fee.formatted(minFractionDigits: 8))","commissionAsset":"\#(f.commissionAsset)","tradeId":\#(f.tradeID)}"#
                }
                var text = Self.order(o, full: false)
                text.removeLast()
                return ok(text + #","transactTime":\#(now),"workingTime":\#(now),"origQuoteOrderQty":"0.00000000","selfTradePreventionMode":"EXPIRE_MAKER","fills":[\#(fills.joined(separator: ","))]}"#)
            case .failure(let r): return Self.error(r).reply
            }
        case (.DELETE, "/api/v3/order"), (.GET, "/api/v3/order"):
            let ref: OrderReference
            if let text = p["orderId"], let id = Int64(text) {
                ref = .venue(id)
            } else if let client = p["origClientOrderId"], !client.isEmpty {
                ref = .client(client)
            } else {
                return VenueError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!").reply
            }
            let cancel = method == .DELETE
            let result = cancel ? venue.exchange.cancel(ref, account: apiKey, nowMillis: now) : venue.exchange.query(ref, account: apiKey)
            switch result {
            case .success(let o) where o.symbol == m.symbol: return ok(Self.order(o, full: !cancel))
            case .success: return Self.error(.unknownOrder, cancel: cancel).reply
            case .failure(let r): return Self.error(r, cancel: cancel).reply
            }
        case (.GET, "/api/v3/openOrders"):
            return ok("[" + venue.exchange.openOrders(account: apiKey, symbol: m.symbol).map { Self.order($0, full: true) }.joined(separator: ",") + "]")
        case (.DELETE, "/api/v3/openOrders"):
            let cancelled = venue.exchange.cancelAll(account: apiKey, symbol: m.symbol, nowMillis: now)
            return ok("[" + cancelled.map { Self.order($0, full: false) }.joined(separator: ",") + "]")
        case (.GET, "/api/v3/allOrders"):
            let all = venue.allOrders(account: apiKey, symbol: m.symbol, limit: SpotVenue.limit(p["limit"], default: 500, max: 1000))
            return ok("[" + all.map { Self.order($0, full: true) }.joined(separator: ",") + "]")
        default:  // GET /api/v3/myTrades
            let rows = venue.fills(account: apiKey, symbol: m.symbol, limit: SpotVenue.limit(p["limit"], default: 500, max: 1000)).map { f, _ in
                #"{"symbol":"\#(f.symbol)","id":\#(f.tradeID),"orderId":\#(f.orderID),"orderListId":-1,"price":"\#(f.price.formatted(minFractionDigits: 8))","qty":"\#(f.quantity.formatted(minFractionDigits: 8))","quoteQty":"\#((Notional(price: f.price, quantity: f.quantity) ?? .zero).formatted(minFractionDigits: 8))","commission":"\#(f.fee.formatted(minFractionDigits: 8))","commissionAsset":"\#(f.commissionAsset)","time":\#(f.timeMillis),"isBuyer":\#(f.side == .buy),"isMaker":\#(f.maker),"isBestMatch":true}"#
            }
            return ok("[" + rows.joined(separator: ",") + "]")
        }
    }
}
