import MMBook
import MMCore

/// The two clocks every input of the order manager carries: time is an input, never read.
@frozen
public struct Moment: Sendable, Equatable, BitwiseCopyable {
    /// Monotonic nanoseconds: deadlines, ages, rates.
    public var nanos: Int64
    /// Wall-clock milliseconds since the Unix epoch: trading days, journal stamps.
    public var wallMillis: Int64

    public init(nanos: Int64, wallMillis: Int64) {
        self.nanos = nanos
        self.wallMillis = wallMillis
    }

    /// `d` nanoseconds later on both clocks.
    public func adding(nanos d: Int64) -> Moment { Moment(nanos: nanos &+ d, wallMillis: wallMillis &+ d / 1_000_000) }
}

/// One order to send, in venue-neutral terms.
@frozen
public struct OrderSpec: Sendable, Equatable, BitwiseCopyable {
    public enum Kind: Sendable, Equatable, BitwiseCopyable {
        /// A post-only limit order (it never takes liquidity).
        case postOnlyLimit
        /// A reduce-only market order (flattening).
        case reduceOnlyMarket
    }

    public var kind: Kind
    public var clientOrderID: ClientOrderID
    public var side: Side
    /// Zero for a market order.
    public var price: Price
    public var quantity: Quantity

    public init(kind: Kind, clientOrderID: ClientOrderID, side: Side, price: Price, quantity: Quantity) {
        self.kind = kind
        self.clientOrderID = clientOrderID
        self.side = side
        self.price = price
        self.quantity = quantity
    }

    public var reduceOnly: Bool { kind == .reduceOnlyMarket }
}

/// Which request a reply answers.
public enum RequestKind: UInt8, Sendable, Equatable, BitwiseCopyable, CaseIterable {
    case place, cancel, modify, query
}

/// An order as the venue reports it (a request's answer, a query, an open-orders listing).
@frozen
public struct VenueOrder: Sendable, Equatable, BitwiseCopyable {
    public var clientOrderID: ClientOrderID
    public var venueOrderID: VenueOrderID
    public var side: Side
    public var price: Price
    /// Total size (filled part included).
    public var quantity: Quantity
    public var executed: Quantity
    public var status: OrderStatus
    public var reduceOnly: Bool

    public init(
        clientOrderID: ClientOrderID, venueOrderID: VenueOrderID, side: Side, price: Price, quantity: Quantity, executed: Quantity,
        status: OrderStatus, reduceOnly: Bool = false
    ) {
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.side = side
        self.price = price
        self.quantity = quantity
        self.executed = executed
        self.status = status
        self.reduceOnly = reduceOnly
    }
}

/// Why a venue refused a request, in venue-neutral terms (each venue's shell maps its own codes).
public enum Refusal: UInt8, Sendable, Equatable, BitwiseCopyable {
    /// A post-only order would have taken liquidity: a normal outcome.
    case postOnlyWouldCross
    /// Too many requests or orders: nothing more until the venue's wait has passed.
    case rateLimited
    /// The request's timestamp was outside the venue's window: the clock offset needs measuring again.
    case clockSkew
    /// The venue has no such order (for a cancel, modify or query): it was never placed, or is closed.
    case unknownOrder
    /// The request was refused for good (filters, margin, parameters).
    case invalid
}

/// What came back for one request.
public enum VenueReply: Sendable, Equatable {
    /// The venue did what was asked; the order as it stands now.
    case accepted(VenueOrder)
    /// The venue did not do it. `code` is the venue's own (for counters and logs); `retryAfterMillis` is the
    /// wait the venue asked for (0 when none).
    case refused(Refusal, code: Int, retryAfterMillis: Int64)
    /// No answer, or one that does not tell (a timeout, a lost connection, a 5xx): the venue may or may not
    /// have acted. Resolved by asking for the order by client ID, never by sending it again.
    case unknown
}

/// The venue's view of the account, read when the manager asks for a reconciliation.
public struct VenueSnapshot: Sendable, Equatable {
    /// Every open order of the symbol (ours and any other client's).
    public var openOrders: [VenueOrder]
    public var position: Quantity
    public var entryPrice: Price
    /// When the venue last changed the position (its clock, ms): fills at or before it are in `position`.
    public var positionTimeMillis: Int64

    public init(openOrders: [VenueOrder], position: Quantity, entryPrice: Price, positionTimeMillis: Int64) {
        self.openOrders = openOrders
        self.position = position
        self.entryPrice = entryPrice
        self.positionTimeMillis = positionTimeMillis
    }
}

/// The market as the strategy thread last saw it.
@frozen
public struct MarketState: Sendable, Equatable, BitwiseCopyable {
    public var top: TopOfBook
    /// Age of the data, nanoseconds (`Int64.max` before any).
    public var ageNanos: Int64

    public init(top: TopOfBook, ageNanos: Int64) {
        self.top = top
        self.ageNanos = ageNanos
    }
}
