import NIOHTTP1

/// A Binance error reply: HTTP status plus `{"code":…,"msg":…}`.
public struct VenueError: Error, Equatable, Sendable {
    public var status: HTTPResponseStatus
    public var code: Int
    public var message: String

    public init(_ status: HTTPResponseStatus, _ code: Int, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// A 400 Bad Request error.
    public init(_ code: Int, _ message: String) {
        self.init(.badRequest, code, message)
    }

    static func mandatory(_ name: String) -> VenueError {
        VenueError(-1102, "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.")
    }
    static let badSymbol = VenueError(-1121, "Invalid symbol.")
    static let badSide = VenueError(-1117, "Invalid side.")
    static let badType = VenueError(-1116, "Invalid orderType.")
    static let badTimeInForce = VenueError(-1115, "Invalid timeInForce.")
    static let badPrecision = VenueError(-1111, "Precision is over the maximum defined for this asset.")
    static let tick = VenueError(-4014, "Price not increased by tick size.")
    static let step = VenueError(-4023, "Qty not increased by step size.")
    static let qtyNotPositive = VenueError(-4003, "Quantity less than zero.")
    static let qtyBelowMin = VenueError(-4004, "Quantity less than min quantity.")
    static let qtyAboveMax = VenueError(-4005, "Quantity greater than max quantity.")
    static let priceAboveCap = VenueError(-4016, "Price is higher than mark price multiplier cap.")
    static let priceBelowFloor = VenueError(-4024, "Price is lower than mark price multiplier floor.")
    static let postOnlyWouldTake = VenueError(-5022, "Due to the order could not be executed as maker, the Post Only order will be rejected.")
    static let duplicateClientID = VenueError(-4116, "clientOrderId is duplicated")
    static let clientIDTooLong = VenueError(-4015, "Client order id length should not be more than 36 chars")
    static let unknownOrder = VenueError(-2013, "Order does not exist.")
    static let cancelUnknown = VenueError(-2011, "Unknown order sent.")
    static let unsupported = VenueError(-1014, "Unsupported order combination.")
    static let marginInsufficient = VenueError(-2019, "Margin is insufficient.")
    static let reduceOnlyRejected = VenueError(-2022, "ReduceOnly Order is rejected.")
    static let apiKeyFormat = VenueError(.unauthorized, -2014, "API-key format invalid.")
    static let apiKeyRejected = VenueError(.unauthorized, -2015, "Invalid API-key, IP, or permissions for action.")
    static let badSignature = VenueError(-1022, "Signature for this request is not valid.")
    static let timestampAhead = VenueError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    static let outsideRecvWindow = VenueError(-1021, "Timestamp for this request is outside of the recvWindow.")
    static func minNotional(_ n: String) -> VenueError {
        VenueError(-4164, "Order's notional must be no smaller than \(n) (unless you choose reduce only)")
    }
}
