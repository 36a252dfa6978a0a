import MMCore

/// Best bid and ask of a book at one update, small enough to publish through a seqlock.
@frozen
public struct TopOfBook: Hashable, Sendable, BitwiseCopyable {
    public var bidPrice: Price
    public var bidQuantity: Quantity
    public var askPrice: Price
    public var askQuantity: Quantity
    /// `u` of the last applied diff.
    public var updateID: Int64
    /// Exchange event time of the last applied diff, milliseconds.
    public var eventTimeMillis: Int64
    public var hasBid: Bool
    public var hasAsk: Bool
    /// False while the book is stale (awaiting a snapshot or bridging): never quote on it.
    public var isSynced: Bool

    /// An empty, unsynced top of book.
    public static let empty = TopOfBook(
        bidPrice: .zero, bidQuantity: .zero, askPrice: .zero, askQuantity: .zero, updateID: 0, eventTimeMillis: 0,
        hasBid: false, hasAsk: false, isSynced: false)

    @inlinable
    public init(
        bidPrice: Price, bidQuantity: Quantity, askPrice: Price, askQuantity: Quantity, updateID: Int64,
        eventTimeMillis: Int64, hasBid: Bool, hasAsk: Bool, isSynced: Bool
    ) {
        self.bidPrice = bidPrice
        self.bidQuantity = bidQuantity
        self.askPrice = askPrice
        self.askQuantity = askQuantity
        self.updateID = updateID
        self.eventTimeMillis = eventTimeMillis
        self.hasBid = hasBid
        self.hasAsk = hasAsk
        self.isSynced = isSynced
    }

    /// Mid price rounded down to the 1e-8 scale, when both sides exist.
    @inlinable
    public var mid: Price? {
        guard hasBid && hasAsk else { return nil }
        return Price(raw: bidPrice.raw / 2 + askPrice.raw / 2 + (bidPrice.raw % 2 + askPrice.raw % 2) / 2)
    }
}
