import MMCore
import MMSimCore

/// Binance's order parameters on the venue's core: names, value sets and JSON-free syntax checked here, in
/// the order Binance checks them; what the core refuses comes back with Binance's code and text.
extension SimExchange {
    /// `POST /fapi/v1/order` (and `order.place`, `batchOrders`).
    mutating func newOrder(apiKey: String, _ p: [String: String], markets: inout [Symbol: SimMarket], nowMillis: Int64) -> Result<SimOrder, VenueError> {
        guard let account = accounts[apiKey] else { return .failure(.apiKeyRejected) }
        guard let symbolText = p["symbol"], !symbolText.isEmpty else { return .failure(.mandatory("symbol")) }
        guard let sideText = p["side"], !sideText.isEmpty else { return .failure(.mandatory("side")) }
        guard let type = p["type"], !type.isEmpty else { return .failure(.mandatory("type")) }
        guard let symbol = Symbol(symbolText), markets[symbol] != nil else { return .failure(.badSymbol) }
        guard let side = Side(binance: sideText) else { return .failure(.badSide) }
        let kind: OrderKind
        switch type {
        case "LIMIT": kind = .limit
        case "MARKET": kind = .market
        default: return .failure(.badType)
        }
        guard let qtyText = p["quantity"], !qtyText.isEmpty else { return .failure(.mandatory("quantity")) }
        guard let quantity = try? Quantity(parsing: qtyText) else { return .failure(.badPrecision) }
        let positionSide: PositionSide
        switch p["positionSide"] ?? "BOTH" {
        case "BOTH": positionSide = .both
        case "LONG": positionSide = .long
        case "SHORT": positionSide = .short
        default: return .failure(.invalidParameter("positionSide"))
        }
        // Hedge mode closes a leg by trading against it; reduceOnly is not a parameter there.
        if account.hedgeMode && p["reduceOnly"] != nil { return .failure(VenueError(-1106, "Parameter 'reduceonly' sent when not required.")) }
        let clientID = p["newClientOrderId"]
        if let clientID {
            if clientID.utf8.count > 36 { return .failure(.clientIDTooLong) }
            // Binance's rule, ^[.A-Z:/a-z0-9_-]{1,36}$: IDs are echoed into JSON and must need no escaping.
            if clientID.isEmpty || !clientID.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || ".:/_-".unicodeScalars.contains($0)
            }) {
                return .failure(.clientIDInvalid)
            }
        }
        var tif = TimeInForce.goodTillCancel
        var price = Price.zero
        if kind == .limit {
            guard let t = p["timeInForce"], !t.isEmpty else { return .failure(.mandatory("timeInForce")) }
            guard let parsed = TimeInForce(binance: t) else { return .failure(.badTimeInForce) }
            tif = parsed
            guard let priceText = p["price"], !priceText.isEmpty else { return .failure(.mandatory("price")) }
            guard let value = try? Price(parsing: priceText), value.raw > 0 else { return .failure(.badPrecision) }
            price = value
        } else if p["price"] != nil {
            return .failure(VenueError(-1106, "Parameter 'price' sent when not required."))
        }
        let request = OrderRequest(
            symbol: symbol, side: side, kind: kind, timeInForce: tif, price: price, quantity: quantity, positionSide: positionSide,
            reduceOnly: p["reduceOnly"] == "true", clientOrderID: clientID)
        return place(request, account: apiKey, market: &markets[symbol]!, nowMillis: nowMillis).mapError { VenueError($0) }
    }

    /// The order a request names by `orderId` or `origClientOrderId`.
    private func reference(_ p: [String: String]) -> Result<OrderReference, VenueError> {
        if let text = p["orderId"], let id = Int64(text) { return .success(.venue(id)) }
        if let client = p["origClientOrderId"] { return .success(.client(client)) }
        return .failure(VenueError(-1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"))
    }

    /// `DELETE /fapi/v1/order`.
    mutating func cancel(apiKey: String, _ p: [String: String], nowMillis: Int64) -> Result<SimOrder, VenueError> {
        guard accounts[apiKey] != nil else { return .failure(.apiKeyRejected) }
        guard p["symbol"] != nil else { return .failure(.mandatory("symbol")) }
        return reference(p).flatMap { r in
            cancel(r, account: apiKey, nowMillis: nowMillis).mapError { $0 == .unknownOrder ? .cancelUnknown : VenueError($0) }
        }
    }

    /// `GET /fapi/v1/order`.
    func query(apiKey: String, _ p: [String: String]) -> Result<SimOrder, VenueError> {
        guard accounts[apiKey] != nil else { return .failure(.apiKeyRejected) }
        guard p["symbol"] != nil else { return .failure(.mandatory("symbol")) }
        return reference(p).flatMap { r in query(r, account: apiKey).mapError { VenueError($0) } }
    }

    /// `PUT /fapi/v1/order` and `order.modify`.
    mutating func modify(apiKey: String, _ p: [String: String], market: SimMarket?, nowMillis: Int64) -> Result<SimOrder, VenueError> {
        guard accounts[apiKey] != nil else { return .failure(.apiKeyRejected) }
        for name in ["symbol", "side", "quantity", "price"] where (p[name] ?? "").isEmpty { return .failure(.mandatory(name)) }
        guard let market, let symbol = Symbol(p["symbol"]!), market.symbol == symbol else { return .failure(.badSymbol) }
        let r: OrderReference
        switch reference(p) {
        case .success(let v): r = v
        case .failure(let e): return .failure(e)
        }
        guard let side = Side(binance: p["side"]!) else { return .failure(.badSide) }
        guard let price = try? Price(parsing: p["price"]!), let quantity = try? Quantity(parsing: p["quantity"]!) else {
            return .failure(.badPrecision)
        }
        return amend(r, side: side, price: price, quantity: quantity, account: apiKey, market: market, nowMillis: nowMillis).mapError { VenueError($0) }
    }
}

extension VenueError {
    /// Binance's code and text for what the core refused.
    init(_ r: Rejection) {
        switch r {
        case .unknownAccount: self = .apiKeyRejected
        case .unknownSymbol: self = .badSymbol
        case .quantityNotPositive: self = .qtyNotPositive
        case .quantityOffStep: self = .step
        case .quantityBelowMinimum: self = .qtyBelowMin
        case .quantityAboveMaximum: self = .qtyAboveMax
        case .priceOffTick: self = .tick
        case .priceAboveCap: self = .priceAboveCap
        case .priceBelowFloor: self = .priceBelowFloor
        case .notionalBelowMinimum(let n): self = .minNotional(n.description)
        case .positionSideMismatch: self = VenueError(-4061, "Order's position side does not match user's setting.")
        case .duplicateClientOrderID: self = .duplicateClientID
        case .noMarket: self = VenueError(-1013, "INVALID_MESSAGE.")
        case .reduceOnlyRejected: self = .reduceOnlyRejected
        case .insufficientMargin, .insufficientBalance: self = .marginInsufficient
        case .postOnlyWouldTake: self = .postOnlyWouldTake
        case .unknownOrder: self = .unknownOrder
        case .sideMismatch: self = .badSide
        case .nothingToModify: self = VenueError(-5027, "No need to modify the order.")
        case .cannotModify: self = .unsupported
        case .leverageOutOfRange(let l): self = VenueError(-4028, "Leverage `\(l)` is not valid")
        case .marginModeUnchanged: self = VenueError(-4046, "No need to change margin type.")
        case .marginModeWithPosition: self = VenueError(-4048, "Margin type cannot be changed if there exists position.")
        case .marginModeWithOpenOrders: self = VenueError(-4047, "Margin type cannot be changed if there exists open orders.")
        case .positionModeUnchanged: self = VenueError(-4059, "No need to change position side.")
        case .positionModeWithPositions: self = VenueError(-4068, "Position side cannot be changed if there exists position.")
        }
    }
}

extension Side {
    init?(binance text: String) {
        switch text {
        case "BUY": self = .buy
        case "SELL": self = .sell
        default: return nil
        }
    }
}

extension TimeInForce {
    init?(binance text: String) {
        switch text {
        case "GTC": self = .goodTillCancel
        case "IOC": self = .immediateOrCancel
        case "FOK": self = .fillOrKill
        case "GTX": self = .postOnly
        default: return nil
        }
    }

    /// Binance's name.
    var binance: String {
        switch self {
        case .goodTillCancel: "GTC"
        case .immediateOrCancel: "IOC"
        case .fillOrKill: "FOK"
        case .postOnly: "GTX"
        }
    }
}

extension OrderKind {
    /// Binance's name.
    var binance: String {
        switch self {
        case .limit: "LIMIT"
        case .market: "MARKET"
        case .liquidation: "LIQUIDATION"
        }
    }
}

extension PositionSide {
    /// Binance's name.
    var binance: String {
        switch self {
        case .both: "BOTH"
        case .long: "LONG"
        case .short: "SHORT"
        }
    }
}

extension MarginMode {
    /// Binance's name in requests (`marginType`).
    var binance: String { self == .cross ? "CROSSED" : "ISOLATED" }
}

extension AccountChange {
    /// The `m` of `ACCOUNT_UPDATE`.
    var binance: String {
        switch self {
        case .trade: "ORDER"
        case .funding: "FUNDING_FEE"
        case .insuranceClear: "INSURANCE_CLEAR"
        }
    }
}
