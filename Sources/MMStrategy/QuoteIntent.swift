import MMCore

/// One desired resting order.
@frozen
public struct Quote: Sendable, Hashable, BitwiseCopyable {
    public var side: Side
    public var price: Price
    public var quantity: Quantity

    @inlinable
    public init(side: Side, price: Price, quantity: Quantity) {
        self.side = side
        self.price = price
        self.quantity = quantity
    }
}

/// The orders a strategy wants resting after a tick (empty: none). Fixed capacity and stored inline, so a
/// tick allocates nothing and the intent crosses to the gateway thread through a ring.
@frozen
public struct QuoteIntent: Sendable, Equatable, BitwiseCopyable {
    /// Most quotes one intent holds (levels per side × 2).
    public static let capacity = 16
    @usableFromInline var storage: InlineArray<16, Quote>
    @usableFromInline var stored: Int
    /// Number of quotes.
    @inlinable public var count: Int { stored }

    /// No quotes.
    @inlinable
    public init() {
        storage = InlineArray(repeating: Quote(side: .buy, price: .zero, quantity: .zero))
        stored = 0
    }

    /// The given quotes (at most `capacity`; the rest are dropped).
    public init(quotes: [Quote]) {
        self.init()
        for q in quotes { append(q) }
    }

    /// Adds a quote; returns false when full.
    @inlinable
    @discardableResult
    public mutating func append(_ quote: Quote) -> Bool {
        guard count < Self.capacity else { return false }
        storage[stored] = quote
        stored += 1
        return true
    }

    @inlinable public subscript(i: Int) -> Quote { storage[i] }

    /// The quotes as a buffer, for loops that read many of them (reading `self[i]` in a loop can make the
    /// compiler copy the whole inline storage per read).
    @inlinable
    public func withUnsafeQuotes<R>(_ body: (UnsafeBufferPointer<Quote>) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Quote.self), count: stored))
        }
    }
    @inlinable public var isEmpty: Bool { count == 0 }
    /// Removes every quote (the storage is kept).
    @inlinable public mutating func removeAll() { stored = 0 }

    /// The quotes as an array (tests and reports; allocates).
    public var quotes: [Quote] { (0..<count).map { storage[$0] } }

    public static func == (a: QuoteIntent, b: QuoteIntent) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a.storage[i] != b.storage[i] { return false }
        return true
    }
}
