import MMNet
import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMVenue

/// A spot venue's REST API for the operator tools and the rebalancer: Binance spot (`/api/v3`, header
/// `X-MBX-APIKEY`) and MEXC spot v3 (`/api/v3`, header `X-MEXC-APIKEY`). Both sign the query string with
/// HMAC-SHA256 (hex); they differ in market fields, order IDs and codes, which this maps onto the model.
public struct SpotRESTClient: TradingClient {
    public let venue: VenueID
    let rest: SignedREST

    public init(venue: VenueID, endpoint: Endpoint, apiKey: String, secret: String) throws(VenueFailure) {
        guard venue == .mexc || venue == .binanceSpot else {
            throw VenueFailure(venue: venue, httpStatus: 0, code: nil, message: "no spot REST client for \(venue.rawValue)")
        }
        self.venue = venue
        let signer = HMACSigner(secret: secret)
        rest = SignedREST(
            venue: venue, endpoint: endpoint, apiKey: apiKey, keyHeader: venue == .mexc ? "X-MEXC-APIKEY" : "X-MBX-APIKEY", recvWindowMillis: 5000,
            sign: { signer.signature(of: $0) })
    }

    public var endpoint: Endpoint { rest.endpoint }

    /// The venue's own default address.
    public static func defaultURL(_ venue: VenueID) -> String { venue == .mexc ? "https://api.mexc.com" : "https://api.binance.com" }

    func request(_ method: String, _ path: String, _ query: String = "", signed: Bool = false) async throws(VenueFailure) -> JSONValue {
        try await rest.request(method, path, query, signed: signed)
    }

    /// The venue's spot markets, and those left out with the reason.
    public func markets() async throws(VenueFailure) -> (markets: [MarketSpec], skipped: [MarketSpec.Skip]) {
        let info = try await request("GET", "/api/v3/exchangeInfo")
        var specs: [MarketSpec] = []
        var skipped: [MarketSpec.Skip] = []
        for s in info["symbols"]?.arrayValue ?? [] {
            let name = s["symbol"]?.text ?? "?"
            let base = s["baseAsset"]?.text ?? ""
            let quote = s["quoteAsset"]?.text ?? ""
            let result: Result<MarketSpec, MarketSpec.Skip>
            if venue == .mexc {
                // MEXC: precisions as digit counts, the minimum quantity and order amount as decimals.
                let tick = Self.decimal(digits: s["quoteAssetPrecision"]?.int64 ?? s["quotePrecision"]?.int64)
                let step = Self.decimal(digits: s["baseAssetPrecision"]?.int64)
                let status: MarketStatus = s["status"]?.text == "1" && s["isSpotTradingAllowed"] == .bool(true) ? .trading : .halted
                result = MarketSpec.make(
                    venue: venue, type: .spot, venueSymbol: name, base: base, quote: quote, tickSize: tick ?? "", stepSize: step ?? "",
                    minQuantity: s["baseSizePrecision"]?.text, minNotional: s["quoteAmountPrecision"]?.text ?? "0", status: status)
            } else {
                let filters = s["filters"]?.arrayValue ?? []
                func filter(_ type: String) -> JSONValue? { filters.first { $0["filterType"]?.text == type } }
                let status: MarketStatus = s["status"]?.text == "TRADING" ? .trading : s["status"]?.text == "BREAK" ? .halted : .delisted
                result = MarketSpec.make(
                    venue: venue, type: .spot, venueSymbol: name, base: base, quote: quote, tickSize: filter("PRICE_FILTER")?["tickSize"]?.text ?? "",
                    stepSize: filter("LOT_SIZE")?["stepSize"]?.text ?? "", minQuantity: filter("LOT_SIZE")?["minQty"]?.text,
                    maxQuantity: filter("LOT_SIZE")?["maxQty"]?.text ?? "0",
                    minNotional: (filter("NOTIONAL") ?? filter("MIN_NOTIONAL"))?["minNotional"]?.text ?? "0", status: status)
            }
            switch result {
            case .success(let spec): specs.append(spec)
            case .failure(let skip): skipped.append(skip)
            }
        }
        return (specs, skipped)
    }

    /// `10^-digits` as a decimal string (`nil` when absent or negative).
    static func decimal(digits: Int64?) -> String? {
        guard let d = digits, d >= 0 else { return nil }
        return d == 0 ? "1" : "0." + String(repeating: "0", count: Int(d) - 1) + "1"
    }

