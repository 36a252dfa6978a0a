/// How the engine reacts to a venue error (Binance USDⓈ-M codes).
public enum VenueErrorClass: String, Sendable, Equatable {
    /// Post-only order would have crossed (-5022): a normal outcome; requote next tick.
    case postOnlyReject
    /// Too many requests or orders (429, 418, -1003, -1015): stop sending until the window passes.
    case rateLimited
    /// Timestamp outside the receive window (-1021): resynchronise the clock offset, then retry.
    case clockSkew
    /// The order is unknown (-2011, -2013): already filled, cancelled or never placed.
    case unknownOrder
    /// The venue could not answer (5xx, -1001, -1006, -1007): the outcome is unknown; reconcile, may retry.
    case retryable
    /// Refused for good (filters, margin, bad parameters): do not retry the same request.
    case rejected

    public static func classify(code: Int, httpStatus: Int) -> VenueErrorClass {
        switch code {
        case -5022: return .postOnlyReject
        case -1003, -1015: return .rateLimited
        case -1021: return .clockSkew
        case -2011, -2013: return .unknownOrder
        case -1001, -1006, -1007, -1008: return .retryable
        default:
            if httpStatus == 429 || httpStatus == 418 { return .rateLimited }
            if httpStatus >= 500 { return .retryable }
            return .rejected
        }
    }

    /// Whether sending the same request again may succeed.
    public var isRetryable: Bool { self == .rateLimited || self == .clockSkew || self == .retryable }
}
