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
        guard let tsText = params["timestamp"], let timestamp = Int64(tsText) else { return .failure(.mandatory("timestamp")) }
        var recvWindow: Int64 = 5000
        if let w = params["recvWindow"] {
            guard let v = Int64(w), v > 0, v <= 60_000 else {
                return .failure(VenueError(-1131, "recvWindow must be less than 60000"))
            }
            recvWindow = v
        }
        guard signer.isValid(signature: signature, for: Array((query + body).utf8)) else { return .failure(.badSignature) }
        if timestamp > nowMillis + 1000 { return .failure(.timestampAhead) }
        if nowMillis - timestamp > recvWindow { return .failure(.outsideRecvWindow) }
        return .success((apiKey, params))
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

/// Binance's order object (`POST`/`GET`/`DELETE /fapi/v1/order`, `openOrders`).
enum OrderJSON {
    static func render(_ o: SimOrder, instrument: Instrument, withTime: Bool) -> String {
        let pd = instrument.priceFractionDigits
        let qd = instrument.quantityFractionDigits
        let price = o.price.formatted(minFractionDigits: pd)
        let qty = o.quantity.formatted(minFractionDigits: qd)
        let executed = o.executed.formatted(minFractionDigits: qd)
        let zeroPrice = Price.zero.formatted(minFractionDigits: pd)
        var s = #"{"orderId":\#(o.orderID),"symbol":"\#(o.symbol)","status":"\#(o.status)","clientOrderId":"\#(o.clientOrderID)","#
        s += #""price":"\#(price)","avgPrice":"\#(zeroPrice)","origQty":"\#(qty)","executedQty":"\#(executed)","cumQty":"\#(executed)","#
        s += #""cumQuote":"0","timeInForce":"\#(o.timeInForce)","type":"\#(o.type)","reduceOnly":\#(o.reduceOnly),"closePosition":false,"#
        s += #""side":"\#(o.side)","positionSide":"BOTH","stopPrice":"\#(zeroPrice)","workingType":"CONTRACT_PRICE","priceProtect":false,"#
        s += #""origType":"\#(o.type)","priceMatch":"NONE","selfTradePreventionMode":"EXPIRE_MAKER","goodTillDate":0,"#
        if withTime { s += #""time":\#(o.updateTimeMillis),"# }
        s += #""updateTime":\#(o.updateTimeMillis)}"#
        return s
    }
}
