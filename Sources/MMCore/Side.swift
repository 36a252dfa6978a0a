/// Side of an order or trade.
@frozen
public enum Side: UInt8, Sendable, BitwiseCopyable, Hashable, CustomStringConvertible {
    case buy = 0
    case sell = 1

    /// The opposite side.
    @inlinable public var opposite: Side { self == .buy ? .sell : .buy }
    /// +1 for buy, -1 for sell.
    @inlinable public var sign: Int64 { self == .buy ? 1 : -1 }
    public var description: String { self == .buy ? "BUY" : "SELL" }
}

/// Side of an order book.
@frozen
public enum BookSide: UInt8, Sendable, BitwiseCopyable, Hashable, CustomStringConvertible {
    case bid = 0
    case ask = 1

    public var description: String { self == .bid ? "bid" : "ask" }
}

/// A price on an instrument's tick grid: `price = ticks × tickSize`.
@frozen
public struct Ticks: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var value: Int64
    @inlinable public init(_ value: Int64) { self.value = value }
    @inlinable public static func < (l: Ticks, r: Ticks) -> Bool { l.value < r.value }
    public var description: String { "\(value)t" }
}

/// A quantity on an instrument's step grid: `quantity = lots × stepSize`.
@frozen
public struct Lots: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var value: Int64
    @inlinable public init(_ value: Int64) { self.value = value }
    @inlinable public static func < (l: Lots, r: Lots) -> Bool { l.value < r.value }
    public var description: String { "\(value)l" }
}
