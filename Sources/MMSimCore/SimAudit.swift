import MMCore

/// One thing the venue saw or did, stamped with the monotonic clock, for checking a client against the
/// venue's own books (`SoakAuditor`). Recorded only when the venue is started with auditing on.
public enum SimAuditEntry: Sendable, Equatable {
    /// A new order or a modify the venue accepted.
    case order(account: String, clientOrderID: String, symbol: Symbol, side: Side, reduceOnly: Bool, modify: Bool, nanos: Int64)
    /// A new order or modify the venue refused, and why.
    case rejected(account: String, clientOrderID: String, reason: Rejection, nanos: Int64)
    /// An execution: the account's position in that symbol after it.
    case fill(account: String, symbol: Symbol, position: Quantity, nanos: Int64)
    /// A REST depth snapshot served.
    case snapshot(symbol: Symbol, nanos: Int64)
    /// Something that leaves a client's book out of sync: a diff left out (`gap`), the recording looping
    /// (`restart`), streams closed (`ws_close`); the client must take a new snapshot.
    case desync(symbol: Symbol, reason: String, nanos: Int64)
    /// No market data from `nanos` until `untilNanos`.
    case stall(nanos: Int64, untilNanos: Int64)
    /// A fault fired (at `nanos`, in force until `untilNanos`; equal for one-off faults).
    case fault(kind: FaultKind, nanos: Int64, untilNanos: Int64)

    /// When it happened (monotonic nanoseconds).
    public var nanos: Int64 {
        switch self {
        case .order(_, _, _, _, _, _, let t), .rejected(_, _, _, let t), .fill(_, _, _, let t), .snapshot(_, let t), .desync(_, _, let t),
            .stall(let t, _), .fault(_, let t, _):
            return t
        }
    }
}

/// An account's standing at the venue, sampled at its current mid.
public struct SimAccountSample: Sendable, Equatable {
    public var nanos: Int64
    public var position: Quantity
    /// Wallet change since the account opened (realized PnL − fees) plus unrealized PnL at the mid.
    public var pnl: Notional
    public var openOrders: Int
    /// The client order IDs of the open orders.
    public var openOrderIDs: [String]

    public init(nanos: Int64, position: Quantity, pnl: Notional, openOrders: Int, openOrderIDs: [String] = []) {
        self.nanos = nanos
        self.position = position
        self.pnl = pnl
        self.openOrders = openOrders
        self.openOrderIDs = openOrderIDs
    }
}
