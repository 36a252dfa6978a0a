import Synchronization

/// A bounded, preallocated, lock-free single-producer / single-consumer ring.
///
/// Exactly one thread may call the producer methods (`push`, `pushBatch`) and exactly one thread the consumer
/// methods (`pop`, `popBatch`, `drain`). Indices are free-running and sit on separate 128-byte blocks (two
/// cache lines, so the adjacent-line prefetcher does not couple them); each side keeps a cached copy of the
/// other side's index on its own block so the shared line is touched only when the cache says full/empty.
///
/// Overflow policy is the caller's: `push` returns `false` when full and never blocks or overwrites.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    /// Number of slots (a power of two).
    public let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    @usableFromInline let control: UnsafeMutableRawPointer

    @usableFromInline static var blockSize: Int { 128 }
    // Producer block: tail (atomic), cachedHead, highWater. Consumer block: head (atomic), cachedTail.
    @usableFromInline var tail: UnsafeMutablePointer<Atomic<Int>> { control.assumingMemoryBound(to: Atomic<Int>.self) }
    @usableFromInline var cachedHead: UnsafeMutablePointer<Int> { (control + 8).assumingMemoryBound(to: Int.self) }
    @usableFromInline var highWater: UnsafeMutablePointer<Int> { (control + 16).assumingMemoryBound(to: Int.self) }
    @usableFromInline var head: UnsafeMutablePointer<Atomic<Int>> {
        (control + Self.blockSize).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @usableFromInline var cachedTail: UnsafeMutablePointer<Int> {
        (control + Self.blockSize + 8).assumingMemoryBound(to: Int.self)
    }

    /// Creates a ring with `capacity` slots, rounded up to a power of two (at least 2).
    public init(capacity requested: Int) {
        precondition(requested > 0 && requested <= 1 << 30, "ring capacity out of range")
        var cap = 2
        while cap < requested { cap <<= 1 }
        capacity = cap
        mask = cap - 1
        slots = UnsafeMutablePointer<Element>.allocate(capacity: cap)
        control = UnsafeMutableRawPointer.allocate(byteCount: 3 * Self.blockSize, alignment: Self.blockSize)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: 3 * Self.blockSize)
        control.bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
        (control + Self.blockSize).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
    }

    deinit {
        slots.deallocate()
        control.deallocate()
    }

    // MARK: Producer

    /// Appends one element; returns `false` (and changes nothing) when the ring is full.
    @inlinable
    public func push(_ element: Element) -> Bool {
        let t = tail.pointee.load(ordering: .relaxed)
        if t &- cachedHead.pointee == capacity {
            cachedHead.pointee = head.pointee.load(ordering: .acquiring)
            if t &- cachedHead.pointee == capacity { return false }
        }
        (slots + (t & mask)).initialize(to: element)
        tail.pointee.store(t &+ 1, ordering: .releasing)
        let depth = t &+ 1 &- cachedHead.pointee
        if depth > highWater.pointee { highWater.pointee = depth }
        return true
    }

    /// Appends as many elements of `batch` as fit, publishing them at once; returns how many were taken.
    @inlinable
    public func pushBatch(_ batch: UnsafeBufferPointer<Element>) -> Int {
        let t = tail.pointee.load(ordering: .relaxed)
        var free = capacity &- (t &- cachedHead.pointee)
        if free < batch.count {
            cachedHead.pointee = head.pointee.load(ordering: .acquiring)
            free = capacity &- (t &- cachedHead.pointee)
        }
        let n = min(free, batch.count)
        if n == 0 { return 0 }
        for i in 0..<n { (slots + ((t &+ i) & mask)).initialize(to: batch[i]) }
        tail.pointee.store(t &+ n, ordering: .releasing)
        let depth = t &+ n &- cachedHead.pointee
        if depth > highWater.pointee { highWater.pointee = depth }
        return n
    }

    /// Highest occupancy the producer has observed (an upper bound: the consumer may have drained meanwhile).
    /// Read from the producer thread.
    public var producerHighWaterMark: Int { highWater.pointee }

    // MARK: Consumer

    /// Removes the oldest element, or returns `nil` when empty.
    @inlinable
    public func pop() -> Element? {
        let h = head.pointee.load(ordering: .relaxed)
        if h == cachedTail.pointee {
            cachedTail.pointee = tail.pointee.load(ordering: .acquiring)
            if h == cachedTail.pointee { return nil }
        }
        let element = (slots + (h & mask)).pointee
        head.pointee.store(h &+ 1, ordering: .releasing)
        return element
    }

    /// Moves up to `out.count` elements into `out`, releasing their slots at once; returns how many.
    @inlinable
    public func popBatch(into out: UnsafeMutableBufferPointer<Element>) -> Int {
        let h = head.pointee.load(ordering: .relaxed)
        var available = cachedTail.pointee &- h
        if available < out.count {
            cachedTail.pointee = tail.pointee.load(ordering: .acquiring)
            available = cachedTail.pointee &- h
        }
        let n = min(available, out.count)
        if n == 0 { return 0 }
        for i in 0..<n { out[i] = (slots + ((h &+ i) & mask)).pointee }
        head.pointee.store(h &+ n, ordering: .releasing)
        return n
    }

    /// Calls `body` on up to `limit` elements in order, then releases their slots at once; returns how many.
    @inlinable
    public func drain(limit: Int = .max, _ body: (Element) throws -> Void) rethrows -> Int {
        let h = head.pointee.load(ordering: .relaxed)
        cachedTail.pointee = tail.pointee.load(ordering: .acquiring)
        let n = min(cachedTail.pointee &- h, limit)
        if n <= 0 { return 0 }
        var done = 0
        defer { head.pointee.store(h &+ done, ordering: .releasing) }
        while done < n {
            try body((slots + ((h &+ done) & mask)).pointee)
            done += 1
        }
        return n
    }

    /// Elements currently queued, as seen from any thread (approximate while both sides run).
    public var approximateCount: Int {
        let t = tail.pointee.load(ordering: .acquiring)
        let h = head.pointee.load(ordering: .acquiring)
        return max(0, min(capacity, t &- h))
    }
}
