import MMCore
@_exported import MMVenue

/// How an order executes.
public enum OrderKind: Sendable, Hashable {
    case limit
    case market
    /// The venue closing a position that fell below its maintenance margin.
    case liquidation
}

/// How long an order may rest.
public enum TimeInForce: Sendable, Hashable {
    case goodTillCancel
    case immediateOrCancel
    case fillOrKill
    /// Rests as a maker or is refused; never takes.
    case postOnly
}

/// Which position an order trades: the single net position of one-way mode, or one leg of hedge mode.
public enum PositionSide: Sendable, Hashable, CaseIterable {
    case both
    case long
    case short
}

/// Cross margin (one pool per margin asset) or isolated (per position).
public enum MarginMode: Sendable, Hashable {
    case cross
    case isolated
}

/// A new order as the venue's front end parsed it.
public struct OrderRequest: Sendable, Equatable {
    public var symbol: Symbol
    public var side: Side
    public var kind: OrderKind
    public var timeInForce: TimeInForce
    /// Limit price; zero for market orders.
    public var price: Price
    public var quantity: Quantity
    public var positionSide: PositionSide
    public var reduceOnly: Bool
    /// The client's ID, or `nil` for one the venue makes up.
    public var clientOrderID: String?

    public init(
        symbol: Symbol, side: Side, kind: OrderKind, timeInForce: TimeInForce = .goodTillCancel, price: Price = .zero,
        quantity: Quantity, positionSide: PositionSide = .both, reduceOnly: Bool = false, clientOrderID: String? = nil
    ) {
        self.symbol = symbol
        self.side = side
        self.kind = kind
        self.timeInForce = timeInForce
        self.price = price
        self.quantity = quantity
        self.positionSide = positionSide
        self.reduceOnly = reduceOnly
        self.clientOrderID = clientOrderID
    }
}

/// An order named by the venue's ID or the client's.
public enum OrderReference: Sendable, Equatable {
    case venue(Int64)
    case client(String)
}

/// Why the venue refused a request. Front ends turn these into their venue's codes and texts.
public enum Rejection: Error, Sendable, Equatable {
    case unknownAccount
    case unknownSymbol
    case quantityNotPositive
    case quantityOffStep
    case quantityBelowMinimum
    case quantityAboveMaximum
    case priceOffTick
    case priceAboveCap
    case priceBelowFloor
    case notionalBelowMinimum(Notional)
    /// The order names a position side the account's position mode does not have.
    case positionSideMismatch
    case duplicateClientOrderID
    /// One side of the book is empty: nothing to price the order against.
    case noMarket
    /// A reduce-only (or hedge-mode closing) order that would not shrink the position.
    case reduceOnlyRejected
    case insufficientMargin
    /// A spot order the account's free balance cannot cover.
    case insufficientBalance
    case postOnlyWouldTake
    case unknownOrder
    /// A modify naming the other side than the order's.
    case sideMismatch
    case nothingToModify
    /// A modify the venue does not support (crossing the book, or below what already executed).
    case cannotModify
    case leverageOutOfRange(Int64)
    case marginModeUnchanged
    case marginModeWithPosition
    case marginModeWithOpenOrders
    case positionModeUnchanged
    case positionModeWithPositions
}

/// An order resting at (or known to) the venue.
public struct SimOrder: Sendable, Equatable {
    public var orderID: Int64
    public var clientOrderID: String
    public var symbol: Symbol
    public var side: Side
    public var kind: OrderKind
    public var timeInForce: TimeInForce
    public var price: Price
    public var quantity: Quantity
    public var executed: Quantity
    public var status: OrderStatus
    public var reduceOnly: Bool
    public var positionSide: PositionSide = .both
    public var updateTimeMillis: Int64
    /// Displayed size ahead of this order at its price (queue-position fill model).
    public var queueAhead = Quantity.zero
    /// Σ fill price × fill quantity.
    public var cumQuote = Notional.zero
    /// What a spot order holds locked of the account's balance (quote for a buy, base for a sell).
    public var locked = Notional.zero

    /// Average fill price, or zero before any fill.
    public var averagePrice: Price {
        guard executed.raw > 0 else { return .zero }
        return Price(raw: Int64(Int128(cumQuote.raw) * Int128(FixedPointScale.unit) / Int128(executed.raw)))
    }

    public var remaining: Quantity { quantity - executed }
    /// Still able to execute.
    public var isOpen: Bool { status == .new || status == .partiallyFilled }
}

/// One execution against an account's order.
public struct SimFill: Sendable, Equatable {
    public var orderID: Int64
    public var tradeID: Int64
    public var symbol: Symbol
    public var side: Side
    public var positionSide: PositionSide = .both
    public var price: Price
    public var quantity: Quantity
    public var maker: Bool
    public var fee: Notional
    /// The asset the fee was charged in.
    public var commissionAsset: String = ""
    public var realized: Notional
    /// When it happened (the venue's clock, milliseconds).
    public var timeMillis: Int64 = 0
}

/// Why an account's balances or positions changed, as its user stream reports it.
public enum AccountChange: Sendable, Equatable {
    case trade
    case funding
    /// The insurance fund absorbed a negative balance left by a liquidation.
    case insuranceClear
}

/// A position of an account near (or past) its maintenance margin.
public struct MarginCallPosition: Sendable, Equatable {
    public var symbol: Symbol
    public var positionSide: PositionSide
    public var quantity: Quantity
    public var markPrice: Price
    public var unrealized: Notional
    public var maintenance: Notional
}

/// What an account's user stream reports.
public enum UserEvent: Sendable, Equatable {
    /// An order changed: accepted, executed, cancelled, expired or amended.
    case order(SimOrder, execution: ExecutionType, fill: SimFill?)
    /// The wallet and one symbol's positions; `balanceChange` is what moved the wallet other than by trading.
    case account(symbol: Symbol, reason: AccountChange, balanceChange: Notional = .zero)
    /// A symbol's leverage, or the multi-assets mode, changed.
    case accountConfig(symbol: Symbol?, leverage: Int64?, multiAssets: Bool?)
    /// Spot balances of these assets changed.
    case balances(assets: [String])
    /// The account's margin in `asset` is close to its maintenance requirement.
    case marginCall(asset: String, crossWallet: Notional, positions: [MarginCallPosition])
}

/// A liquidation the venue executed, as its public liquidation stream shows it.
public struct Liquidation: Sendable, Equatable {
    public var symbol: Symbol
    /// The side of the liquidation order (selling a long, buying a short).
    public var side: Side
    public var price: Price
    public var averagePrice: Price
    public var quantity: Quantity
    public var timeMillis: Int64
}

/// A spot instrument's assets: orders on it move balances instead of opening positions.
public struct SpotPair: Sendable, Hashable {
    public var base: String
    public var quote: String

    public init(base: String, quote: String) {
        self.base = base
        self.quote = quote
    }
}

/// The asset a symbol's margin, PnL, fees and funding settle in: its quote, USDT or USDC.
public func marginAsset(of symbol: Symbol) -> String {
    symbol.description.hasSuffix("USDC") ? "USDC" : "USDT"
}
