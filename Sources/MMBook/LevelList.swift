import MMCore

/// The levels of one side of a diff or snapshot, in the order they arrived.
///
/// A growable array that keeps its storage when emptied: emptying it is one store, and decoders write
/// levels straight into the storage (`append(upTo:_:)`), so reusing one as a scratch allocates nothing
/// once it has grown to the largest message seen. A value: copies share storage until one is written.
public struct LevelList: RandomAccessCollection, Equatable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// Initialized slots; those from `count` on hold stale levels.
    @usableFromInline var storage: ContiguousArray<PriceLevel>
    @usableFromInline var _count = 0

    /// An empty list.
    @inlinable public init() { storage = [] }

    /// An empty list with room for `capacity` levels.
    @inlinable
    public init(capacity: Int) {
        storage = ContiguousArray(repeating: PriceLevel(price: .zero, quantity: .zero), count: capacity)
    }

    /// A list of `levels`.
    @inlinable
    public init(_ levels: some Sequence<PriceLevel>) {
        storage = ContiguousArray(levels)
        _count = storage.count
    }

    @inlinable public init(arrayLiteral levels: PriceLevel...) { self.init(levels) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { _count }
    @inlinable public var count: Int { _count }

    @inlinable
    public subscript(position: Int) -> PriceLevel {
        precondition(position >= 0 && position < _count, "LevelList index out of range")
        return storage.withUnsafeBufferPointer { $0[position] }
    }

    /// Levels the storage holds without growing.
    @inlinable public var capacity: Int { storage.count }

    /// Empties the list; the storage is always kept.
    @inlinable
    public mutating func removeAll(keepingCapacity: Bool = true) { _count = 0 }

    /// Makes room for at least `minimum` levels.
    @inlinable
    public mutating func reserveCapacity(_ minimum: Int) {
        if storage.count < minimum { grow(to: minimum) }
    }

    @usableFromInline
    mutating func grow(to minimum: Int) {
        let target = Swift.max(minimum, storage.count * 2, 16)
        storage.append(contentsOf: repeatElement(PriceLevel(price: .zero, quantity: .zero), count: target - storage.count))
    }

    @inlinable
    public mutating func append(_ level: PriceLevel) {
        if _count == storage.count { grow(to: _count + 1) }
        storage.withUnsafeMutableBufferPointer { $0[_count] = level }
        _count += 1
    }

    @inlinable
    public mutating func append(contentsOf levels: LevelList) {
        let n = levels.count
        guard n > 0 else { return }
        reserveCapacity(_count + n)
        let start = _count
        levels.withUnsafeBufferPointer { source in
            storage.withUnsafeMutableBufferPointer { target in
                (target.baseAddress! + start).update(from: source.baseAddress!, count: n)
            }
        }
        _count += n
    }

    /// Lets `body` write up to `maximum` levels straight into the storage after the last one; it returns
    /// how many it wrote (those become part of the list, even when it throws after them).
    @inlinable @inline(always)
    public mutating func append<E: Error>(
        upTo maximum: Int, _ body: (_ slots: UnsafeMutablePointer<PriceLevel>, _ written: inout Int) throws(E) -> Void
    ) throws(E) {
        reserveCapacity(_count + maximum)
        let start = _count
        var written = 0
        defer { _count += written }
        try storage.withUnsafeMutableBufferPointer { (buffer) throws(E) in
            try body(buffer.baseAddress! + start, &written)
        }
    }

    /// The levels as a buffer, valid for the duration of `body`.
    @inlinable
    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<PriceLevel>) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBufferPointer { (all) throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: all[0..<_count]))
        }
    }

    @inlinable
    public static func == (lhs: LevelList, rhs: LevelList) -> Bool { lhs.elementsEqual(rhs) }

    public var description: String { Array(self).description }
}
