import MMNet
import MMBinanceWire
import MMCore
import MMVenue

/// An order's state as the venue reports it.
public struct OrderState: Sendable, Equatable {
    public var ref: VenueOrderRef
    public var status: VenueOrderStatus
    public var executed: Quantity
    /// Executed quote value over executed quantity; nil before any fill.
    public var averagePrice: Price?
    /// The order as placed (empty or zero when the answer did not say).
    public var clientOrderID = ""
    public var side: Side?
    public var price = Price.zero
    public var quantity = Quantity.zero

    public init(ref: VenueOrderRef, status: VenueOrderStatus, executed: Quantity, averagePrice: Price?) {
        self.ref = ref
        self.status = status
        self.executed = executed
        self.averagePrice = averagePrice
    }
}

/// One order as the operator tools show it, in the venue's own words.
public struct OrderView: Sendable, Equatable {
    public var ref: VenueOrderRef
    public var clientOrderID: String
    public var side: String
    public var price: String
    public var quantity: String
    public var executed: String
    public var status: VenueOrderStatus
}

/// What the operator tools need of any venue: its markets, balances, and limit orders by client ID.
public protocol TradingClient: Sendable {
    var venue: VenueID { get }
    /// The venue's markets of the client's kind, and those left out with the reason.
    func markets() async throws(VenueFailure) -> (markets: [MarketSpec], skipped: [MarketSpec.Skip])
    /// Free and locked balances per asset.
    func balances() async throws(VenueFailure) -> [String: AssetBalance]
    /// A good-till-cancelled limit order with the client's ID; the venue's reference to it.
    func placeLimit(symbol: String, side: Side, price: Price, quantity: Quantity, clientOrderID: String) async throws(VenueFailure) -> VenueOrderRef
    /// An order by the client's ID.
    func order(symbol: String, clientOrderID: String) async throws(VenueFailure) -> OrderState
    /// The open orders of `symbol`.
    func openOrders(symbol: String) async throws(VenueFailure) -> [OrderView]
    /// Cancels an order by its reference.
    func cancel(symbol: String, _ ref: VenueOrderRef) async throws(VenueFailure)
}

/// Signed REST calls in the Binance style every supported venue shares: the API key in a header,
/// `timestamp` and `recvWindow` in the query, the signature appended as `signature`; a refusal or an
/// unreadable answer becomes a `VenueFailure` with its kind.
struct SignedREST: Sendable {
    let venue: VenueID
    let endpoint: Endpoint
    let apiKey: String
    let keyHeader: String
    let recvWindowMillis: Int
    let sign: @Sendable (String) -> String

    func request(_ method: String, _ path: String, _ query: String = "", signed: Bool = false) async throws(VenueFailure) -> JSONValue {
        var q = query
        if signed {
            q += (q.isEmpty ? "" : "&") + "timestamp=\(UnixNanos.now().millis)&recvWindow=\(recvWindowMillis)"
            q += "&signature=" + sign(q)
        }
        let reply: HTTPReply
        do {
            reply = try await VenueREST.send(method, endpoint, path: path + (q.isEmpty ? "" : "?" + q), headers: signed ? [(keyHeader, apiKey)] : [])
        } catch {
            throw VenueFailure(venue: venue, httpStatus: 0, code: nil, message: "\(error)")
        }
        let doc = try? JSONValue.parse(reply.body)
        guard reply.status == 200, let doc else {
            let retry = reply.headers.first(name: "Retry-After").flatMap { Int64($0) }
            throw VenueFailure(
                venue: venue, httpStatus: reply.status, code: doc?["code"]?.int64.map(Int.init),
                message: doc?["msg"]?.text ?? String(decoding: reply.body.prefix(200), as: UTF8.self), retryAfterSeconds: retry)
        }
        return doc
    }
}

/// Parsing shared by the clients.
enum Parse {
    static func price(_ v: JSONValue?) -> Price? { v?.text.flatMap { try? Price(parsing: $0) } }
    static func quantity(_ v: JSONValue?) -> Quantity? { v?.text.flatMap { try? Quantity(parsing: $0) } }
    static func notional(_ v: JSONValue?) -> Notional? { v?.text.flatMap { try? Notional(parsing: $0) } }

    /// Quote value over quantity, when both are positive.
    static func average(quote: Notional?, executed: Quantity) -> Price? {
        guard executed.raw > 0, let quote, quote.raw > 0 else { return nil }
        return Price(raw: Int64(Int128(quote.raw) * Int128(FixedPointScale.unit) / Int128(executed.raw)))
    }

    /// An order answer in Binance's field names (MEXC's are the same).
    static func orderState(_ o: JSONValue, venue: VenueID) throws(VenueFailure) -> OrderState {
        guard let id = o["orderId"]?.text, let ref = VenueOrderRef(id), let text = o["status"]?.text, let status = VenueOrderStatus(venue: venue, text),
            let executed = quantity(o["executedQty"])
        else {
            throw VenueFailure(venue: venue, httpStatus: 200, code: nil, message: "an order answer the model cannot read")
        }
        let average = price(o["avgPrice"]).flatMap { $0.raw > 0 ? $0 : nil } ?? Self.average(quote: notional(o["cummulativeQuoteQty"] ?? o["cumQuote"]), executed: executed)
        var state = OrderState(ref: ref, status: status, executed: executed, averagePrice: average)
        state.clientOrderID = o["clientOrderId"]?.text ?? ""
        state.side = o["side"]?.text == "BUY" ? .buy : o["side"]?.text == "SELL" ? .sell : nil
        state.price = price(o["price"]) ?? .zero
        state.quantity = quantity(o["origQty"]) ?? .zero
        return state
    }

    /// Open orders in Binance's field names.
    static func orderViews(_ list: JSONValue, venue: VenueID) -> [OrderView] {
        (list.arrayValue ?? []).compactMap { o in
            guard let id = o["orderId"]?.text, let ref = VenueOrderRef(id), let text = o["status"]?.text, let status = VenueOrderStatus(venue: venue, text) else {
                return nil
            }
            return OrderView(
                ref: ref, clientOrderID: o["clientOrderId"]?.text ?? "", side: o["side"]?.text ?? "", price: o["price"]?.text ?? "",
                quantity: o["origQty"]?.text ?? "", executed: o["executedQty"]?.text ?? "", status: status)
        }
    }
}
