import MMCore

/// A level of the book in grid units.
@frozen
public struct BookLevel: Hashable, Sendable, BitwiseCopyable {
    public var ticks: Ticks
    public var lots: Lots
    @inlinable public init(ticks: Ticks, lots: Lots) {
        self.ticks = ticks
        self.lots = lots
    }
}

/// An L2 order book for one instrument in ticks and lots of its `bookGrid`, with O(1) best bid and ask.
///
/// The book applies whatever it is given; whether it may be trusted is the `BookSequencer`'s call (see
/// `SyncedBook`). Levels whose price or size is off the instrument's grid are skipped and counted.
public struct OrderBook: Sendable {
    /// The instrument whose grid the book uses.
    public let instrument: Instrument
    @usableFromInline var bids: Ladder
    @usableFromInline var asks: Ladder
    @usableFromInline var _lastUpdateID: Int64 = 0
    @usableFromInline var _lastEventTimeMillis: Int64 = 0
    @usableFromInline var _rejectedLevels: Int = 0
    /// `u` of the last applied diff, or the snapshot's `lastUpdateId`.
    @inlinable public var lastUpdateID: Int64 { _lastUpdateID }
    /// Exchange event time of the last applied message, milliseconds.
    @inlinable public var lastEventTimeMillis: Int64 { _lastEventTimeMillis }
    /// Levels skipped because their price or quantity was off the grid or negative.
    @inlinable public var rejectedLevels: Int { _rejectedLevels }

    /// Levels per side a book holds before it grows: beyond the 1,000 of a snapshot, diffs add levels all
    /// through the book over a session (about 2,000 a side after minutes of BTCUSDT).
    public static let defaultLevelCapacity = 8192

    /// Creates an empty book with storage for `levelCapacity` levels per side.
    public init(instrument: Instrument, levelCapacity: Int = OrderBook.defaultLevelCapacity) {
        self.instrument = instrument
        bids = Ladder(capacity: levelCapacity)
        asks = Ladder(capacity: levelCapacity)
    }

    // MARK: Mutation

    /// Sets one level from grid units (zero lots removes it).
    @inlinable
    public mutating func set(_ side: BookSide, ticks: Ticks, lots: Lots) {
        if side == .bid {
            bids.set(key: ticks.value, lots: lots.value)
        } else {
            asks.set(key: 0 &- ticks.value, lots: lots.value)
        }
    }

    /// Sets one level from exchange units; returns false (and counts it) when off the grid or negative.
    @inlinable
    @discardableResult
    public mutating func set(_ side: BookSide, price: Price, quantity: Quantity) -> Bool {
        guard let (t, l) = instrument.bookGrid.units(price, quantity) else {
            _rejectedLevels += 1
            return false
        }
        set(side, ticks: Ticks(t), lots: Lots(l))
        return true
    }

    /// Applies a diff's levels and records its `u`. Sequencing is the caller's responsibility.
    @inlinable
    public mutating func apply(_ update: DepthUpdate) {
        let grid = instrument.bookGrid
        _rejectedLevels &+= bids.apply(update.bids, grid: grid, sign: 1)
        _rejectedLevels &+= asks.apply(update.asks, grid: grid, sign: -1)
        _lastUpdateID = update.finalUpdateID
        _lastEventTimeMillis = update.eventTimeMillis
    }

    /// Replaces the whole book with a snapshot.
    public mutating func replace(with snapshot: DepthSnapshot) {
        clear()
        let grid = instrument.bookGrid
        _rejectedLevels &+= bids.apply(snapshot.bids, grid: grid, sign: 1)
        _rejectedLevels &+= asks.apply(snapshot.asks, grid: grid, sign: -1)
        _lastUpdateID = snapshot.lastUpdateID
        _lastEventTimeMillis = snapshot.eventTimeMillis
    }

    /// Empties the book, keeping its storage.
    public mutating func clear() {
        bids.removeAll()
        asks.removeAll()
        _lastUpdateID = 0
        _lastEventTimeMillis = 0
    }

    // MARK: Reading

    /// Best bid, O(1).
    @inlinable
    public var bestBid: BookLevel? {
        guard let l = bids.last else { return nil }
        return BookLevel(ticks: Ticks(l.key), lots: Lots(l.lots))
    }

    /// Best ask, O(1).
    @inlinable
    public var bestAsk: BookLevel? {
        guard let l = asks.last else { return nil }
        return BookLevel(ticks: Ticks(-l.key), lots: Lots(l.lots))
    }

    /// Number of levels on a side.
    @inlinable
    public func depth(_ side: BookSide) -> Int { side == .bid ? bids.count : asks.count }

    /// The level `index` places from the touch (0 = best), if present.
    @inlinable
    public func level(_ side: BookSide, _ index: Int) -> BookLevel? {
        guard let l = side == .bid ? bids.fromBest(index) : asks.fromBest(index) else { return nil }
        return BookLevel(ticks: Ticks(side == .bid ? l.key : -l.key), lots: Lots(l.lots))
    }

    /// Size resting at a price (zero if none).
    @inlinable
    public func lots(_ side: BookSide, at ticks: Ticks) -> Lots {
        Lots(side == .bid ? bids.lots(at: ticks.value) : asks.lots(at: 0 &- ticks.value))
    }

    /// True when both sides exist and best bid ≥ best ask.
    @inlinable
    public var isCrossed: Bool {
        guard let b = bids.last, let a = asks.last else { return false }
        return b.key >= -a.key
    }

    /// Best bid and ask in exchange units.
    @inlinable
    public func topOfBook(isSynced: Bool) -> TopOfBook {
        var top = TopOfBook.empty
        if let b = bestBid {
            top.bidPrice = instrument.bookGrid.price(b.ticks)
            top.bidQuantity = instrument.bookGrid.quantity(b.lots)
            top.hasBid = true
        }
        if let a = bestAsk {
            top.askPrice = instrument.bookGrid.price(a.ticks)
            top.askQuantity = instrument.bookGrid.quantity(a.lots)
            top.hasAsk = true
        }
        top.updateID = lastUpdateID
        top.eventTimeMillis = lastEventTimeMillis
        top.isSynced = isSynced
        return top
    }

    /// Up to `limit` levels of a side from the touch outward, in exchange units (REST depth, tools, tests;
    /// not the hot path: it allocates the array).
    public func levels(_ side: BookSide, limit: Int = .max) -> [PriceLevel] {
        var out: [PriceLevel] = []
        out.reserveCapacity(min(limit, depth(side)))
        let grid = instrument.bookGrid
        (side == .bid ? bids : asks).forEachFromBest(limit: limit) { key, lots in
            out.append(PriceLevel(price: grid.price(Ticks(side == .bid ? key : -key)), quantity: grid.quantity(Lots(lots))))
        }
        return out
    }
}
