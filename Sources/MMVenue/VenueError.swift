/// What went wrong with a request, in the terms the retry policy and the operator act on.
public enum VenueErrorKind: Sendable, Equatable {
    /// The request never reached the venue (connection refused, reset before sending, DNS).
    case network
    /// The request was sent and its outcome is unknown (a timeout, a 5xx, an "execution status unknown").
    case unknownOutcome
    /// Refused for the request rate; wait this long (milliseconds) if the venue said.
    case rateLimited(retryAfterMillis: Int64?)
    /// The request's timestamp is outside the venue's window: resynchronize the clock.
    case clockSkew
    /// Key, signature, IP or permission refused.
    case auth
    case insufficientFunds
    case invalidOrder
    case belowMinNotional
    case unknownOrder
    /// The venue or the market is down or suspended.
    case unavailable
    case other
}

/// A venue's refusal or a transport failure, with what the venue said.
public struct VenueFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var venue: VenueID
    public var kind: VenueErrorKind
    /// HTTP status (0 when there was no answer).
    public var httpStatus: Int
    /// The venue's error code, when it sent one.
    public var code: Int?
    public var message: String

    public init(venue: VenueID, httpStatus: Int, code: Int?, message: String, retryAfterSeconds: Int64? = nil) {
        self.venue = venue
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
        kind = VenueErrorKind.classify(venue: venue, httpStatus: httpStatus, code: code, message: message, retryAfterSeconds: retryAfterSeconds)
    }

    public var description: String { "\(venue.rawValue) \(httpStatus) \(code.map(String.init) ?? "-"): \(message)" }
}

extension VenueErrorKind {
    /// Classifies an answer by the venue's documented codes, then by HTTP status.
    public static func classify(venue: VenueID, httpStatus: Int, code: Int?, message: String, retryAfterSeconds: Int64?) -> VenueErrorKind {
        let retryAfter = retryAfterSeconds.map { $0 * 1000 }
        if httpStatus == 429 || httpStatus == 418 { return .rateLimited(retryAfterMillis: retryAfter) }
        if let code, let kind = byCode(venue, code, message.lowercased(), retryAfter) { return kind }
        switch httpStatus {
        case 0: return .network
        case 401, 403: return .auth
        case 500...599: return .unknownOutcome
        default: return .other
        }
    }

    private static func byCode(_ venue: VenueID, _ code: Int, _ message: String, _ retryAfter: Int64?) -> VenueErrorKind? {
        switch venue {
        case .binanceUSDM, .binanceSpot:
            switch code {
            case -1003, -1015: return .rateLimited(retryAfterMillis: retryAfter)
            case -1021: return .clockSkew
            case -1002, -1022, -2014, -2015: return .auth
            case -2019, -2018: return .insufficientFunds
            case -4164: return .belowMinNotional
            case -2011, -2013: return .unknownOrder
            // "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
            case -1006, -1007: return .unknownOutcome
            case -1001, -1008: return .unavailable
            case -2010 where message.contains("insufficient balance"): return .insufficientFunds
            case -1013 where message.contains("notional"): return .belowMinNotional
            // Filter failures, parameter errors (-11xx), order rules (-4xxx), rejected orders.
            case -1013, -2010, -2021, -2022, -5021, -5022, -4999 ... -4000, -1199 ... -1100:
                return .invalidOrder
            default: return nil
            }
        case .mexc:
            switch code {
            case 429: return .rateLimited(retryAfterMillis: retryAfter)
            case 700003, 10073: return .clockSkew
            case 400 where message.contains("api key"): return .auth
            case 401, 403, 602, 10072, 700001, 700002, 700006, 700007, 70011: return .auth
            case 10101, 30004, 30005: return .insufficientFunds
            case 30002: return .belowMinNotional
            case -2011, -2013, 22222: return .unknownOrder
            case 30000, 30016, 30018, 30019, 30041: return .unavailable
            case 500, 503, 504: return .unknownOutcome
            case 10007, 10095, 10096, 10097, 10102, 30003, 30014, 30021, 30029, 33333, 44444, 700004, 700005, 700008: return .invalidOrder
            default: return nil
            }
        case .bybit, .okx:
            // Their codes are mapped with their clients; until then only the HTTP status speaks.
            return nil
        }
    }
}
