import MMBinanceAuth
import MMCore
import NIOHTTP1

/// Checks a SIGNED request as Binance does: `X-MBX-APIKEY`, `signature` over `totalParams` (the raw query
/// string followed directly by the raw body, without the signature itself), `timestamp` within
/// `recvWindow` (default 5000 ms, at most 60000) and not more than 1000 ms ahead of the server.
enum SignedRequest {
    /// The request's parameters (query and body, decoded) once authenticated.
    static func verify(
        headers: HTTPHeaders, rawQuery: String, rawBody: String, exchange: SimExchange, nowMillis: Int64
    ) -> Result<(apiKey: String, params: [String: String]), VenueError> {
        guard let apiKey = headers.first(name: "X-MBX-APIKEY"), !apiKey.isEmpty else { return .failure(.apiKeyFormat) }
        guard let signer = exchange.signer(for: apiKey) else { return .failure(.apiKeyRejected) }
        let (query, querySignature) = strip(rawQuery)
        let (body, bodySignature) = strip(rawBody)
        var params: [String: String] = [:]
        for part in [query, body] {
            let q = Query(part)
            for (k, v) in q.items where k != "signature" { params[k] = v }
        }
        guard let signature = querySignature ?? bodySignature, !signature.isEmpty else { return .failure(.mandatory("signature")) }
        let timing: (timestamp: Int64, recvWindow: Int64)
        switch readTiming(params) {
        case .success(let t): timing = t
        case .failure(let e): return .failure(e)
        }
        guard signer.isValid(signature: signature, for: Array((query + body).utf8)) else { return .failure(.badSignature) }
        if let e = checkTime(timing.timestamp, timing.recvWindow, nowMillis) { return .failure(e) }
        return .success((apiKey, params))
    }

    /// `timestamp` (mandatory) and `recvWindow` (default 5000 ms, at most 60000).
    static func readTiming(_ params: [String: String]) -> Result<(timestamp: Int64, recvWindow: Int64), VenueError> {
        guard let tsText = params["timestamp"], let timestamp = Int64(tsText) else { return .failure(.mandatory("timestamp")) }
        guard let w = params["recvWindow"] else { return .success((timestamp, 5000)) }
        guard let v = Int64(w), v > 0, v <= 60_000 else { return .failure(.badRecvWindow) }
        return .success((timestamp, v))
    }

    static func checkTime(_ timestamp: Int64, _ recvWindow: Int64, _ nowMillis: Int64) -> VenueError? {
        if timestamp > nowMillis + 1000 { return .timestampAhead }
        if nowMillis - timestamp > recvWindow { return .outsideRecvWindow }
        return nil
    }

    /// A WebSocket API request's parameters: signed over every parameter but `signature`, sorted by name,
    /// as `name=value` joined with `&` (numbers as sent, strings as is).
    static func verifyWebSocket(_ params: [(String, String)], exchange: SimExchange, nowMillis: Int64) -> Result<(apiKey: String, params: [String: String]), VenueError> {
        var map: [String: String] = [:]
        for (k, v) in params { map[k] = v }
        guard let apiKey = map["apiKey"], !apiKey.isEmpty else { return .failure(.mandatory("apiKey")) }
        guard let signer = exchange.signer(for: apiKey) else { return .failure(.apiKeyRejected) }
        guard let signature = map["signature"], !signature.isEmpty else { return .failure(.mandatory("signature")) }
        let timing: (timestamp: Int64, recvWindow: Int64)
        switch readTiming(map) {
        case .success(let t): timing = t
        case .failure(let e): return .failure(e)
        }
        let payload = params.filter { $0.0 != "signature" }.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        guard signer.isValid(signature: signature, for: Array(payload.utf8)) else { return .failure(.badSignature) }
        if let e = checkTime(timing.timestamp, timing.recvWindow, nowMillis) { return .failure(e) }
        map["apiKey"] = nil
        return .success((apiKey, map))
    }

    /// The raw parameter string without its `signature=` item, and that item's value.
    static func strip(_ raw: String) -> (String, String?) {
        var kept: [Substring] = []
        var signature: String?
        // Keep every other byte exactly as sent: the signature covers the raw text.
        for item in raw.split(separator: "&", omittingEmptySubsequences: false) {
            if item.hasPrefix("signature=") {
                signature = String(item.dropFirst("signature=".count))
            } else {
                kept.append(item)
            }
        }
        return (kept.joined(separator: "&"), signature)
    }
}

/// Binance's account views (`/fapi/v2|v3/positionRisk`, `/fapi/v2/account`, `/fapi/v2/balance`).
enum AccountJSON {
    static func positions(_ account: SimAccount, markets: [Symbol: SimMarket], only: Symbol?, now: Int64) -> String {
        let rows = markets.keys.sorted().filter { only == nil || $0 == only }.map { symbol -> String in
            let m = markets[symbol]!
            let mark = m.book.topOfBook(isSynced: true).mid ?? .zero
            let p = account.position(symbol)
            let pd = m.script.instrument.priceFractionDigits
            let notional = Notional(raw: Int64(Int128(p.quantity.raw) * Int128(mark.raw) / Int128(FixedPointScale.unit)))
            return #"{"symbol":"\#(symbol)","positionAmt":"\#(p.quantity.formatted(minFractionDigits: m.script.instrument.quantityFractionDigits))","#
                + #""entryPrice":"\#(p.entryPrice.formatted(minFractionDigits: pd))","breakEvenPrice":"\#(p.entryPrice.formatted(minFractionDigits: pd))","#
                + #""markPrice":"\#(mark.formatted(minFractionDigits: pd))","unRealizedProfit":"\#(p.unrealized(at: mark).formatted(minFractionDigits: 8))","#
                + #""liquidationPrice":"0","leverage":"\#(account.leverage)","maxNotionalValue":"10000000","marginType":"cross","#
                + #""isolatedMargin":"0.00000000","isAutoAddMargin":"false","positionSide":"BOTH","#
                + #""notional":"\#(notional.formatted(minFractionDigits: 8))","isolatedWallet":"0","updateTime":\#(p.updateTimeMillis)}"#
        }
        return "[" + rows.joined(separator: ",") + "]"
    }

