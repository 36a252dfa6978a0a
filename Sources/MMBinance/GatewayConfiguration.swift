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
    /// Base of user data streams (`/private/ws?listenKey=…&events=…` is appended).
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
    /// REST calls that are not orders: how long before they count as failed.
    public var requestTimeoutSeconds: Int64 = 10
    /// How long an order request may go unanswered before its outcome is unknown and it is queried. At least
    /// the receive window: a request the venue receives later is refused, so a query that does not find the
    /// order is final.
    public var orderTimeoutMillis: Int64 = 6_000
    /// An acknowledged order's report must arrive on the user stream within this, or the stream is taken
    /// for connected-but-silent (0: not checked).
    public var userEventTimeoutMillis: Int64 = 3_000
    /// Leverage and margin type to set at start (nil: leave as they are).
    public var leverage: Int?
    /// `ISOLATED` or `CROSSED`.
    public var marginType: String?
    /// Where `stopLoss` counts from (UTC ms); nil: the journal's first day.
    public var stopLossSinceMillis: Int64?
    /// When the journal reaches the disk.
    public var journalSync = JournalSync.batch
    /// Every socket is pinged this often; one that reads nothing (no pong, no data) for `readTimeoutSeconds`
    /// is closed and opened again.
    public var pingSeconds: Int64 = 10
    public var readTimeoutSeconds: Int64 = 30
    /// The WebSocket API and the user stream are replaced (the new one connected before the old one closes)
    /// before the venue's 24 h limit.
    public var rotateAfterSeconds: Int64 = 23 * 3600
    /// The asset PnL and fees are counted in (the symbol's margin asset).
    public var settlementAsset = "USDT"
    /// The request-weight budget shared with the ingest thread.
    public var budget = RequestBudget()

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

/// When the order journal's records reach the disk. Whatever the mode, what the venue holds is found by the
/// reconciliation at start (orders of ours adopted and cancelled, the position and today's PnL taken from
/// the venue), so a record lost with the machine costs history, not safety.
public enum JournalSync: String, Sendable, CaseIterable {
    /// Written and `fdatasync`ed after each batch's requests are written to their sockets (default): the
    /// disk stays off the path from tick to wire.
    case batch
    /// Written and `fdatasync`ed before each batch's requests leave: the journal always leads the wire,
    /// at the cost of a disk sync on every tick that sends (tick → wire 0.5–1.3 ms p50 on the project's VMs).
    case writeAhead = "write-ahead"
    /// Written after each batch; synced at halts and shutdown.
    case halt
}
