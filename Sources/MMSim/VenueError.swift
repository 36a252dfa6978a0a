import MMBinanceWire
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

    /// The JSON body.
    var body: [UInt8] { binanceErrorBody(code: code, message: message) }
    /// The body and status a REST handler returns.
    var reply: (HTTPResponseStatus, [UInt8]) { (status, body) }

    static func tooManyRequests(limit: Int) -> VenueError {
        VenueError(.tooManyRequests, -1003, "Too many requests; current limit is \(limit) requests per minute. Please use the websocket for live updates to avoid polling the API.")
    }
    static let internalError = VenueError(.serviceUnavailable, -1001, "Internal error; unable to process your request. Please try again.")
    static let bodyTooLarge = VenueError(.payloadTooLarge, -1000, "An unknown error occured while processing the request.")
    static func invalidPath(_ path: String, _ method: String) -> VenueError {
        VenueError(.notFound, -1000, "An unknown error occured while processing the request.")
    }
    static func invalidParameter(_ name: String) -> VenueError { VenueError(-1130, "Data sent for parameter '\(name)' is not valid.") }
    static let unknownListenKey = VenueError(-1125, "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate `listenKey`")
    static let badRecvWindow = VenueError.invalidParameter("recvWindow")
    static let badDepthLimit = VenueError(-1100, "Illegal characters found in parameter 'limit'; legal range is '5, 10, 20, 50, 100, 500, 1000'.")

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
    static let clientIDInvalid = VenueError(-4015, "Client order id is not valid.")
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
