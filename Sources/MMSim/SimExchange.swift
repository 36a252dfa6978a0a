import MMBinanceAuth
import MMBook
import MMCore

/// An order resting at (or known to) the venue.
public struct SimOrder: Sendable, Equatable {
    public var orderID: Int64
    public var clientOrderID: String
    public var symbol: Symbol
    public var side: Side
    public var type: String
    public var timeInForce: String
    public var price: Price
    public var quantity: Quantity
    public var executed: Quantity
    public var status: String
    public var reduceOnly: Bool
    public var updateTimeMillis: Int64
}

/// A trading account: its keys, and its orders.
public struct SimAccount: Sendable {
    public let apiKey: String
    let signer: HMACSigner
    var open: [Int64: SimOrder] = [:]
    var byClientID: [String: Int64] = [:]
    /// Recently closed orders, for status queries.
    var closed: [Int64: SimOrder] = [:]

    public init(apiKey: String, secret: String) {
        self.apiKey = apiKey
        signer = HMACSigner(secret: secret)
    }
}

/// Order entry of the venue: validation with Binance's rules and codes, resting maker orders, cancels and
/// queries. A pure value: the server calls it with parameters and the market, and sends what it returns.
public struct SimExchange: Sendable {
    public private(set) var accounts: [String: SimAccount] = [:]
    private var nextOrderID: Int64 = 1_000_000

    public init(accounts: [SimAccount]) {
        for a in accounts { self.accounts[a.apiKey] = a }
    }

    func signer(for apiKey: String) -> HMACSigner? { accounts[apiKey]?.signer }

    /// `POST /fapi/v1/order`.
    public mutating func newOrder(apiKey: String, _ p: [String: String], market: SimMarket?, nowMillis: Int64) -> Result<SimOrder, VenueError> {
        guard var account = accounts[apiKey] else { return .failure(.apiKeyRejected) }
        guard let symbolText = p["symbol"], !symbolText.isEmpty else { return .failure(.mandatory("symbol")) }
        guard let sideText = p["side"], !sideText.isEmpty else { return .failure(.mandatory("side")) }
        guard let type = p["type"], !type.isEmpty else { return .failure(.mandatory("type")) }
        guard let symbol = Symbol(symbolText), let market, market.symbol == symbol else { return .failure(.badSymbol) }
        let side: Side
        switch sideText {
        case "BUY": side = .buy
        case "SELL": side = .sell
        default: return .failure(.badSide)
        }
        guard ["LIMIT", "MARKET"].contains(type) else { return .failure(.badType) }
        guard let qtyText = p["quantity"], !qtyText.isEmpty else { return .failure(.mandatory("quantity")) }
        guard let quantity = try? Quantity(parsing: qtyText) else { return .failure(.badPrecision) }
        let instrument = market.script.instrument
        guard quantity.raw > 0 else { return .failure(.qtyNotPositive) }
        guard instrument.lots(quantity) != nil else { return .failure(.step) }
        if quantity < instrument.minQuantity { return .failure(.qtyBelowMin) }
        if instrument.maxQuantity.raw > 0 && quantity > instrument.maxQuantity { return .failure(.qtyAboveMax) }
        let reduceOnly = p["reduceOnly"] == "true"
        let clientID = p["newClientOrderId"] ?? "sim_\(nextOrderID)"
        if clientID.utf8.count > 36 { return .failure(.clientIDTooLong) }
        if account.byClientID[clientID] != nil { return .failure(.duplicateClientID) }
        let top = market.book.topOfBook(isSynced: true)

        guard type == "LIMIT" else { return .failure(.unsupported) }
        guard let tif = p["timeInForce"], !tif.isEmpty else { return .failure(.mandatory("timeInForce")) }
        guard ["GTC", "IOC", "FOK", "GTX"].contains(tif) else { return .failure(.badTimeInForce) }
        guard let priceText = p["price"], !priceText.isEmpty else { return .failure(.mandatory("price")) }
        guard let price = try? Price(parsing: priceText), price.raw > 0 else { return .failure(.badPrecision) }
        guard instrument.ticks(price) != nil else { return .failure(.tick) }
        if let mid = top.mid {
            if let up = instrument.percentPriceUp, Int128(price.raw) * Int128(FixedPointScale.unit) > Int128(mid.raw) * Int128(up.raw) {
                return .failure(.priceAboveCap)
            }
            if let down = instrument.percentPriceDown, Int128(price.raw) * Int128(FixedPointScale.unit) < Int128(mid.raw) * Int128(down.raw) {
                return .failure(.priceBelowFloor)
            }
        }
        if !reduceOnly && !instrument.meetsMinNotional(price: price, quantity: quantity) {
            return .failure(.minNotional(instrument.minNotional.description))
        }
        let crosses = side == .buy ? (top.hasAsk && price >= top.askPrice) : (top.hasBid && price <= top.bidPrice)
        if crosses {
            // Post-only is refused as on Binance; taking liquidity is not simulated yet.
            return .failure(tif == "GTX" ? .postOnlyWouldTake : .unsupported)
        }
        if tif == "IOC" || tif == "FOK" {
            // Nothing to take at this price: the order expires at once.
            let order = makeOrder(clientID, symbol, side, tif, price, quantity, reduceOnly, nowMillis, status: "EXPIRED")
            account.closed[order.orderID] = order
            accounts[apiKey] = account
            return .success(order)
        }
        let order = makeOrder(clientID, symbol, side, tif, price, quantity, reduceOnly, nowMillis, status: "NEW")
        account.open[order.orderID] = order
        account.byClientID[clientID] = order.orderID
        accounts[apiKey] = account
        return .success(order)
    }