    static func equity(_ account: SimAccount, markets: [Symbol: SimMarket]) -> (unrealized: Notional, margin: Notional) {
        var upnl = Notional.zero
        var margin = Int128(0)
        for (symbol, p) in account.positions {
            let mark = markets[symbol]?.book.topOfBook(isSynced: true).mid ?? p.entryPrice
            upnl += p.unrealized(at: mark)
            margin += Int128(p.notional(at: mark).raw) / Int128(account.leverage)
        }
        return (upnl, Notional(raw: Int64(margin)))
    }

    static func account(_ account: SimAccount, markets: [Symbol: SimMarket], now: Int64) -> String {
        let (upnl, margin) = equity(account, markets: markets)
        let wallet = account.wallet.formatted(minFractionDigits: 8)
        let marginBalance = (account.wallet + upnl).formatted(minFractionDigits: 8)
        let available = (account.wallet + upnl - margin).formatted(minFractionDigits: 8)
        let asset = #"{"asset":"USDT","walletBalance":"\#(wallet)","unrealizedProfit":"\#(upnl.formatted(minFractionDigits: 8))","marginBalance":"\#(marginBalance)","maintMargin":"0.00000000","initialMargin":"\#(margin.formatted(minFractionDigits: 8))","positionInitialMargin":"\#(margin.formatted(minFractionDigits: 8))","openOrderInitialMargin":"0.00000000","crossWalletBalance":"\#(wallet)","crossUnPnl":"\#(upnl.formatted(minFractionDigits: 8))","availableBalance":"\#(available)","maxWithdrawAmount":"\#(available)","marginAvailable":true,"updateTime":\#(now)}"#
        return #"{"feeTier":0,"canTrade":true,"canDeposit":true,"canWithdraw":true,"updateTime":0,"multiAssetsMargin":false,"totalInitialMargin":"\#(margin.formatted(minFractionDigits: 8))","totalMaintMargin":"0.00000000","totalWalletBalance":"\#(wallet)","totalUnrealizedProfit":"\#(upnl.formatted(minFractionDigits: 8))","totalMarginBalance":"\#(marginBalance)","totalPositionInitialMargin":"\#(margin.formatted(minFractionDigits: 8))","totalOpenOrderInitialMargin":"0.00000000","totalCrossWalletBalance":"\#(wallet)","totalCrossUnPnl":"\#(upnl.formatted(minFractionDigits: 8))","availableBalance":"\#(available)","maxWithdrawAmount":"\#(available)","assets":[\#(asset)],"positions":\#(positions(account, markets: markets, only: nil, now: now))}"#
    }

    static func balance(_ account: SimAccount, markets: [Symbol: SimMarket], now: Int64) -> String {
        let (upnl, margin) = equity(account, markets: markets)
        let wallet = account.wallet.formatted(minFractionDigits: 8)
        let available = (account.wallet + upnl - margin).formatted(minFractionDigits: 8)
        return #"[{"accountAlias":"SimSim","asset":"USDT","balance":"\#(wallet)","crossWalletBalance":"\#(wallet)","crossUnPnl":"\#(upnl.formatted(minFractionDigits: 8))","availableBalance":"\#(available)","maxWithdrawAmount":"\#(available)","marginAvailable":true,"updateTime":\#(now)}]"#
    }
}

/// Binance's order object (`POST`/`GET`/`DELETE /fapi/v1/order`, `openOrders`).
enum OrderJSON {
    static func render(_ o: SimOrder, instrument: Instrument, withTime: Bool) -> String {
        let pd = instrument.priceFractionDigits
        let qd = instrument.quantityFractionDigits
        let price = o.price.formatted(minFractionDigits: pd)
        let average = o.averagePrice.formatted(minFractionDigits: pd)
        let cumQuote = o.cumQuote.formatted(minFractionDigits: pd)
        let qty = o.quantity.formatted(minFractionDigits: qd)
        let executed = o.executed.formatted(minFractionDigits: qd)
        let zeroPrice = Price.zero.formatted(minFractionDigits: pd)
        var s = #"{"orderId":\#(o.orderID),"symbol":"\#(o.symbol)","status":"\#(o.status)","clientOrderId":"\#(o.clientOrderID)","#
        s += #""price":"\#(price)","avgPrice":"\#(average)","origQty":"\#(qty)","executedQty":"\#(executed)","cumQty":"\#(executed)","#
        s += #""cumQuote":"\#(cumQuote)","timeInForce":"\#(o.timeInForce)","type":"\#(o.type)","reduceOnly":\#(o.reduceOnly),"closePosition":false,"#
        s += #""side":"\#(o.side)","positionSide":"BOTH","stopPrice":"\#(zeroPrice)","workingType":"CONTRACT_PRICE","priceProtect":false,"#
        s += #""origType":"\#(o.type)","priceMatch":"NONE","selfTradePreventionMode":"EXPIRE_MAKER","goodTillDate":0,"#
        if withTime { s += #""time":\#(o.updateTimeMillis),"# }
        s += #""updateTime":\#(o.updateTimeMillis)}"#
        return s
    }
}
