import MMCore
import MMStrategy

/// What the strategy thread hands the gateway each tick, through an SPSC ring.
@frozen
public struct StrategyTick: Sendable, Equatable, BitwiseCopyable {
    public var intent: QuoteIntent
    /// Monotonic time the tick started (tick → order-sent latency).
    public var tickNanos: Int64

    public init(intent: QuoteIntent, tickNanos: Int64) {
        self.intent = intent
        self.tickNanos = tickNanos
    }
}

/// The gateway's state as published to other threads (strategy, status line, health) through a seqlock.
@frozen
public struct GatewaySnapshot: Sendable, Equatable, BitwiseCopyable {
    public var position = Quantity.zero
    public var entryPrice = Price.zero
    public var realizedNet = Notional.zero
    public var fees = Notional.zero
    public var unrealized = Notional.zero
    /// Realized PnL after fees and funding since the cumulative start (what `stopLoss` counts).
    public var totalNet = Notional.zero
    public var maxAbsPosition = Quantity.zero
    public var volume = Quantity.zero
    /// 0 active, 1 reducing, 2 halted.
    public var tradingState: UInt8 = 0
    /// Reconciled with the venue and the user stream alive: orders may be sent.
    public var ready = false
    /// Halted, and the venue has confirmed none of our orders is open.
    public var haltConfirmed = false
    public var webSocketAPIUp = false
    public var userStreamUp = false
    public var openOrders = 0
    public var ordersSent = 0
    public var ordersAcked = 0
    public var cancelsSent = 0
    public var modifiesSent = 0
    public var fills = 0
    public var makerFills = 0
    public var venueRejects = 0
    public var postOnlyRejects = 0
    public var riskRejects = 0
    public var restCalls = 0
    public var restFallbacks = 0
    public var usedWeight = 0
    public var tickToSendP99Nanos: Int64 = 0
    public var roundTripP50Nanos: Int64 = 0
    public var roundTripP99Nanos: Int64 = 0

    public init() {}

    /// Today's realized after fees plus unrealized.
    public var pnl: Notional { realizedNet + unrealized }
}
