import Foundation
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
    /// Displayed size ahead of this order at its price (queue-position fill model).
    public var queueAhead = Quantity.zero
    /// Σ fill price × fill quantity.
    public var cumQuote = Notional.zero

    /// Average fill price, or zero before any fill.
    public var averagePrice: Price {
        guard executed.raw > 0 else { return .zero }
        return Price(raw: Int64(Int128(cumQuote.raw) * Int128(FixedPointScale.unit) / Int128(executed.raw)))
    }

    public var remaining: Quantity { quantity - executed }
}

/// What an account's user data stream reports.
public enum UserEvent: Sendable, Equatable {
    /// `ORDER_TRADE_UPDATE` with execution type NEW, TRADE, CANCELED or EXPIRED.
    case order(SimOrder, execution: String, fill: SimFill?)
    /// `ACCOUNT_UPDATE` for the wallet and one symbol's position; `balanceChange` is what moved the wallet
    /// other than by trading (funding).
    case account(symbol: Symbol, reason: String, balanceChange: Notional = .zero)
    /// `ACCOUNT_CONFIG_UPDATE`: a symbol's leverage, or the multi-assets mode, changed.
    case accountConfig(symbol: Symbol?, leverage: Int64?, multiAssets: Bool?)
}

/// One execution against an account's order.
public struct SimFill: Sendable, Equatable {
    public var orderID: Int64
    public var tradeID: Int64
    public var symbol: Symbol
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    public var maker: Bool
    public var fee: Notional
    public var realized: Notional
    /// When it happened (the venue's clock, milliseconds).
    public var timeMillis: Int64 = 0
}

/// The asset a symbol's margin, PnL, fees and funding settle in: its quote, USDT or USDC.
public func marginAsset(of symbol: Symbol) -> String {
    symbol.description.hasSuffix("USDC") ? "USDC" : "USDT"
}

/// A trading account: its keys, orders, positions and a wallet per margin asset (USDT and USDC).
public struct SimAccount: Sendable {
    public let apiKey: String
    let signer: SignatureVerifier
    var open: [Int64: SimOrder] = [:]
    var byClientID: [String: Int64] = [:]
    /// Recently closed orders, for status queries.
    var closed: [Int64: SimOrder] = [:]
    /// Wallet balance per asset: deposits + realized PnL − fees ± funding.
    public internal(set) var wallets: [String: Notional]
    /// The USDT wallet.
    public var wallet: Notional { wallet("USDT") }
    /// The wallet of `asset` (zero when the account has none).
    public func wallet(_ asset: String) -> Notional { wallets[asset] ?? .zero }
    public internal(set) var positions: [Symbol: SimPosition] = [:]
    public internal(set) var feesPaid = Notional.zero
    public internal(set) var fills: [SimFill] = []
    /// Funding paid (negative) or received, per settlement.
    public internal(set) var fundingPayments: [(symbol: Symbol, amount: Notional, timeMillis: Int64)] = []
    /// Leverage for margin checks (Binance's default is 20), and per symbol once set.
    public var leverage: Int64 = 20
    public internal(set) var leverages: [Symbol: Int64] = [:]
    /// `CROSSED` unless set to `ISOLATED`, per symbol.
    public internal(set) var marginTypes: [Symbol: String] = [:]
    /// Account modes: hedge (dual-side) positions, multi-assets margin, fees paid in BNB.
    public var dualSidePosition = false
    public var multiAssetsMargin = false
    public var feeBurn = false

    /// The leverage of `symbol`.
    public func leverage(_ symbol: Symbol) -> Int64 { leverages[symbol] ?? leverage }

    /// An account with `wallet` in each of USDT and USDC.
    public init(apiKey: String, secret: String, wallet: Notional = Notional(units: 10_000)) {
        self.apiKey = apiKey
        signer = SignatureVerifier(secret: secret)
        wallets = ["USDT": wallet, "USDC": wallet]
    }

    public func position(_ symbol: Symbol) -> SimPosition { positions[symbol] ?? SimPosition() }
}

