import MMBook
import MMCore

/// Why the gate refused an order. Codes are stable: logs, metrics and alerts key on them.
public enum RiskRejection: String, Sendable, Hashable, CaseIterable, BitwiseCopyable {
    case halted = "HALTED"
    case reduceOnlyState = "REDUCING_ONLY"
    case offTick = "OFF_TICK"
    case offStep = "OFF_STEP"
    case notionalBelowMin = "NOTIONAL_BELOW_MIN"
    case orderNotional = "ORDER_NOTIONAL"
    case positionLimit = "POSITION_LIMIT"
    case dailyLossLimit = "DAILY_LOSS_LIMIT"
    case stopLoss = "STOP_LOSS"
    case drawdown = "DRAWDOWN"
    case priceBand = "PRICE_BAND"
    case staleBook = "STALE_BOOK"
    case staleUserStream = "STALE_USER_STREAM"
    case orderRate = "ORDER_RATE"
    case openOrders = "OPEN_ORDERS"
    case gatewayBackpressure = "GATEWAY_BACKPRESSURE"
}

/// Whether the engine may trade.
public enum TradingState: String, Sendable, Hashable {
    /// Quoting normally.
    case active
    /// Only orders that shrink the position.
    case reducing
    /// Nothing but cancels until an operator resets.
    case halted
}

/// The limits, per symbol. Money and sizes are exact fixed point.
public struct RiskLimits: Sendable, Equatable {
    /// Largest notional of one order.
    public var maxOrderNotional: Notional
    /// Largest |net position| counting open orders on the side that would grow it (`netMax`).
    public var maxNetPosition: Quantity
    /// Daily realized + unrealized loss that halts trading (`dailyMax`, positive).
    public var dailyLossLimit: Notional
    /// Cumulative PnL (since the configured start, across days and restarts) at or below which trading
    /// halts (`stopLoss`, negative).
    public var stopLoss: Notional
    /// Fall from the day's peak PnL that halts trading.
    public var maxDrawdown: Notional
    /// Largest distance of an order's price from mid, in basis points.
    public var priceBandBps: Int64
    /// Oldest acceptable book and user-stream data, milliseconds.
    public var maxBookAgeMillis: Int64
    public var maxUserStreamAgeMillis: Int64
    /// New orders per second, and open orders at once.
    public var maxOrdersPerSecond: Int
    public var maxOpenOrders: Int

    public init(
        maxOrderNotional: Notional, maxNetPosition: Quantity, dailyLossLimit: Notional, stopLoss: Notional,
        maxDrawdown: Notional, priceBandBps: Int64 = 100, maxBookAgeMillis: Int64 = 2_000,
        maxUserStreamAgeMillis: Int64 = 60_000, maxOrdersPerSecond: Int = 10, maxOpenOrders: Int = 20
    ) {
        self.maxOrderNotional = maxOrderNotional
        self.maxNetPosition = maxNetPosition
        self.dailyLossLimit = dailyLossLimit
        self.stopLoss = stopLoss
        self.maxDrawdown = maxDrawdown
        self.priceBandBps = priceBandBps
        self.maxBookAgeMillis = maxBookAgeMillis
        self.maxUserStreamAgeMillis = maxUserStreamAgeMillis
        self.maxOrdersPerSecond = maxOrdersPerSecond
        self.maxOpenOrders = maxOpenOrders
    }
}

/// An order the strategy wants placed.
public struct OrderIntent: Sendable, Equatable {
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    public var reduceOnly: Bool

    public init(side: Side, price: Price, quantity: Quantity, reduceOnly: Bool = false) {
        self.side = side
        self.price = price
        self.quantity = quantity
        self.reduceOnly = reduceOnly
    }
}

/// What the gateway knows when it checks an order: position, open orders, PnL and data freshness.
public struct RiskContext: Sendable, Equatable {
    /// Signed position.
    public var position: Quantity
    /// Open (unfilled) buy and sell quantity.
    public var openBuy: Quantity
    public var openSell: Quantity
    public var openOrders: Int
    /// Today's realized PnL (after fees) and the current unrealized PnL.
    public var realizedToday: Notional
    public var unrealized: Notional
    /// The market the order is checked against.
    public var top: TopOfBook
    public var bookAgeMillis: Int64
    public var userStreamAgeMillis: Int64
    /// Monotonic time, for the order-rate window.
    public var nowNanos: Int64
    /// Realized PnL after fees and funding since the cumulative start (`stopLoss` counts from it).
    public var realizedTotal: Notional
    /// While the fills and the venue disagree on the position: the smaller and larger of the two (the
    /// position limit takes the worse).
    public var positionLow: Quantity
    public var positionHigh: Quantity

    @inlinable
    public init(
        position: Quantity = .zero, openBuy: Quantity = .zero, openSell: Quantity = .zero, openOrders: Int = 0,
        realizedToday: Notional = .zero, unrealized: Notional = .zero, top: TopOfBook, bookAgeMillis: Int64 = 0,
        userStreamAgeMillis: Int64 = 0, nowNanos: Int64 = 0, realizedTotal: Notional? = nil, positionLow: Quantity? = nil,
        positionHigh: Quantity? = nil
    ) {
        self.position = position
        self.openBuy = openBuy
        self.openSell = openSell
        self.openOrders = openOrders
        self.realizedToday = realizedToday
        self.unrealized = unrealized
        self.top = top
        self.bookAgeMillis = bookAgeMillis
        self.userStreamAgeMillis = userStreamAgeMillis
        self.nowNanos = nowNanos
        self.realizedTotal = realizedTotal ?? realizedToday
        self.positionLow = positionLow ?? position
        self.positionHigh = positionHigh ?? position
    }

    /// Today's PnL: realized after fees and funding, plus unrealized.
    public var pnl: Notional { realizedToday.clampedAdding(unrealized) }
    /// The cumulative PnL since the cumulative start, unrealized included.
    public var totalPnL: Notional { realizedTotal.clampedAdding(unrealized) }
}

/// The gate's answer.
public enum RiskDecision: Sendable, Equatable {
    case accept
    case reject(RiskRejection)
}
