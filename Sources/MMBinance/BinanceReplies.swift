import MMBinanceWire
import MMCore
import MMExecution

/// Binance USDⓈ-M answers in the order manager's venue-neutral terms: error codes onto refusals and unknown
/// outcomes, order JSON onto `VenueOrder`.
enum BinanceReplies {
    /// An error answer (`code`, HTTP status, `Retry-After` in ms) as a reply.
    static func reply(code: Int, httpStatus: Int, retryAfterMillis: Int64) -> VenueReply {
        switch VenueErrorClass.classify(code: code, httpStatus: httpStatus) {
        case .postOnlyReject: return .refused(.postOnlyWouldCross, code: code, retryAfterMillis: 0)
        case .rateLimited: return .refused(.rateLimited, code: code, retryAfterMillis: retryAfterMillis)
        case .clockSkew: return .refused(.clockSkew, code: code, retryAfterMillis: 0)
        case .unknownOrder: return .refused(.unknownOrder, code: code, retryAfterMillis: 0)
        // -1001 and 5xx: the venue may have acted.
        case .retryable: return .unknown
        case .rejected: return .refused(.invalid, code: code, retryAfterMillis: 0)
        }
    }

    /// The same for requests that are not about one order.
    static func outcome(code: Int, httpStatus: Int, retryAfterMillis: Int64) -> RequestOutcome {
        switch reply(code: code, httpStatus: httpStatus, retryAfterMillis: retryAfterMillis) {
        case .refused(let r, let c, let w): return .refused(r, code: c, retryAfterMillis: w)
        default: return .unknown
        }
    }

    /// An order as Binance returns it (REST and WebSocket API `result`, `openOrders` entries).
    static func venueOrder(_ o: JSONValue) -> VenueOrder? {
        guard let text = o["clientOrderId"]?.text, let id = ClientOrderID(text), let sideText = o["side"]?.text,
            let statusText = o["status"]?.text, let status = OrderStatus(rawValue: statusText)
        else { return nil }
        let side: Side = sideText == "BUY" ? .buy : .sell
        let price = o["price"]?.text.flatMap { Price($0) } ?? .zero
        let quantity = o["origQty"]?.text.flatMap { Quantity($0) } ?? .zero
        let executed = o["executedQty"]?.text.flatMap { Quantity($0) } ?? .zero
        return VenueOrder(
            clientOrderID: id, venueOrderID: VenueOrderID(o["orderId"]?.int64 ?? 0), side: side, price: price, quantity: quantity, executed: executed,
            status: status, reduceOnly: o["reduceOnly"] == .bool(true))
    }

    /// `Retry-After` of an answer, in milliseconds (0: none).
    static func retryAfterMillis(_ headerValue: String?) -> Int64 {
        guard let s = headerValue.flatMap({ Int64($0) }), s > 0 else { return 0 }
        return min(s, 86_400) * 1000
    }
}