/// Order entry of the venue: validation with Binance's rules and codes, resting maker orders, cancels and
/// queries. A pure value: the server calls it with parameters and the market, and sends what it returns.
public struct SimExchange: Sendable {
    public private(set) var accounts: [String: SimAccount] = [:]
    /// User-stream events not yet delivered, with the API key they belong to.
    public internal(set) var events: [(apiKey: String, event: UserEvent)] = []
    private var nextTradeID: Int64 = 500_000_000
    private var nextOrderID: Int64 = 1_000_000
    /// Binance's default USDⓈ-M fee rates: 0.02% maker, 0.05% taker.
    public var makerFee = Ratio(raw: 20_000)
    public var takerFee = Ratio(raw: 50_000)
    /// What the venue saw, when auditing is on (`nil`: off).
    public internal(set) var audit: [SimAuditEntry]?

    /// Appends to the audit log when auditing is on.
    mutating func record(_ entry: @autoclosure () -> SimAuditEntry) {
        if audit != nil { audit!.append(entry()) }
    }

    private mutating func recordOutcome(_ result: Result<SimOrder, VenueError>, apiKey: String, _ p: [String: String], modify: Bool) {
        guard audit != nil else { return }
        let now = MonotonicInstant.now().nanos
        switch result {
        case .success(let o):
            record(.order(apiKey: apiKey, clientOrderID: o.clientOrderID, symbol: o.symbol, side: o.side, reduceOnly: o.reduceOnly, modify: modify, nanos: now))
        case .failure(let e):
            record(.rejected(apiKey: apiKey, clientOrderID: p["newClientOrderId"] ?? p["origClientOrderId"] ?? "", code: e.code, nanos: now))
        }
    }

    public init(accounts: [SimAccount]) {
        for a in accounts { self.accounts[a.apiKey] = a }
    }

    func signer(for apiKey: String) -> SignatureVerifier? { accounts[apiKey]?.signer }

    /// `POST /fapi/v1/order`.
    public mutating func newOrder(apiKey: String, _ p: [String: String], market: SimMarket?, nowMillis: Int64) -> Result<SimOrder, VenueError> {
        let result = place(apiKey: apiKey, p, market: market, nowMillis: nowMillis)
        recordOutcome(result, apiKey: apiKey, p, modify: false)
        return result
    }

