/// Where an order stands at the venue.
public enum OrderStatus: String, Sendable, Hashable, CaseIterable, BitwiseCopyable {
    case new = "NEW"
    case partiallyFilled = "PARTIALLY_FILLED"
    case filled = "FILLED"
    case canceled = "CANCELED"
    case expired = "EXPIRED"
    case expiredInMatch = "EXPIRED_IN_MATCH"
    /// Refused by the venue (never live).
    case rejected = "REJECTED"
    /// Liquidation with the insurance fund, and auto-deleveraging: orders the venue places on our position.
    case newInsurance = "NEW_INSURANCE"
    case newADL = "NEW_ADL"

    /// No further fills or changes can come.
    public var isFinal: Bool { self == .filled || self == .canceled || self == .expired || self == .expiredInMatch || self == .rejected }
}

/// What an execution report reports.
public enum ExecutionType: String, Sendable, Hashable, CaseIterable {
    case new = "NEW"
    case canceled = "CANCELED"
    case calculated = "CALCULATED"
    case expired = "EXPIRED"
    case trade = "TRADE"
    case amendment = "AMENDMENT"
}

/// The venue's ID of an order.
@frozen
public struct VenueOrderID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// One order event from the venue (Binance `ORDER_TRADE_UPDATE`), in exact fixed point.
public struct ExecutionReport: Sendable, Hashable {
    public var symbol: Symbol
    /// Our ID (`c`), at most 36 characters on Binance.
    public var clientOrderID: String
    public var venueOrderID: VenueOrderID
    public var side: Side
    public var orderType: String
    public var timeInForce: String
    public var quantity: Quantity
    public var price: Price
    public var averagePrice: Price
    public var stopPrice: Price
    public var execution: ExecutionType
    public var status: OrderStatus
    /// This event's fill, when `execution == .trade`.
    public var lastQuantity: Quantity
    public var lastPrice: Price
    public var cumulativeQuantity: Quantity
    /// Commission of this fill, in `commissionAsset`.
    public var commission: Notional
    public var commissionAsset: String
    public var tradeID: Int64
    public var isMaker: Bool
    public var reduceOnly: Bool
    /// Realized PnL of this fill.
    public var realizedPnL: Notional
    public var eventTime: UnixNanos
    public var transactionTime: UnixNanos

    public init(
        symbol: Symbol, clientOrderID: String, venueOrderID: VenueOrderID, side: Side, orderType: String,
        timeInForce: String, quantity: Quantity, price: Price, averagePrice: Price, stopPrice: Price,
        execution: ExecutionType, status: OrderStatus, lastQuantity: Quantity, lastPrice: Price,
        cumulativeQuantity: Quantity, commission: Notional, commissionAsset: String, tradeID: Int64, isMaker: Bool,
        reduceOnly: Bool, realizedPnL: Notional, eventTime: UnixNanos, transactionTime: UnixNanos
    ) {
        self.symbol = symbol
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.side = side
        self.orderType = orderType
        self.timeInForce = timeInForce
        self.quantity = quantity
        self.price = price
        self.averagePrice = averagePrice
        self.stopPrice = stopPrice
        self.execution = execution
        self.status = status
        self.lastQuantity = lastQuantity
        self.lastPrice = lastPrice
        self.cumulativeQuantity = cumulativeQuantity
        self.commission = commission
        self.commissionAsset = commissionAsset
        self.tradeID = tradeID
        self.isMaker = isMaker
        self.reduceOnly = reduceOnly
        self.realizedPnL = realizedPnL
        self.eventTime = eventTime
        self.transactionTime = transactionTime
    }
}

/// Balance and position changes from the venue (Binance `ACCOUNT_UPDATE`).
public struct AccountUpdate: Sendable, Hashable {
    public struct Balance: Sendable, Hashable {
        public var asset: String
        public var wallet: Notional
        public var crossWallet: Notional
        public var change: Notional

        public init(asset: String, wallet: Notional, crossWallet: Notional, change: Notional) {
            self.asset = asset
            self.wallet = wallet
            self.crossWallet = crossWallet
            self.change = change
        }
    }

    public struct Position: Sendable, Hashable {
        public var symbol: Symbol
        /// Signed size.
        public var quantity: Quantity
        public var entryPrice: Price
        public var unrealizedPnL: Notional
        /// BOTH (one-way), LONG or SHORT (hedge mode).
        public var positionSide: String

        public init(symbol: Symbol, quantity: Quantity, entryPrice: Price, unrealizedPnL: Notional, positionSide: String) {
            self.symbol = symbol
            self.quantity = quantity
            self.entryPrice = entryPrice
            self.unrealizedPnL = unrealizedPnL
            self.positionSide = positionSide
        }
    }

    /// Why it changed (ORDER, FUNDING_FEE, DEPOSIT, ...).
    public var reason: String
    public var balances: [Balance]
    public var positions: [Position]
    public var eventTime: UnixNanos
    /// When the change happened at the venue (`T`): fills at or before it are in `positions`.
    public var transactionTime: UnixNanos

    public init(reason: String, balances: [Balance], positions: [Position], eventTime: UnixNanos, transactionTime: UnixNanos? = nil) {
        self.reason = reason
        self.balances = balances
        self.positions = positions
        self.eventTime = eventTime
        self.transactionTime = transactionTime ?? eventTime
    }
}