    /// Free and locked balances per asset.
    public func balances() async throws(VenueFailure) -> [String: AssetBalance] {
        let account = try await request("GET", "/api/v3/account", signed: true)
        var out: [String: AssetBalance] = [:]
        for b in account["balances"]?.arrayValue ?? [] {
            guard let asset = b["asset"]?.text, let free = b["free"]?.text.flatMap({ try? Notional(parsing: $0) }),
                let locked = b["locked"]?.text.flatMap({ try? Notional(parsing: $0) })
            else { continue }
            out[asset] = AssetBalance(free: free, locked: locked)
        }
        return out
    }

    /// A limit order with the client's ID; the venue's reference to it.
    public func placeLimit(symbol: String, side: Side, price: Price, quantity: Quantity, clientOrderID: String) async throws(VenueFailure) -> VenueOrderRef {
        guard ClientOrderIDScheme.of(venue).accepts(clientOrderID) else {
            throw VenueFailure(venue: venue, httpStatus: 0, code: nil, message: "client order ID '\(clientOrderID)' breaks \(venue.rawValue)'s rule")
        }
        var q = "symbol=\(symbol)&side=\(side)&type=LIMIT&quantity=\(quantity)&price=\(price)&newClientOrderId=\(clientOrderID)"
        if venue == .binanceSpot { q += "&timeInForce=GTC" }
        let answer = try await request("POST", "/api/v3/order", q, signed: true)
        guard let id = answer["orderId"]?.text, let ref = VenueOrderRef(id) else {
            throw VenueFailure(venue: venue, httpStatus: 200, code: nil, message: "no orderId in the answer")
        }
        return ref
    }

    /// An order by the client's ID: its reference, state, executed quantity and average price.
    public func order(symbol: String, clientOrderID: String) async throws(VenueFailure) -> OrderState {
        let o = try await request("GET", "/api/v3/order", "symbol=\(symbol)&origClientOrderId=\(clientOrderID)", signed: true)
        return try Parse.orderState(o, venue: venue)
    }

    /// The venue's clock, in Unix milliseconds.
    public func serverTime() async throws(VenueFailure) -> Int64 {
        guard let t = try await request("GET", "/api/v3/time")["serverTime"]?.int64 else {
            throw VenueFailure(venue: venue, httpStatus: 200, code: nil, message: "no serverTime in the answer")
        }
        return t
    }

    /// The best bid and ask.
    public func bookTicker(symbol: String) async throws(VenueFailure) -> (bid: Price, ask: Price) {
        let t = try await request("GET", "/api/v3/ticker/bookTicker", "symbol=\(symbol)")
        guard let bid = t["bidPrice"]?.text.flatMap({ try? Price(parsing: $0) }), let ask = t["askPrice"]?.text.flatMap({ try? Price(parsing: $0) }) else {
            throw VenueFailure(venue: venue, httpStatus: 200, code: nil, message: "a book ticker the model cannot read")
        }
        return (bid, ask)
    }

    /// The order book's best `limit` levels a side, and the update ID it is as of.
    public func orderBook(symbol: String, limit: Int = 100) async throws(VenueFailure) -> (lastUpdateID: Int64, bids: [(Price, Quantity)], asks: [(Price, Quantity)]) {
        let book = try await request("GET", "/api/v3/depth", "symbol=\(symbol)&limit=\(limit)")
        func side(_ v: JSONValue?) -> [(Price, Quantity)] {
            (v?.arrayValue ?? []).compactMap { l in
                guard let a = l.arrayValue, a.count >= 2, let p = Parse.price(a[0]), let q = Parse.quantity(a[1]) else { return nil }
                return (p, q)
            }
        }
        guard let id = book["lastUpdateId"]?.int64 else {
            throw VenueFailure(venue: venue, httpStatus: 200, code: nil, message: "an order book the model cannot read")
        }
        return (id, side(book["bids"]), side(book["asks"]))
    }

    /// One kline.
    public struct Kline: Sendable, Equatable {
        public var openTime: Int64
        public var open: Price
        public var high: Price
        public var low: Price
        public var close: Price
        public var volume: Quantity
    }