    private mutating func place(apiKey: String, _ p: [String: String], market: SimMarket?, nowMillis: Int64) -> Result<SimOrder, VenueError> {
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
        // The account's position mode decides the position sides an order may name.
        let positionSide = p["positionSide"] ?? "BOTH"
        if account.dualSidePosition ? !["LONG", "SHORT"].contains(positionSide) : positionSide != "BOTH" {
            return .failure(VenueError(-4061, "Order's position side does not match user's setting."))
        }
        let reduceOnly = p["reduceOnly"] == "true"
        let clientID = p["newClientOrderId"] ?? "sim_\(nextOrderID)"
        if clientID.utf8.count > 36 { return .failure(.clientIDTooLong) }
        // Binance's rule, ^[.A-Z:/a-z0-9_-]{1,36}$: IDs are echoed into JSON and must need no escaping.
        if clientID.isEmpty || !clientID.unicodeScalars.allSatisfy({
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || ".:/_-".unicodeScalars.contains($0)
        }) {
            return .failure(.clientIDInvalid)
        }
        if account.byClientID[clientID] != nil { return .failure(.duplicateClientID) }
        let top = market.book.topOfBook(isSynced: true)
        guard top.hasBid && top.hasAsk else { return .failure(VenueError(-1013, "INVALID_MESSAGE.")) }

        let position = account.position(symbol)
        if reduceOnly {
            // Must shrink an open position on the other side.
            let reduces = side == .buy ? position.quantity.raw < 0 : position.quantity.raw > 0
            if !reduces || quantity.raw > position.quantity.raw.magnitude { return .failure(.reduceOnlyRejected) }
        }
        var price = Price.zero
        var tif = "GTC"
        if type == "LIMIT" {
            guard let t = p["timeInForce"], !t.isEmpty else { return .failure(.mandatory("timeInForce")) }
            guard ["GTC", "IOC", "FOK", "GTX"].contains(t) else { return .failure(.badTimeInForce) }
            tif = t
            guard let priceText = p["price"], !priceText.isEmpty else { return .failure(.mandatory("price")) }
            guard let parsed = try? Price(parsing: priceText), parsed.raw > 0 else { return .failure(.badPrecision) }
            guard instrument.ticks(parsed) != nil else { return .failure(.tick) }
            price = parsed
            if let mid = top.mid {
                if let up = instrument.percentPriceUp, Int128(price.raw) * Int128(FixedPointScale.unit) > Int128(mid.raw) * Int128(up.raw) {
                    return .failure(.priceAboveCap)
                }
                if let down = instrument.percentPriceDown, Int128(price.raw) * Int128(FixedPointScale.unit) < Int128(mid.raw) * Int128(down.raw) {
                    return .failure(.priceBelowFloor)
                }
            }
        } else if p["price"] != nil {
            return .failure(VenueError(-1106, "Parameter 'price' sent when not required."))
        }
        let reference = type == "LIMIT" ? price : (side == .buy ? top.askPrice : top.bidPrice)
        if !reduceOnly && !instrument.meetsMinNotional(price: reference, quantity: quantity) {
            return .failure(.minNotional(instrument.minNotional.description))
        }
        if !reduceOnly, let mark = top.mid {
            // Cross margin: what is left after positions and open orders must cover the new order.
            // Per margin asset: the wallet of this symbol's quote backs the positions and orders in it.
            let asset = marginAsset(of: symbol)
            var committed = Int128(0)
            for (s, pos) in account.positions where marginAsset(of: s) == asset {
                committed += Int128(pos.notional(at: s == symbol ? mark : pos.entryPrice).raw)
            }
            for o in account.open.values where marginAsset(of: o.symbol) == asset {
                committed += Int128(Notional(price: o.price, quantity: o.remaining)?.raw ?? 0)
            }
            var equity = Int128(account.wallet(asset).raw)
            for (s, pos) in account.positions where s == symbol { equity += Int128(pos.unrealized(at: mark).raw) }
            let needed = (committed + Int128(Notional(price: reference, quantity: quantity)?.raw ?? .max)) / Int128(account.leverage(symbol))
            if equity < needed { return .failure(.marginInsufficient) }
        }
        let crosses = type == "MARKET"
            || (side == .buy ? (top.hasAsk && price >= top.askPrice) : (top.hasBid && price <= top.bidPrice))
        if crosses && tif == "GTX" { return .failure(.postOnlyWouldTake) }
        var order = makeOrder(clientID, symbol, side, tif, price, quantity, reduceOnly, nowMillis, status: "NEW", type: type)
        events.append((apiKey, .order(order, execution: "NEW", fill: nil)))
        if crosses {
            // Take the displayed liquidity up to the limit; the replayed book itself is not changed.
            let takeSide: BookSide = side == .buy ? .ask : .bid
            var levels: [(Price, Quantity)] = []
            var available = Quantity.zero
            var i = 0
            while available < quantity, let l = market.book.level(takeSide, i) {
                let lp = instrument.bookGrid.price(l.ticks)
                if type == "LIMIT" && (side == .buy ? lp > price : lp < price) { break }
                let lq = instrument.bookGrid.quantity(l.lots)
                levels.append((lp, lq))
                available += lq
                i += 1
            }
            if tif == "FOK" && available < quantity {
                order.status = "EXPIRED"
            } else {
                for (lp, lq) in levels where order.remaining.raw > 0 {
                    fill(apiKey, &account, &order, quantity: min(lq, order.remaining), price: lp, maker: false, nowMillis: nowMillis)
                }
                if order.remaining.raw > 0 && (tif == "IOC" || type == "MARKET") { order.status = "EXPIRED" }
            }
        } else if tif == "IOC" || tif == "FOK" {
            // Nothing to take at this price: the order expires at once.
            order.status = "EXPIRED"
        }
        if order.status == "EXPIRED" { events.append((apiKey, .order(order, execution: "EXPIRED", fill: nil))) }
        if order.remaining.raw > 0 && (order.status == "NEW" || order.status == "PARTIALLY_FILLED") {
            // Rests behind what is displayed at its price.
            let bookSide: BookSide = side == .buy ? .bid : .ask
            if let t = instrument.bookGrid.ticks(price) {
                order.queueAhead = instrument.bookGrid.quantity(market.book.lots(bookSide, at: t))
            }
            account.open[order.orderID] = order
            account.byClientID[clientID] = order.orderID
        } else {
            account.closed[order.orderID] = order
        }
        accounts[apiKey] = account
        return .success(order)
    }

