import MMNet
import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMVenue

/// Binance USDⓈ-M futures' REST API for the operator tools: perpetual markets with their filters, the
/// futures wallet's balances, and limit orders by client ID. Signed with HMAC-SHA256 or Ed25519, whichever
/// the secret holds.
public struct USDMRESTClient: TradingClient {
    public let venue = VenueID.binanceUSDM
    let rest: SignedREST

    public init(endpoint: Endpoint, apiKey: String, secret: String) throws(VenueFailure) {
        let signer: RequestSigner
        do { signer = try RequestSigner(secret: secret) } catch {
            throw VenueFailure(venue: .binanceUSDM, httpStatus: 0, code: nil, message: "the secret is not a usable key: \(error.description)")
        }
        rest = SignedREST(
            venue: .binanceUSDM, endpoint: endpoint, apiKey: apiKey, keyHeader: "X-MBX-APIKEY", recvWindowMillis: 5000,
            sign: { signer.signature(of: $0, urlEncoded: true) })
    }

    /// Binance's own address.
    public static let defaultURL = "https://fapi.binance.com"

    /// Perpetual contracts (other contract types are skipped with the reason).
    public func markets() async throws(VenueFailure) -> (markets: [MarketSpec], skipped: [MarketSpec.Skip]) {
        let info = try await rest.request("GET", "/fapi/v1/exchangeInfo")
        var specs: [MarketSpec] = []
        var skipped: [MarketSpec.Skip] = []
        for s in info["symbols"]?.arrayValue ?? [] {
            let name = s["symbol"]?.text ?? "?"
            guard s["contractType"]?.text == "PERPETUAL" else {
                skipped.append(MarketSpec.Skip(venueSymbol: name, reason: "contract type \(s["contractType"]?.text ?? "none") is not a perpetual"))
                continue
            }
            let filters = s["filters"]?.arrayValue ?? []
            func filter(_ type: String) -> JSONValue? { filters.first { $0["filterType"]?.text == type } }
            let statusText = s["status"]?.text ?? ""
            let status: MarketStatus = statusText == "TRADING" ? .trading : ["SETTLING", "DELIVERING", "CLOSE", "DELISTED"].contains(statusText) ? .delisted : .halted
            let result = MarketSpec.make(
                venue: venue, type: .linearPerpetual, venueSymbol: name, base: s["baseAsset"]?.text ?? "", quote: s["quoteAsset"]?.text ?? "",
                settle: s["marginAsset"]?.text, tickSize: filter("PRICE_FILTER")?["tickSize"]?.text ?? "", stepSize: filter("LOT_SIZE")?["stepSize"]?.text ?? "",
                minQuantity: filter("LOT_SIZE")?["minQty"]?.text, maxQuantity: filter("LOT_SIZE")?["maxQty"]?.text ?? "0",
                minNotional: filter("MIN_NOTIONAL")?["notional"]?.text ?? "0", status: status)
            switch result {
            case .success(let spec): specs.append(spec)
            case .failure(let skip): skipped.append(skip)
            }
        }
        return (specs, skipped)
    }

    /// The futures wallet per margin asset: available as free, the rest of the balance (margin in use) as locked.
    public func balances() async throws(VenueFailure) -> [String: AssetBalance] {
        let list = try await rest.request("GET", "/fapi/v3/balance", signed: true)
        var out: [String: AssetBalance] = [:]
        for b in list.arrayValue ?? [] {
            guard let asset = b["asset"]?.text, let balance = Parse.notional(b["balance"]), let available = Parse.notional(b["availableBalance"]) else { continue }
            out[asset] = AssetBalance(free: available, locked: max(.zero, balance - available))
        }
        return out
    }

    public func placeLimit(symbol: String, side: Side, price: Price, quantity: Quantity, clientOrderID: String) async throws(VenueFailure) -> VenueOrderRef {
        guard ClientOrderIDScheme.of(venue).accepts(clientOrderID) else {
            throw VenueFailure(venue: venue, httpStatus: 0, code: nil, message: "client order ID '\(clientOrderID)' breaks \(venue.rawValue)'s rule")
        }
        let q = "symbol=\(symbol)&side=\(side)&type=LIMIT&timeInForce=GTC&quantity=\(quantity)&price=\(price)&newClientOrderId=\(clientOrderID)"
        let answer = try await rest.request("POST", "/fapi/v1/order", q, signed: true)
        guard let id = answer["orderId"]?.text, let ref = VenueOrderRef(id) else {
            throw VenueFailure(venue: venue, httpStatus: 200, code: nil, message: "no orderId in the answer")
        }
        return ref
    }

    public func order(symbol: String, clientOrderID: String) async throws(VenueFailure) -> OrderState {
        try Parse.orderState(try await rest.request("GET", "/fapi/v1/order", "symbol=\(symbol)&origClientOrderId=\(clientOrderID)", signed: true), venue: venue)
    }

    public func openOrders(symbol: String) async throws(VenueFailure) -> [OrderView] {
        Parse.orderViews(try await rest.request("GET", "/fapi/v1/openOrders", "symbol=\(symbol)", signed: true), venue: venue)
    }

    public func cancel(symbol: String, _ ref: VenueOrderRef) async throws(VenueFailure) {
        _ = try await rest.request("DELETE", "/fapi/v1/order", "symbol=\(symbol)&orderId=\(ref)", signed: true)
    }
}
