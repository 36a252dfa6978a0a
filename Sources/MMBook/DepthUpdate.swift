import MMCore

/// One price level as sent by the exchange: an absolute quantity at a price (zero removes the level).
@frozen
public struct PriceLevel: Hashable, Sendable, BitwiseCopyable {
    public var price: Price
    public var quantity: Quantity
    @inlinable public init(price: Price, quantity: Quantity) {
        self.price = price
        self.quantity = quantity
    }
}

/// Sentinel for a diff without `pu` (spot-style streams): sequencing then falls back to `U == previous u + 1`.
public let unknownUpdateID: Int64 = .min

/// A depth diff (`depthUpdate`): levels changed between update IDs `U` and `u`; `pu` is the previous diff's `u`.
///
/// Reused as a decoding scratch: `clear()` keeps the level storage, so decoding into it does not allocate
/// once its capacity has grown to the largest message seen.
public struct DepthUpdate: Sendable {
    public var symbol = Symbol()
    /// `E`, exchange event time in milliseconds.
    public var eventTimeMillis: Int64 = 0
    /// `T`, matching-engine transaction time in milliseconds (0 when absent).
    public var transactionTimeMillis: Int64 = 0
    /// `U`.
    public var firstUpdateID: Int64 = 0
    /// `u`.
    public var finalUpdateID: Int64 = 0
    /// `pu`, or `unknownUpdateID` when the stream does not send it.
    public var prevFinalUpdateID: Int64 = unknownUpdateID
    public var bids: LevelList
    public var asks: LevelList

    /// Creates an empty update with room for `levelCapacity` levels per side.
    public init(levelCapacity: Int = 64) {
        bids = LevelList(capacity: levelCapacity)
        asks = LevelList(capacity: levelCapacity)
    }

    /// Empties the update, keeping its storage.
    @inlinable
    public mutating func clear() {
        symbol = Symbol()
        eventTimeMillis = 0
        transactionTimeMillis = 0
        firstUpdateID = 0
        finalUpdateID = 0
        prevFinalUpdateID = unknownUpdateID
        bids.removeAll()
        asks.removeAll()
    }

    /// Copies `other` into this update's own storage (no allocation once capacity suffices).
    @inlinable
    public mutating func copy(from other: DepthUpdate) {
        symbol = other.symbol
        eventTimeMillis = other.eventTimeMillis
        transactionTimeMillis = other.transactionTimeMillis
        firstUpdateID = other.firstUpdateID
        finalUpdateID = other.finalUpdateID
        prevFinalUpdateID = other.prevFinalUpdateID
        bids.removeAll()
        asks.removeAll()
        bids.append(contentsOf: other.bids)
        asks.append(contentsOf: other.asks)
    }
}

/// A full depth snapshot (`GET /fapi/v1/depth`): absolute levels as of `lastUpdateId`.
public struct DepthSnapshot: Sendable {
    /// Symbol, when known (the REST body does not carry it).
    public var symbol = Symbol()
    public var lastUpdateID: Int64 = 0
    public var eventTimeMillis: Int64 = 0
    public var transactionTimeMillis: Int64 = 0
    public var bids: LevelList
    public var asks: LevelList

    /// Creates an empty snapshot with room for `levelCapacity` levels per side.
    public init(levelCapacity: Int = 1024) {
        bids = LevelList(capacity: levelCapacity)
        asks = LevelList(capacity: levelCapacity)
    }

    /// Empties the snapshot, keeping its storage.
    public mutating func clear() {
        symbol = Symbol()
        lastUpdateID = 0
        eventTimeMillis = 0
        transactionTimeMillis = 0
        bids.removeAll()
        asks.removeAll()
    }
}

/// A best bid/offer update (`bookTicker`).
@frozen
public struct BookTicker: Hashable, Sendable, BitwiseCopyable {
    public var symbol = Symbol()
    /// `u`: the order-book update ID this quote reflects.
    public var updateID: Int64 = 0
    public var bidPrice = Price.zero
    public var bidQuantity = Quantity.zero
    public var askPrice = Price.zero
    public var askQuantity = Quantity.zero
    public var eventTimeMillis: Int64 = 0
    public var transactionTimeMillis: Int64 = 0
    public init() {}
}

/// A public trade (`trade` or `aggTrade`).
@frozen
public struct Trade: Hashable, Sendable, BitwiseCopyable {
    public var symbol = Symbol()
    /// `t` for trades, `a` for aggregate trades.
    public var tradeID: Int64 = 0
    public var price = Price.zero
    public var quantity = Quantity.zero
    /// `m`: the buyer was the resting (maker) side, i.e. the aggressor sold.
    public var buyerIsMaker = false
    public var eventTimeMillis: Int64 = 0
    public var transactionTimeMillis: Int64 = 0
    public init() {}

    /// The aggressor's side.
    @inlinable public var aggressorSide: Side { buyerIsMaker ? .sell : .buy }
}

/// One book level change in grid units, the record type of the market-data ring.
@frozen
public struct LevelChange: Hashable, Sendable, BitwiseCopyable {
    /// `u` of the diff (or `lastUpdateId` of the snapshot) that carried the change.
    public var updateID: Int64
    public var ticks: Ticks
    /// New absolute size; zero removes the level.
    public var lots: Lots
    public var instrument: InstrumentID
    public var side: BookSide
    /// True for levels loaded from a snapshot (consumers should reset their view first).
    public var fromSnapshot: Bool

    @inlinable
    public init(updateID: Int64, instrument: InstrumentID, side: BookSide, ticks: Ticks, lots: Lots, fromSnapshot: Bool = false) {
        self.updateID = updateID
        self.ticks = ticks
        self.lots = lots
        self.instrument = instrument
        self.side = side
        self.fromSnapshot = fromSnapshot
    }
}