    /// Records one execution: order progress, position, wallet and fee.
    private mutating func fill(
        _ apiKey: String, _ account: inout SimAccount, _ order: inout SimOrder, quantity: Quantity, price: Price, maker: Bool,
        nowMillis: Int64
    ) {
        guard quantity.raw > 0 else { return }
        let notional = Notional(price: price, quantity: quantity) ?? .zero
        let rate = maker ? makerFee : takerFee
        let fee = Notional(raw: Int64(Int128(notional.raw) * Int128(rate.raw) / Int128(FixedPointScale.unit)))
        var position = account.position(order.symbol)
        let realized = position.apply(side: order.side, quantity: quantity, price: price)
        position.updateTimeMillis = nowMillis
        account.positions[order.symbol] = position
        account.wallets[marginAsset(of: order.symbol), default: .zero] += realized - fee
        account.feesPaid += fee
        order.executed += quantity
        order.cumQuote += notional
        order.status = order.remaining.raw == 0 ? "FILLED" : "PARTIALLY_FILLED"
        order.updateTimeMillis = nowMillis
        nextTradeID += 1
        let f = SimFill(
            orderID: order.orderID, tradeID: nextTradeID, symbol: order.symbol, side: order.side, price: price,
            quantity: quantity, maker: maker, fee: fee, realized: realized, timeMillis: nowMillis)
        account.fills.append(f)
        record(.fill(apiKey: apiKey, symbol: order.symbol, position: position.quantity, nanos: MonotonicInstant.now().nanos))
        events.append((apiKey, .order(order, execution: "TRADE", fill: f)))
        events.append((apiKey, .account(symbol: order.symbol, reason: "ORDER")))
    }

    /// Fills resting orders from a public trade: a trade through an order's price fills it; a trade at its
    /// price first consumes the displayed size queued ahead of it.
    public mutating func onTrade(_ trade: Trade, nowMillis: Int64) {
        for key in accounts.keys {
            var account = accounts[key]!
            var changed = false
            for id in account.open.keys.sorted() {
                guard var order = account.open[id], order.symbol == trade.symbol else { continue }
                // A resting bid fills from sellers (aggressor sold), a resting ask from buyers.
                guard (order.side == .buy) == trade.buyerIsMaker else { continue }
                let through = order.side == .buy ? trade.price < order.price : trade.price > order.price
                var qty = Quantity.zero
                if through {
                    qty = order.remaining
                } else if trade.price == order.price {
                    let left = trade.quantity - order.queueAhead
                    order.queueAhead = left.raw >= 0 ? .zero : order.queueAhead - trade.quantity
                    if left.raw > 0 { qty = min(left, order.remaining) }
                }
                guard qty.raw > 0 || trade.price == order.price else { continue }
                fill(key, &account, &order, quantity: qty, price: order.price, maker: true, nowMillis: nowMillis)
                if order.remaining.raw == 0 {
                    account.open[id] = nil
                    account.byClientID[order.clientOrderID] = nil
                    account.closed[id] = order
                } else {
                    account.open[id] = order
                }
                changed = true
            }
            if changed { accounts[key] = account }
        }
    }

    /// After a diff: the size queued ahead of an order cannot exceed what is displayed at its price.
    public mutating func onDepth(_ market: SimMarket) {
        let symbol = market.symbol
        let grid = market.script.instrument.bookGrid
        for key in accounts.keys {
            var account = accounts[key]!
            var changed = false
            for (id, var order) in account.open where order.symbol == symbol && order.queueAhead.raw > 0 {
                guard let t = grid.ticks(order.price) else { continue }
                let shown = grid.quantity(market.book.lots(order.side == .buy ? .bid : .ask, at: t))
                if shown < order.queueAhead {
                    order.queueAhead = shown
                    account.open[id] = order
                    changed = true
                }
            }
            if changed { accounts[key] = account }
        }
    }