    /// Klines of `interval` in Binance's names (`1m` … `1h` … `1M`), oldest first; MEXC's own names
    /// (`60m`, `1W`) are used on the wire for MEXC.
    public func klines(symbol: String, interval: String, limit: Int) async throws(VenueFailure) -> [Kline] {
        let wire = venue == .mexc ? (["1h": "60m", "1w": "1W"][interval] ?? interval) : interval
        let rows = try await request("GET", "/api/v3/klines", "symbol=\(symbol)&interval=\(wire)&limit=\(limit)")
        var out: [Kline] = []
        for r in rows.arrayValue ?? [] {
            guard let a = r.arrayValue, a.count >= 6, let t = a[0].int64 else { continue }
            let p = (1...4).map { a[$0].text.flatMap { try? Price(parsing: $0) } }
            guard let o = p[0], let h = p[1], let l = p[2], let c = p[3], let v = a[5].text.flatMap({ try? Quantity(parsing: $0) }) else { continue }
            out.append(Kline(openTime: t, open: o, high: h, low: l, close: c, volume: v))
        }
        return out
    }

    /// One of the account's trades.
    public struct Trade: Sendable, Equatable {
        public var tradeID: String
        public var orderRef: VenueOrderRef?
        public var side: Side
        public var price: Price
        public var quantity: Quantity
        public var commission: String
        public var commissionAsset: String
        public var timeMillis: Int64
        public var maker: Bool
    }

    /// The account's trades in `symbol`, oldest first.
    public func myTrades(symbol: String, limit: Int = 500) async throws(VenueFailure) -> [Trade] {
        let rows = try await request("GET", "/api/v3/myTrades", "symbol=\(symbol)&limit=\(limit)", signed: true)
        return (rows.arrayValue ?? []).compactMap { t in
            guard let price = t["price"]?.text.flatMap({ try? Price(parsing: $0) }), let qty = t["qty"]?.text.flatMap({ try? Quantity(parsing: $0) }) else {
                return nil
            }
            return Trade(
                tradeID: t["id"]?.text ?? "", orderRef: t["orderId"]?.text.flatMap { VenueOrderRef($0) }, side: t["isBuyer"] == .bool(true) ? .buy : .sell,
                price: price, quantity: qty, commission: t["commission"]?.text ?? "0", commissionAsset: t["commissionAsset"]?.text ?? "",
                timeMillis: t["time"]?.int64 ?? 0, maker: t["isMaker"] == .bool(true))
        }
    }

    /// The open orders of `symbol`.
    public func openOrders(symbol: String) async throws(VenueFailure) -> [OrderView] {
        let list = try await request("GET", "/api/v3/openOrders", "symbol=\(symbol)", signed: true)
        return Parse.orderViews(list, venue: venue)
    }

    /// A limit order with the client's ID, post-only (`LIMIT_MAKER`) when asked: never takes liquidity.
    public func place(symbol: String, side: Side, price: Price, quantity: Quantity, clientOrderID: String, postOnly: Bool) async throws(VenueFailure) -> VenueOrderRef {
        guard postOnly else { return try await placeLimit(symbol: symbol, side: side, price: price, quantity: quantity, clientOrderID: clientOrderID) }
        guard ClientOrderIDScheme.of(venue).accepts(clientOrderID) else {
            throw VenueFailure(venue: venue, httpStatus: 0, code: nil, message: "client order ID '\(clientOrderID)' breaks \(venue.rawValue)'s rule")
        }
        let answer = try await request(
            "POST", "/api/v3/order", "symbol=\(symbol)&side=\(side)&type=LIMIT_MAKER&quantity=\(quantity)&price=\(price)&newClientOrderId=\(clientOrderID)",
            signed: true)
        guard let id = answer["orderId"]?.text, let ref = VenueOrderRef(id) else {
            throw VenueFailure(venue: venue, httpStatus: 200, code: nil, message: "no orderId in the answer")
        }
        return ref
    }

    /// Cancels an order by the client's ID; its state after the cancel.
    public func cancel(symbol: String, clientOrderID: String) async throws(VenueFailure) -> OrderState {
        try Parse.orderState(try await request("DELETE", "/api/v3/order", "symbol=\(symbol)&origClientOrderId=\(clientOrderID)", signed: true), venue: venue)
    }

    /// Cancels every open order of `symbol`.
    public func cancelAll(symbol: String) async throws(VenueFailure) {
        do {
            _ = try await request("DELETE", "/api/v3/openOrders", "symbol=\(symbol)", signed: true)
        } catch where error.kind == .unknownOrder {
            // Binance spot answers -2011 when there was nothing to cancel.
        }
    }

    /// Cancels an order by its reference.
    public func cancel(symbol: String, _ ref: VenueOrderRef) async throws(VenueFailure) {
        _ = try await request("DELETE", "/api/v3/order", "symbol=\(symbol)&orderId=\(ref)", signed: true)
    }
}
