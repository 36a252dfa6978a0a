import MMCore
import MMExecution
import MMRisk

/// API credentials. Never printed: `description` hides both parts.
public struct Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let apiKey: String
    public let secret: String

    public init(apiKey: String, secret: String) {
        self.apiKey = apiKey
        self.secret = secret
    }

    public var description: String { "Credentials(<redacted>)" }
    public var debugDescription: String { description }
}

/// How the order gateway reaches the venue and what it enforces.
public struct GatewayConfiguration: Sendable {
    public var rest: Endpoint
    /// The WebSocket API (`…/ws-fapi/v1`); `nil`: REST only.
    public var webSocketAPI: Endpoint?
    /// Base of user data streams (`/ws/<listenKey>` is appended).
    public var userStream: Endpoint
    public var instrument: Instrument
    public var credentials: Credentials
    public var limits: RiskLimits
    public var reconciler: QuoteReconciler
    /// Send nothing: acknowledge orders locally and log what would have been sent.
    public var dryRun = false
    public var recvWindowMillis: Int64 = 5000
    /// `countdownCancelAll` heartbeat period; the venue cancels everything if three go missing. 0: off.
    public var heartbeatSeconds = 10
    public var listenKeyKeepaliveSeconds = 1800
    /// Client order IDs start with this (orders of this engine are recognised by it after a restart).
    public var clientIDPrefix = "mmq"
    /// On a loss-limit halt, also close the position with a reduce-only market order.
    public var flattenOnHalt = false
    /// Append-only journal of orders and fills; `nil`: none.
    public var journalPath: String?
    /// Venue limits the gateway stays under (it backs off at 90 %).
    public var weightLimitPerMinute = 2400
    public var orderLimitPer10Seconds = 300
    public var requestTimeoutSeconds: Int64 = 10

    public init(
        rest: Endpoint, webSocketAPI: Endpoint?, userStream: Endpoint, instrument: Instrument, credentials: Credentials,
        limits: RiskLimits, reconciler: QuoteReconciler
    ) {
        self.rest = rest
        self.webSocketAPI = webSocketAPI
        self.userStream = userStream
        self.instrument = instrument
        self.credentials = credentials
        self.limits = limits
        self.reconciler = reconciler
    }
}
