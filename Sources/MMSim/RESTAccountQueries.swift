import MMBinanceWire
import MMCore
import NIOHTTP1

/// The SIGNED account and order queries beyond placing and cancelling: trade and order history, one open
/// order, test orders, commission rates, rate limits, symbol and account configuration, and the batch
/// modify and cancel.
extension StreamHub {
    /// Paths these queries serve, by method.
    static let accountQueryRoutes: Set<String> = [
        "GET /fapi/v1/userTrades", "GET /fapi/v1/allOrders", "GET /fapi/v1/openOrder", "POST /fapi/v1/order/test",
        "GET /fapi/v1/commissionRate", "GET /fapi/v1/rateLimit/order", "GET /fapi/v1/symbolConfig", "GET /fapi/v1/accountConfig",
        "PUT /fapi/v1/batchOrders", "DELETE /fapi/v1/batchOrders",
    ]

    /// The reply to an authenticated query, or nil when `path` is not one of these.
    func accountQuery(
        _ method: HTTPMethod, _ path: String, apiKey: String, _ p: [String: String], nowMillis now: Int64,
        countOrders: (_ tenSeconds: Int, _ minute: Int) -> VenueError?
    ) -> (HTTPResponseStatus, [UInt8])? {
        guard Self.accountQueryRoutes.contains("\(method.rawValue) \(path)"), let account = exchange.accounts[apiKey] else { return nil }
        func ok(_ s: String) -> (HTTPResponseStatus, [UInt8]) { (.ok, Array(s.utf8)) }
        func list(_ items: [String]) -> (HTTPResponseStatus, [UInt8]) { ok("[" + items.joined(separator: ",") + "]") }
        func render(_ o: SimOrder, withTime: Bool) -> String {
            OrderJSON.render(o, instrument: markets[o.symbol]!.script.instrument, withTime: withTime)
        }
        func limit(default value: Int, max: Int) -> Int? {
            guard let text = p["limit"] else { return value }
            guard let n = Int(text), n >= 1 else { return nil }
            return min(n, max)
        }
        func long(_ name: String) -> Int64?? {
            guard let text = p[name] else { return .some(nil) }
            return Int64(text).map { .some($0) } ?? nil
        }
        // The named symbol, required where the documentation says so.
        var symbol: Symbol?
        if let name = p["symbol"] {
            guard let s = Symbol(name), name == name.uppercased(), markets[s] != nil else { return VenueError.badSymbol.reply }
            symbol = s
        }
        let needsSymbol: Set<String> = ["/fapi/v1/userTrades", "/fapi/v1/allOrders", "/fapi/v1/openOrder", "/fapi/v1/commissionRate"]
        if needsSymbol.contains(path) || (path == "/fapi/v1/batchOrders" && method == .DELETE), symbol == nil {
            return VenueError.mandatory("symbol").reply
        }

        switch (method, path) {
        case (.GET, "/fapi/v1/userTrades"):
            guard let n = limit(default: 500, max: 1000) else { return VenueError.invalidParameter("limit").reply }
            guard let orderID = long("orderId"), let start = long("startTime"), let end = long("endTime"), let fromID = long("fromId") else {
                return VenueError(-1100, "Illegal characters found in a parameter.").reply
            }
            if fromID != nil && (start != nil || end != nil) { return VenueError(-1128, "Combination of optional parameters invalid.").reply }
            if let start, let end, end - start > 7 * 86_400_000 || end < start {
                return VenueError(-1127, "Lookup interval is too big.").reply
            }
            let lower = start ?? (end == nil && fromID == nil ? now - 7 * 86_400_000 : .min)
            var fills = account.fills.filter {
                $0.symbol == symbol! && (orderID == nil || $0.orderID == orderID!) && $0.timeMillis >= lower
                    && $0.timeMillis <= (end ?? .max) && $0.tradeID >= (fromID ?? .min)
            }
            fills = fromID != nil || start != nil ? Array(fills.prefix(n)) : Array(fills.suffix(n))
            let instrument = markets[symbol!]!.script.instrument
            return list(fills.map { f in
                let quote = Notional(price: f.price, quantity: f.quantity) ?? .zero
                let buyer = f.side == .buy
                return #"{"buyer":\#(buyer),"commission":"\#(f.fee.formatted(minFractionDigits: 8))","commissionAsset":"\#(marginAsset(of: f.symbol))","marginAsset":"\#(marginAsset(of: f.symbol))","id":\#(f.tradeID),"maker":\#(f.maker),"orderId":\#(f.orderID),"price":"\#(f.price.formatted(minFractionDigits: instrument.priceFractionDigits))","qty":"\#(f.quantity.formatted(minFractionDigits: instrument.quantityFractionDigits))","quoteQty":"\#(quote)","realizedPnl":"\#(f.realized.formatted(minFractionDigits: 8))","side":"\#(f.side)","positionSide":"BOTH","symbol":"\#(f.symbol)","time":\#(f.timeMillis)}"#
            })
        case (.GET, "/fapi/v1/allOrders"):
            guard let n = limit(default: 500, max: 1000) else { return VenueError.invalidParameter("limit").reply }
            guard let orderID = long("orderId"), let start = long("startTime"), let end = long("endTime") else {
                return VenueError(-1100, "Illegal characters found in a parameter.").reply
            }
            var orders = (Array(account.open.values) + Array(account.closed.values)).filter {
                $0.symbol == symbol! && $0.orderID >= (orderID ?? .min) && $0.updateTimeMillis >= (start ?? .min) && $0.updateTimeMillis <= (end ?? .max)
            }
            orders.sort { $0.orderID < $1.orderID }
            orders = orderID != nil || start != nil ? Array(orders.prefix(n)) : Array(orders.suffix(n))
            return list(orders.map { render($0, withTime: true) })
        case (.GET, "/fapi/v1/openOrder"):
            let byID = p["orderId"].flatMap { Int64($0) }
            let byClient = p["origClientOrderId"]
            guard byID != nil || byClient != nil else {
                return VenueError(-1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!").reply
            }
            let id = byID ?? account.byClientID[byClient!]
            guard let id, let o = account.open[id], o.symbol == symbol! else { return VenueError(-2013, "Order does not exist.").reply }
            return ok(render(o, withTime: true))
        case (.POST, "/fapi/v1/order/test"):
            // Every check of a real order, on a copy of the venue that is then dropped.
            var scratch = exchange
            scratch.audit = nil
            var scratchMarkets = markets
            switch scratch.newOrder(apiKey: apiKey, p, markets: &scratchMarkets, nowMillis: now) {
            case .success(let o): return ok(render(o, withTime: false))
            case .failure(let e): return e.reply
            }
        case (.GET, "/fapi/v1/commissionRate"):
            return ok(#"{"symbol":"\#(symbol!)","makerCommissionRate":"\#(exchange.makerFee)","takerCommissionRate":"\#(exchange.takerFee)","rpiCommissionRate":"\#(exchange.makerFee)"}"#)
        case (.GET, "/fapi/v1/rateLimit/order"):
            return list([
                #"{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":\#(limits.ordersPer10s)}"#,
                #"{"rateLimitType":"ORDERS","interval":"MINUTE","intervalNum":1,"limit":\#(limits.ordersPerMinute)}"#,
            ])
        case (.GET, "/fapi/v1/symbolConfig"):
            let symbols = symbol.map { [$0] } ?? markets.keys.sorted()
            return list(symbols.map { s in
                #"{"symbol":"\#(s)","marginType":"\#(account.marginMode(s).binance)","isAutoAddMargin":false,"leverage":\#(account.leverage(s)),"maxNotionalValue":"1000000000"}"#
            })
        case (.GET, "/fapi/v1/accountConfig"):
            return ok(#"{"feeTier":0,"canTrade":true,"canDeposit":true,"canWithdraw":true,"dualSidePosition":\#(account.hedgeMode),"updateTime":0,"multiAssetsMargin":\#(account.multiAssetsMargin),"tradeGroupId":-1}"#)
        case (.PUT, "/fapi/v1/batchOrders"):
            guard let text = p["batchOrders"], let entries = (try? JSONValue.parse(text))?.arrayValue else {
                return VenueError.mandatory("batchOrders").reply
            }
            guard (1...5).contains(entries.count) else { return VenueError.invalidParameter("batchOrders").reply }
            if let refused = countOrders(5, 1) { return refused.reply }
            return list(entries.map { entry in
                let params = Self.batchEntry(entry)
                let market = params["symbol"].flatMap { Symbol($0) }.flatMap { markets[$0] }
                switch exchange.modify(apiKey: apiKey, params, market: market, nowMillis: now) {
                case .success(let o): return render(o, withTime: false)
                case .failure(let e): return String(decoding: e.body, as: UTF8.self)
                }
            })
        default:  // DELETE /fapi/v1/batchOrders
            let ids = p["orderIdList"].flatMap { try? JSONValue.parse($0) }?.arrayValue
            let clients = p["origClientOrderIdList"].flatMap { try? JSONValue.parse($0) }?.arrayValue
            guard let targets = ids ?? clients, ids == nil || clients == nil else {
                return VenueError(-1102, "Param 'orderIdList' or 'origClientOrderIdList' must be sent, but both were empty/null!").reply
            }
            guard (1...10).contains(targets.count) else { return VenueError.invalidParameter(ids != nil ? "orderIdList" : "origClientOrderIdList").reply }
            return list(targets.map { t in
                var params = ["symbol": symbol!.description]
                if ids != nil {
                    guard let id = t.int64 else { return String(decoding: VenueError.invalidParameter("orderIdList").body, as: UTF8.self) }
                    params["orderId"] = String(id)
                } else {
                    guard let c = t.text else { return String(decoding: VenueError.invalidParameter("origClientOrderIdList").body, as: UTF8.self) }
                    params["origClientOrderId"] = c
                }
                switch exchange.cancel(apiKey: apiKey, params, nowMillis: now) {
                case .success(let o): return render(o, withTime: false)
                case .failure(let e): return String(decoding: e.body, as: UTF8.self)
                }
            })
        }
    }

    /// One entry of a `batchOrders` list as request parameters (JSON values as the text they stand for).
    static func batchEntry(_ entry: JSONValue) -> [String: String] {
        var p: [String: String] = [:]
        if case .object(let members) = entry {
            for (k, v) in members {
                switch v {
                case .bool(let b): p[k] = b ? "true" : "false"
                default: if let t = v.text { p[k] = t }
                }
            }
        }
        return p
    }
}