    private mutating func makeOrder(
        _ clientID: String, _ symbol: Symbol, _ side: Side, _ tif: String, _ price: Price, _ quantity: Quantity,
        _ reduceOnly: Bool, _ now: Int64, status: String, type: String
    ) -> SimOrder {
        nextOrderID += 1
        return SimOrder(
            orderID: nextOrderID, clientOrderID: clientID, symbol: symbol, side: side, type: type, timeInForce: tif,
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
        events.append((apiKey, .order(order, execution: "CANCELED", fill: nil)))
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

    /// `PUT /fapi/v1/order` and `order.modify`: new price and quantity for a resting LIMIT order. The order
    /// keeps its ID and goes to the back of the queue at its new price.
    public mutating func modify(apiKey: String, _ p: [String: String], market: SimMarket?, nowMillis: Int64) -> Result<SimOrder, VenueError> {
        let result = amend(apiKey: apiKey, p, market: market, nowMillis: nowMillis)
        recordOutcome(result, apiKey: apiKey, p, modify: true)
        return result
    }

    private mutating func amend(apiKey: String, _ p: [String: String], market: SimMarket?, nowMillis: Int64) -> Result<SimOrder, VenueError> {
        guard var account = accounts[apiKey] else { return .failure(.apiKeyRejected) }
        for name in ["symbol", "side", "quantity", "price"] where (p[name] ?? "").isEmpty { return .failure(.mandatory(name)) }
        guard let market, let symbol = Symbol(p["symbol"]!), market.symbol == symbol else { return .failure(.badSymbol) }
        let id: Int64
        switch find(account, p) {
        case .success(let v): id = v
        case .failure(let e): return .failure(e)
        }
        guard var order = account.open[id] else { return .failure(.unknownOrder) }
        guard p["side"] == order.side.description else { return .failure(VenueError.badSide) }
        let instrument = market.script.instrument
        guard let price = try? Price(parsing: p["price"]!), let quantity = try? Quantity(parsing: p["quantity"]!) else {
            return .failure(.badPrecision)
        }
        guard instrument.ticks(price) != nil else { return .failure(.tick) }
        guard instrument.lots(quantity) != nil else { return .failure(.step) }
        if price == order.price && quantity == order.quantity { return .failure(VenueError(-5027, "No need to modify the order.")) }
        guard quantity > order.executed else { return .failure(VenueError.unsupported) }
        if !order.reduceOnly && !instrument.meetsMinNotional(price: price, quantity: quantity) {
            return .failure(.minNotional(instrument.minNotional.description))
        }
        let top = market.book.topOfBook(isSynced: true)
        let crosses = order.side == .buy ? (top.hasAsk && price >= top.askPrice) : (top.hasBid && price <= top.bidPrice)
        if crosses { return .failure(order.timeInForce == "GTX" ? .postOnlyWouldTake : .unsupported) }
        order.price = price
        order.quantity = quantity
        order.updateTimeMillis = nowMillis
        if let t = instrument.bookGrid.ticks(price) {
            order.queueAhead = instrument.bookGrid.quantity(market.book.lots(order.side == .buy ? .bid : .ask, at: t))
        }
        account.open[id] = order
        accounts[apiKey] = account
        events.append((apiKey, .order(order, execution: "AMENDMENT", fill: nil)))
        return .success(order)
    }

    /// Takes the undelivered user-stream events.
    public mutating func drainEvents() -> [(apiKey: String, event: UserEvent)] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
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
            events.append((apiKey, .order(order, execution: "CANCELED", fill: nil)))
            n += 1
        }
        accounts[apiKey] = account
        return n
    }
}

/// How an account's requests are verified: HMAC-SHA256 with its secret, or Ed25519 with the public key the
/// account registered (given as PEM in place of a secret).
enum SignatureVerifier: Sendable {
    case hmac(HMACSigner)
    case ed25519(publicKey: [UInt8])

    init(secret: String) {
        if secret.contains("PUBLIC KEY"), let key = Ed25519Signer.publicKey(fromPEM: secret) {
            self = .ed25519(publicKey: key)
        } else {
            self = .hmac(HMACSigner(secret: secret))
        }
    }

