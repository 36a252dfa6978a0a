import MMBinanceAuth
import MMCore
import NIOHTTP1

/// Checks a SIGNED request as Binance does: `X-MBX-APIKEY`, `signature` over `totalParams` (the raw query
/// string followed directly by the raw body, without the signature itself), `timestamp` within
/// `recvWindow` (default 5000 ms, at most 60000) and not more than 1000 ms ahead of the server.
enum SignedRequest {
    /// The request's parameters (query and body, decoded) once authenticated.
    static func verify(
        headers: HTTPHeaders, rawQuery: String, rawBody: String, signers: (String) -> SignatureVerifier?, nowMillis: Int64
    ) -> Result<(apiKey: String, params: [String: String]), VenueError> {
        guard let apiKey = headers.first(name: "X-MBX-APIKEY"), !apiKey.isEmpty else { return .failure(.apiKeyFormat) }
        guard let signer = signers(apiKey) else { return .failure(.apiKeyRejected) }
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
    static func verifyWebSocket(_ params: [(String, String)], signers: (String) -> SignatureVerifier?, nowMillis: Int64) -> Result<(apiKey: String, params: [String: String]), VenueError> {
        var map: [String: String] = [:]
        for (k, v) in params { map[k] = v }
        guard let apiKey = map["apiKey"], !apiKey.isEmpty else { return .failure(.mandatory("apiKey")) }
        guard let signer = signers(apiKey) else { return .failure(.apiKeyRejected) }
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
    /// One symbol's position numbers at the current mark.
    struct Row {
        var symbol: Symbol
        var amount: String
        var entry: String
        var mark: String
        var unrealized: String
        var notional: String
        var margin: String
        var maintenance: String
        var leverage: Int64
        var isolated: Bool
        var updateTime: Int64
        var side: PositionSide
    }

    static func rows(_ account: SimAccount, markets: [Symbol: SimMarket], only: Symbol?) -> [Row] {
        markets.keys.sorted().filter { only == nil || $0 == only }.flatMap { symbol in account.positionSides.map { side in
            let m = markets[symbol]!
            let mark = m.markPrice
            let p = account.position(symbol, side)
            let pd = m.script.instrument.priceFractionDigits
            let notional = Notional(raw: Int64(Int128(p.quantity.raw) * Int128(mark.raw) / Int128(FixedPointScale.unit)))
            let leverage = account.leverage(symbol)
            let margin = Notional(raw: notional.clampedMagnitude.raw / leverage)
            // The venue's single bracket.
            let rate = SimExchange.defaultMaintenanceMarginRate
            let maintenance = Notional(raw: Int64(Int128(notional.clampedMagnitude.raw) * Int128(rate.raw) / Int128(FixedPointScale.unit)))
            return Row(
                symbol: symbol, amount: p.quantity.formatted(minFractionDigits: m.script.instrument.quantityFractionDigits),
                entry: p.entryPrice.formatted(minFractionDigits: pd), mark: mark.formatted(minFractionDigits: 8),
                unrealized: p.unrealized(at: mark).formatted(minFractionDigits: 8), notional: notional.formatted(minFractionDigits: 8),
                margin: margin.formatted(minFractionDigits: 8), maintenance: maintenance.formatted(minFractionDigits: 8), leverage: leverage,
                isolated: account.marginMode(symbol) == .isolated, updateTime: p.updateTimeMillis, side: side)
        } }
    }

    /// `GET /fapi/v2/positionRisk` (`version` 2) or `/fapi/v3/positionRisk` (3).
    static func positions(_ account: SimAccount, markets: [Symbol: SimMarket], only: Symbol?, version: Int) -> String {
        let list = rows(account, markets: markets, only: only).map { r in
            let common = #""symbol":"\#(r.symbol)","positionSide":"\#(r.side.binance)","positionAmt":"\#(r.amount)","entryPrice":"\#(r.entry)","breakEvenPrice":"\#(r.entry)","markPrice":"\#(r.mark)","unRealizedProfit":"\#(r.unrealized)","liquidationPrice":"0","isolatedMargin":"0.00000000","notional":"\#(r.notional)","isolatedWallet":"0","#
            if version == 2 {
                return "{" + common + #""leverage":"\#(r.leverage)","maxNotionalValue":"1000000000","marginType":"\#(r.isolated ? "isolated" : "cross")","isAutoAddMargin":"false","updateTime":\#(r.updateTime)}"#
            }
            return "{" + common + #""marginAsset":"\#(marginAsset(of: r.symbol))","initialMargin":"\#(r.margin)","maintMargin":"\#(r.maintenance)","positionInitialMargin":"\#(r.margin)","openOrderInitialMargin":"0","adl":0,"bidNotional":"0","askNotional":"0","updateTime":\#(r.updateTime)}"#
        }
        return "[" + list.joined(separator: ",") + "]"
    }

    /// Unrealized PnL and initial margin of the positions settling in `asset`.
    static func equity(_ account: SimAccount, markets: [Symbol: SimMarket], asset: String = "USDT") -> (unrealized: Notional, margin: Notional) {
        var upnl = Notional.zero
        var margin = Int128(0)
        for (key, p) in account.positions where marginAsset(of: key.symbol) == asset {
            let symbol = key.symbol
            let mark = markets[symbol]?.markPrice ?? p.entryPrice
            upnl += p.unrealized(at: mark)
            margin += Int128(p.notional(at: mark).raw) / Int128(account.leverage(symbol))
        }
        return (upnl, Notional(raw: Int64(margin)))
    }

    /// `GET /fapi/v2/account` (`version` 2) or `/fapi/v3/account` (3).
    static func account(_ account: SimAccount, markets: [Symbol: SimMarket], now: Int64, version: Int) -> String {
        // Totals are the USDT asset's (single-asset mode), as Binance documents them; each asset is listed.
        let (upnl, margin) = equity(account, markets: markets)
        let wallet = account.wallet.formatted(minFractionDigits: 8)
        let marginBalance = (account.wallet + upnl).formatted(minFractionDigits: 8)
        let available = (account.wallet + upnl - margin).formatted(minFractionDigits: 8)
        let m = margin.formatted(minFractionDigits: 8)
        let u = upnl.formatted(minFractionDigits: 8)
        let flag = version == 2 ? #","marginAvailable":true"# : ""
        let asset = account.wallets.keys.sorted().map { name in
            let (au, am) = equity(account, markets: markets, asset: name)
            let w = account.wallet(name)
            let (aw, ab, aa) = (w.formatted(minFractionDigits: 8), (w + au).formatted(minFractionDigits: 8), (w + au - am).formatted(minFractionDigits: 8))
            let (auf, amf) = (au.formatted(minFractionDigits: 8), am.formatted(minFractionDigits: 8))
            return #"{"asset":"\#(name)","walletBalance":"\#(aw)","unrealizedProfit":"\#(auf)","marginBalance":"\#(ab)","maintMargin":"0.00000000","initialMargin":"\#(amf)","positionInitialMargin":"\#(amf)","openOrderInitialMargin":"0.00000000","crossWalletBalance":"\#(aw)","crossUnPnl":"\#(auf)","availableBalance":"\#(aa)","maxWithdrawAmount":"\#(aa)"\#(flag),"updateTime":\#(now)}"#
        }.joined(separator: ",")
        let totals = #""totalInitialMargin":"\#(m)","totalMaintMargin":"0.00000000","totalWalletBalance":"\#(wallet)","totalUnrealizedProfit":"\#(u)","totalMarginBalance":"\#(marginBalance)","totalPositionInitialMargin":"\#(m)","totalOpenOrderInitialMargin":"0.00000000","totalCrossWalletBalance":"\#(wallet)","totalCrossUnPnl":"\#(u)","availableBalance":"\#(available)","maxWithdrawAmount":"\#(available)","#
        let positions = rows(account, markets: markets, only: nil).map { r in
            if version == 2 {
                return #"{"symbol":"\#(r.symbol)","initialMargin":"\#(r.margin)","maintMargin":"\#(r.maintenance)","unrealizedProfit":"\#(r.unrealized)","positionInitialMargin":"\#(r.margin)","openOrderInitialMargin":"0","leverage":"\#(r.leverage)","isolated":\#(r.isolated),"entryPrice":"\#(r.entry)","maxNotional":"1000000000","bidNotional":"0","askNotional":"0","positionSide":"BOTH","positionAmt":"\#(r.amount)","updateTime":\#(r.updateTime)}"#
            }
            return #"{"symbol":"\#(r.symbol)","positionSide":"\#(r.side.binance)","positionAmt":"\#(r.amount)","unrealizedProfit":"\#(r.unrealized)","isolatedMargin":"0.00000000","notional":"\#(r.notional)","isolatedWallet":"0","initialMargin":"\#(r.margin)","maintMargin":"\#(r.maintenance)","updateTime":\#(r.updateTime)}"#
        }
        let tail = #""assets":[\#(asset)],"positions":[\#(positions.joined(separator: ","))]}"#
        if version == 2 {
            return #"{"feeTier":0,"feeBurn":\#(account.feeBurn),"canTrade":true,"canDeposit":true,"canWithdraw":true,"updateTime":0,"multiAssetsMargin":\#(account.multiAssetsMargin),"tradeGroupId":-1,"# + totals + tail
        }
        return "{" + totals + tail
    }

    static func balance(_ account: SimAccount, markets: [Symbol: SimMarket], now: Int64) -> String {
        let rows = account.wallets.keys.sorted().map { name in
            let (upnl, margin) = equity(account, markets: markets, asset: name)
            let w = account.wallet(name)
            let wallet = w.formatted(minFractionDigits: 8)
            let available = (w + upnl - margin).formatted(minFractionDigits: 8)
            return #"{"accountAlias":"SimSim","asset":"\#(name)","balance":"\#(wallet)","crossWalletBalance":"\#(wallet)","crossUnPnl":"\#(upnl.formatted(minFractionDigits: 8))","availableBalance":"\#(available)","maxWithdrawAmount":"\#(available)","marginAvailable":true,"updateTime":\#(now)}"#
        }
        return "[" + rows.joined(separator: ",") + "]"
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
        var s = #"{"orderId":\#(o.orderID),"symbol":"\#(o.symbol)","status":"\#(o.status.rawValue)","clientOrderId":"\#(o.clientOrderID)","#
        s += #""price":"\#(price)","avgPrice":"\#(average)","origQty":"\#(qty)","executedQty":"\#(executed)","#
        // Answers to placing, changing and cancelling carry cumQty; queries of an order do not.
        if !withTime { s += #""cumQty":"\#(executed)","# }
        s += #""cumQuote":"\#(cumQuote)","timeInForce":"\#(o.timeInForce.binance)","type":"\#(o.kind.binance)","reduceOnly":\#(o.reduceOnly),"closePosition":false,"#
        s += #""side":"\#(o.side)","positionSide":"\#(o.positionSide.binance)","stopPrice":"\#(zeroPrice)","workingType":"CONTRACT_PRICE","priceProtect":false,"#
        s += #""origType":"\#(o.kind.binance)","priceMatch":"NONE","selfTradePreventionMode":"EXPIRE_MAKER","goodTillDate":0,"#
        if withTime { s += #""time":\#(o.updateTimeMillis),"# }
        s += #""updateTime":\#(o.updateTimeMillis)}"#
        return s
    }
}