    private mutating func makeOrder(
        _ clientID: String, _ symbol: Symbol, _ side: Side, _ tif: String, _ price: Price, _ quantity: Quantity,
        _ reduceOnly: Bool, _ now: Int64, status: String
    ) -> SimOrder {
        nextOrderID += 1
        return SimOrder(
            orderID: nextOrderID, clientOrderID: clientID, symbol: symbol, side: side, type: "LIMIT", timeInForce: tif,
            price: price, quantity: quantity, executed: .zero, status: status, reduceOnly: reduceOnly,
            updateTimeMillis: now)
    }

    /// The open order named by `orderId` or `origClientOrderId`.
    private func find(_ account: SimAccount, _ p: [String: String]) -> Result<Int64, VenueError> {
        if let text = p["orderId"], let id = Int64(text) { return .success(id) }
        if let client = p["origClientOrderId"] {
            if let id = account.byClientID[client] { return .success(id) }
            if let closed = account.closed.values.first(where: { $0.clientOrderID == client }) { return .success(closed.orderID) }
            return .failure(.unknownOrder)
        }
        return .failure(VenueError(-1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"))
    }

    /// `DELETE /fapi/v1/order`.
    public mutating func cancel(apiKey: String, _ p: [String: String], nowMillis: Int64) -> Result<SimOrder, VenueError> {
        guard var account = accounts[apiKey] else { return .failure(.apiKeyRejected) }
        guard p["symbol"] != nil else { return .failure(.mandatory("symbol")) }
        let id: Int64
        switch find(account, p) {
        case .success(let v): id = v
        case .failure(let e): return .failure(e == .unknownOrder ? .cancelUnknown : e)
        }
        guard var order = account.open.removeValue(forKey: id) else { return .failure(.cancelUnknown) }
        account.byClientID[order.clientOrderID] = nil
        order.status = "CANCELED"
        order.updateTimeMillis = nowMillis
        account.closed[id] = order
        accounts[apiKey] = account
        return .success(order)
    }

    /// `GET /fapi/v1/order`.
    public func query(apiKey: String, _ p: [String: String]) -> Result<SimOrder, VenueError> {
        guard let account = accounts[apiKey] else { return .failure(.apiKeyRejected) }
        guard p["symbol"] != nil else { return .failure(.mandatory("symbol")) }
        switch find(account, p) {
        case .success(let id):
            if let o = account.open[id] ?? account.closed[id] { return .success(o) }
            return .failure(.unknownOrder)
        case .failure(let e):
            return .failure(e)
        }
    }

    /// `GET /fapi/v1/openOrders`.
    public func openOrders(apiKey: String, symbol: Symbol?) -> [SimOrder] {
        (accounts[apiKey]?.open.values.filter { symbol == nil || $0.symbol == symbol } ?? []).sorted { $0.orderID < $1.orderID }
    }

    /// `DELETE /fapi/v1/allOpenOrders`.
    public mutating func cancelAll(apiKey: String, symbol: Symbol, nowMillis: Int64) -> Int {
        guard var account = accounts[apiKey] else { return 0 }
        var n = 0
        for (id, var order) in account.open where order.symbol == symbol {
            account.open[id] = nil
            account.byClientID[order.clientOrderID] = nil
            order.status = "CANCELED"
            order.updateTimeMillis = nowMillis
            account.closed[id] = order
            n += 1
        }
        accounts[apiKey] = account
        return n
    }
}