    /// Checks a signature as sent (REST signatures of Ed25519 keys arrive percent-encoded).
    func isValid(signature: String, for payload: [UInt8]) -> Bool {
        switch self {
        case .hmac(let s): return s.isValid(signature: signature, for: payload)
        case .ed25519(let key):
            let decoded = signature.removingPercentEncoding ?? signature
            return Ed25519Signer.isValid(signature: decoded, for: payload, publicKey: key)
        }
    }
}

extension SimExchange {
    /// Funding at `mark` and `rate`: every position of `symbol` pays (long with a positive rate) or receives
    /// `position × mark × rate`, reported as an `ACCOUNT_UPDATE` with reason `FUNDING_FEE`.
    public mutating func settleFunding(symbol: Symbol, rate: Ratio, mark: Price, nowMillis: Int64) {
        for key in accounts.keys.sorted() {
            let position = accounts[key]!.position(symbol)
            guard position.quantity.raw != 0, let notional = Notional(price: mark, quantity: position.quantity) else { continue }
            let payment = Notional(raw: -Int64(Int128(notional.raw) * Int128(rate.raw) / Int128(FixedPointScale.unit)))
            accounts[key]!.wallets[marginAsset(of: symbol), default: .zero] += payment
            accounts[key]!.fundingPayments.append((symbol, payment, nowMillis))
            events.append((key, .account(symbol: symbol, reason: "FUNDING_FEE", balanceChange: payment)))
        }
    }

    /// `POST /fapi/v1/leverage`: 1 to 125.
    public mutating func setLeverage(apiKey: String, symbol: Symbol, _ leverage: Int64) -> Result<Int64, VenueError> {
        guard (1...125).contains(leverage) else { return .failure(VenueError(-4028, "Leverage `\(leverage)` is not valid")) }
        accounts[apiKey]?.leverages[symbol] = leverage
        events.append((apiKey, .accountConfig(symbol: symbol, leverage: leverage, multiAssets: nil)))
        return .success(leverage)
    }

    /// `POST /fapi/v1/marginType`: `ISOLATED` or `CROSSED`; the same again is `-4046`.
    public mutating func setMarginType(apiKey: String, symbol: Symbol, _ type: String) -> VenueError? {
        guard ["ISOLATED", "CROSSED"].contains(type) else { return VenueError.invalidParameter("marginType") }
        guard let account = accounts[apiKey] else { return .apiKeyRejected }
        if (account.marginTypes[symbol] ?? "CROSSED") == type { return VenueError(-4046, "No need to change margin type.") }
        if account.position(symbol).quantity.raw != 0 { return VenueError(-4048, "Margin type cannot be changed if there exists position.") }
        if account.open.values.contains(where: { $0.symbol == symbol }) {
            return VenueError(-4047, "Margin type cannot be changed if there exists open orders.")
        }
        accounts[apiKey]!.marginTypes[symbol] = type
        return nil
    }

    /// `POST /fapi/v1/positionSide/dual`: hedge mode on or off; the same again is `-4059`; not with open
    /// positions or orders (`-4068`).
    public mutating func setDualSidePosition(apiKey: String, _ on: Bool) -> VenueError? {
        guard let account = accounts[apiKey] else { return .apiKeyRejected }
        if account.dualSidePosition == on { return VenueError(-4059, "No need to change position side.") }
        if !account.open.isEmpty || account.positions.values.contains(where: { $0.quantity.raw != 0 }) {
            return VenueError(-4068, "Position side cannot be changed if there exists position.")
        }
        accounts[apiKey]!.dualSidePosition = on
        return nil
    }

    /// `POST /fapi/v1/multiAssetsMargin` and `POST /fapi/v1/feeBurn`.
    public mutating func setAccountFlag(apiKey: String, multiAssetsMargin: Bool? = nil, feeBurn: Bool? = nil) {
        if let m = multiAssetsMargin {
            accounts[apiKey]?.multiAssetsMargin = m
            events.append((apiKey, .accountConfig(symbol: nil, leverage: nil, multiAssets: m)))
        }
        if let f = feeBurn { accounts[apiKey]?.feeBurn = f }
    }
}
