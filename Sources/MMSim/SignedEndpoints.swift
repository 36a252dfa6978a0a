import MMBinanceWire
import MMCore
import NIOHTTP1

/// The venue's authenticated endpoints, once a request is verified: REST's SIGNED routes, which the
/// WebSocket API's methods share (Binance's rate limits and answers are the same on both).
extension StreamHub {
    /// The answer to an authenticated request for `apiKey`. `countOrders(tenSeconds, minute)` charges the
    /// order limits and returns the refusal when they are exceeded.
    func answer(
        _ method: HTTPMethod, _ path: String, apiKey: String, _ params: [String: String], nowMillis now: Int64,
        countOrders: (_ tenSeconds: Int, _ minute: Int) -> VenueError?
    ) -> (HTTPResponseStatus, [UInt8]) {
        if let reply = accountQuery(method, path, apiKey: apiKey, params, nowMillis: now, countOrders: countOrders) { return reply }
        let symbol = params["symbol"].flatMap { Symbol($0) }
        let market = symbol.flatMap { markets[$0] }
        func order(_ r: Result<SimOrder, VenueError>, withTime: Bool = false) -> (HTTPResponseStatus, [UInt8]) {
            switch r {
            case .success(let o):
                let instrument = markets[o.symbol]!.script.instrument
                return (.ok, Array(OrderJSON.render(o, instrument: instrument, withTime: withTime).utf8))
            case .failure(let e):
                return e.reply
            }
        }
        switch (method, path) {
        case (.POST, "/fapi/v1/order"):
            if let refused = countOrders(1, 1) { return refused.reply }
            return order(exchange.newOrder(apiKey: apiKey, params, markets: &markets, nowMillis: now))
        case (.DELETE, "/fapi/v1/order"):
            return order(exchange.cancel(apiKey: apiKey, params, nowMillis: now))
        case (.PUT, "/fapi/v1/order"):
            if let refused = countOrders(1, 1) { return refused.reply }
            return order(exchange.modify(apiKey: apiKey, params, market: market, nowMillis: now))
        case (.GET, "/fapi/v1/order"):
            return order(exchange.query(apiKey: apiKey, params), withTime: true)
        case (.GET, "/fapi/v1/openOrders"):
            if params["symbol"] != nil && market == nil { return VenueError.badSymbol.reply }
            let list = exchange.openOrders(account: apiKey, symbol: symbol).map {
                OrderJSON.render($0, instrument: markets[$0.symbol]!.script.instrument, withTime: true)
            }
            return (.ok, Array(("[" + list.joined(separator: ",") + "]").utf8))
        case (.GET, "/fapi/v1/income"):
            if params["symbol"] != nil && market == nil { return VenueError.badSymbol.reply }
            let limit = min(max(Int(params["limit"] ?? "100") ?? 100, 1), 1000)
            let account = exchange.accounts[apiKey]!
            let body = IncomeJSON.history(
                account, symbol: symbol, type: params["incomeType"], start: params["startTime"].flatMap { Int64($0) },
                end: params["endTime"].flatMap { Int64($0) }, limit: limit)
            return (.ok, Array(body.utf8))
        case (.GET, "/fapi/v2/positionRisk"), (.GET, "/fapi/v3/positionRisk"):
            if params["symbol"] != nil && market == nil { return VenueError.badSymbol.reply }
            let account = exchange.accounts[apiKey]!
            return (.ok, Array(AccountJSON.positions(account, markets: markets, only: symbol, version: path.hasPrefix("/fapi/v2") ? 2 : 3).utf8))
        case (.POST, "/fapi/v1/countdownCancelAll"):
            guard let symbol, market != nil else {
                return params["symbol"] == nil
                    ? VenueError.mandatory("symbol").reply
                    : VenueError.badSymbol.reply
            }
            guard let text = params["countdownTime"], let millis = Int64(text), millis >= 0 else {
                return VenueError.mandatory("countdownTime").reply
            }
            countdown(apiKey: apiKey, symbol: symbol, millis: millis)
            return (.ok, Array(#"{"symbol":"\#(symbol)","countdownTime":"\#(millis)"}"#.utf8))
        case (.POST, "/fapi/v1/batchOrders"):
            // Up to 5 orders, each answered in place with the order or its error.
            guard let text = params["batchOrders"], let list = (try? JSONValue.parse(text))?.arrayValue else {
                return VenueError.mandatory("batchOrders").reply
            }
            guard (1...5).contains(list.count) else {
                return VenueError.invalidParameter("batchOrders").reply
            }
            // The batch counts 5 against the 10 s order limit and 1 against the minute's.
            if let refused = countOrders(5, 1) { return refused.reply }
            let replies = list.map { entry -> String in
                let p = StreamHub.batchEntry(entry)
                switch exchange.newOrder(apiKey: apiKey, p, markets: &markets, nowMillis: now) {
                case .success(let o): return OrderJSON.render(o, instrument: markets[o.symbol]!.script.instrument, withTime: false)
                case .failure(let e): return String(decoding: e.body, as: UTF8.self)
                }
            }
            return (.ok, Array(("[" + replies.joined(separator: ",") + "]").utf8))
        case (.GET, "/fapi/v1/leverageBracket"):
            // One tier per symbol: the venue's single maintenance rate.
            let account = exchange.accounts[apiKey]!
            func entry(_ s: Symbol) -> String {
                let leverage = account.leverage(s)
                return #"{"symbol":"\#(s)","brackets":[{"bracket":1,"initialLeverage":\#(leverage),"notionalCap":1000000000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0.0}]}"#
            }
            if let symbol {
                guard market != nil else { return VenueError.badSymbol.reply }
                return (.ok, Array(entry(symbol).utf8))
            }
            return (.ok, Array(("[" + markets.keys.sorted().map(entry).joined(separator: ",") + "]").utf8))
        case (.GET, "/fapi/v1/positionSide/dual"), (.GET, "/fapi/v1/multiAssetsMargin"), (.GET, "/fapi/v1/feeBurn"),
            (.POST, "/fapi/v1/positionSide/dual"), (.POST, "/fapi/v1/multiAssetsMargin"), (.POST, "/fapi/v1/feeBurn"):
            // The account's modes: each read as `{"<name>":bool}` and set with `<name>=true|false`.
            let name = path.hasSuffix("dual") ? "dualSidePosition" : path.hasSuffix("multiAssetsMargin") ? "multiAssetsMargin" : "feeBurn"
            let account = exchange.accounts[apiKey]!
            guard method == .POST else {
                let value = name == "dualSidePosition" ? account.hedgeMode : name == "feeBurn" ? account.feeBurn : account.multiAssetsMargin
                return (.ok, Array(#"{"\#(name)":\#(value)}"#.utf8))
            }
            guard let text = params[name], ["true", "false"].contains(text) else { return VenueError.mandatory(name).reply }
            switch name {
            case "dualSidePosition": if let e = exchange.setHedgeMode(account: apiKey, text == "true") { return VenueError(e).reply }
            case "feeBurn": exchange.setAccountFlag(account: apiKey, feeBurn: text == "true")
            default: exchange.setAccountFlag(account: apiKey, multiAssetsMargin: text == "true")
            }
            return (.ok, Array(#"{"code":200,"msg":"success"}"#.utf8))
        case (.POST, "/fapi/v1/leverage"), (.POST, "/fapi/v1/marginType"):
            guard let symbol, market != nil else { return params["symbol"] == nil ? VenueError.mandatory("symbol").reply : VenueError.badSymbol.reply }
            guard path.hasSuffix("leverage") else {
                guard let type = params["marginType"] else { return VenueError.mandatory("marginType").reply }
                let mode: MarginMode
                switch type {
                case "CROSSED": mode = .cross
                case "ISOLATED": mode = .isolated
                default: return VenueError.invalidParameter("marginType").reply
                }
                if let e = exchange.setMarginMode(account: apiKey, symbol: symbol, mode) { return VenueError(e).reply }
                return (.ok, Array(#"{"code":200,"msg":"success"}"#.utf8))
            }
            guard let text = params["leverage"], let leverage = Int64(text) else { return VenueError.mandatory("leverage").reply }
            switch exchange.setLeverage(account: apiKey, symbol: symbol, leverage) {
            case .success(let l): return (.ok, Array(#"{"leverage":\#(l),"maxNotionalValue":"1000000000","symbol":"\#(symbol)"}"#.utf8))
            case .failure(let e): return VenueError(e).reply
            }
        case (.GET, "/fapi/v2/account"), (.GET, "/fapi/v3/account"):
            return (.ok, Array(AccountJSON.account(exchange.accounts[apiKey]!, markets: markets, now: now, version: path.hasPrefix("/fapi/v2") ? 2 : 3).utf8))
        case (.GET, "/fapi/v2/balance"), (.GET, "/fapi/v3/balance"):
            return (.ok, Array(AccountJSON.balance(exchange.accounts[apiKey]!, markets: markets, now: now).utf8))
        default:  // DELETE /fapi/v1/allOpenOrders
            guard params["symbol"] != nil else { return VenueError.mandatory("symbol").reply }
            guard let symbol, market != nil else { return VenueError.badSymbol.reply }
            exchange.cancelAll(account: apiKey, symbol: symbol, nowMillis: now)
            return (.ok, Array(#"{"code":200,"msg":"The operation of cancel all open order is done."}"#.utf8))
        }    }
}
