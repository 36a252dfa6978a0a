/// One side of a book: levels sorted by an ascending key (best last), stored in blocks of at most
/// `blockSize` so that inserting or removing any level moves at most one block's worth of memory.
///
/// Real `@depth@0ms` diffs touch levels all through the 1000-level book, so a single sorted array spends
/// most of its time moving memory; blocks bound that cost while keeping the touch at a fixed place (last
/// element of the last block) for O(1) best bid/ask. Bids use `key = ticks`, asks `key = -ticks`.
/// Storage is preallocated and freed blocks are recycled, so steady-state updates do not allocate.
@usableFromInline
struct Ladder: Sendable {
    @usableFromInline static var blockSize: Int { 64 }
    /// Slot storage: block `id` owns `[id * blockSize, (id + 1) * blockSize)`.
    @usableFromInline var keys: ContiguousArray<Int64>
    @usableFromInline var lots: ContiguousArray<Int64>
    /// Levels used in each block, by block id.
    @usableFromInline var counts: ContiguousArray<Int>
    /// Block ids in ascending key order.
    @usableFromInline var order: ContiguousArray<Int>
    /// First key of each block, parallel to `order`.
    @usableFromInline var mins: ContiguousArray<Int64>
    /// Recycled block ids.
    @usableFromInline var free: ContiguousArray<Int>
    @usableFromInline var total = 0

    @usableFromInline
    init(capacity: Int) {
        let blocks = max(4, (capacity * 2) / Self.blockSize + 1)
        keys = ContiguousArray(repeating: 0, count: blocks * Self.blockSize)
        lots = ContiguousArray(repeating: 0, count: blocks * Self.blockSize)
        counts = ContiguousArray(repeating: 0, count: blocks)
        order = []
        order.reserveCapacity(blocks)
        mins = []
        mins.reserveCapacity(blocks)
        free = ContiguousArray((0..<blocks).reversed())
        free.reserveCapacity(blocks)
    }

    @inlinable var count: Int { total }

    /// Position in `order` of the block that holds (or would hold) `key`: the last block whose first key
    /// is `<= key`, or 0. Branch-free binary search: diff levels land all over the book, so the direction
    /// of each step is unpredictable and a conditional move beats a branch.
    @inlinable
    func blockPosition(_ key: Int64) -> Int {
        mins.withUnsafeBufferPointer { m -> Int in
            var base = 0
            var n = m.count
            while n > 1 {
                let half = n >> 1
                base = m[base &+ half] <= key ? base &+ half : base
                n &-= half
            }
            return base
        }
    }

    /// Index within block `id` of the first key `>= key` (branch-free lower bound).
    @inlinable
    func slot(_ key: Int64, in id: Int) -> Int {
        let n = counts[id]
        if n == 0 { return 0 }
        return keys.withUnsafeBufferPointer { k -> Int in
            let b = k.baseAddress! + id &* Self.blockSize
            var base = 0
            var len = n
            while len > 1 {
                let half = len >> 1
                base = b[base &+ half] < key ? base &+ half : base
                len &-= half
            }
            return base &+ (b[base] < key ? 1 : 0)
        }
    }

    /// Sets the size at `key` (0 removes).
    @inlinable
    mutating func set(key: Int64, lots newLots: Int64) {
        if order.isEmpty {
            if newLots == 0 { return }
            let id = allocateBlock()
            order.append(id)
            mins.append(key)
            keys[id * Self.blockSize] = key
            lots[id * Self.blockSize] = newLots
            counts[id] = 1
            total = 1
            return
        }
        let p = blockPosition(key)
        let id = order[p]
        let i = slot(key, in: id)
        let base = id * Self.blockSize
        let n = counts[id]
        if i < n && keys[base + i] == key {
            if newLots != 0 {
                lots[base + i] = newLots
                return
            }
            remove(at: i, block: id, position: p)
            return
        }
        if newLots == 0 { return }
        insert(key: key, lots: newLots, at: i, block: id, position: p)
    }

    @usableFromInline
    mutating func remove(at i: Int, block id: Int, position p: Int) {
        let base = id * Self.blockSize
        let n = counts[id]
        if i < n - 1 {
            keys.withUnsafeMutableBufferPointer { k in
                (k.baseAddress! + base + i).update(from: k.baseAddress! + base + i + 1, count: n - 1 - i)
            }
            lots.withUnsafeMutableBufferPointer { l in
                (l.baseAddress! + base + i).update(from: l.baseAddress! + base + i + 1, count: n - 1 - i)
            }
        }
        counts[id] = n - 1
        total -= 1
        if n == 1 {
            order.remove(at: p)
            mins.remove(at: p)
            free.append(id)
        } else if i == 0 {
            mins[p] = keys[base]
        }
    }

    @usableFromInline
    mutating func insert(key: Int64, lots newLots: Int64, at index: Int, block: Int, position: Int) {
        var id = block
        var i = index
        var p = position
        if counts[id] == Self.blockSize {
            // Split: the upper half moves to a new block placed right after this one.
            let half = Self.blockSize / 2
            let newID = allocateBlock()
            let from = id * Self.blockSize + half
            let to = newID * Self.blockSize
            keys.withUnsafeMutableBufferPointer { k in (k.baseAddress! + to).update(from: k.baseAddress! + from, count: half) }
            lots.withUnsafeMutableBufferPointer { l in (l.baseAddress! + to).update(from: l.baseAddress! + from, count: half) }
            counts[id] = half
            counts[newID] = half
            order.insert(newID, at: p + 1)
            mins.insert(keys[to], at: p + 1)
            if i > half {
                id = newID
                i -= half
                p += 1
            }
        }
        let base = id * Self.blockSize
        let n = counts[id]
        if i < n {
            keys.withUnsafeMutableBufferPointer { k in
                (k.baseAddress! + base + i + 1).update(from: k.baseAddress! + base + i, count: n - i)
            }
            lots.withUnsafeMutableBufferPointer { l in
                (l.baseAddress! + base + i + 1).update(from: l.baseAddress! + base + i, count: n - i)
            }
        }
        keys[base + i] = key
        lots[base + i] = newLots
        counts[id] = n + 1
        total += 1
        if i == 0 { mins[p] = key }
    }

    @usableFromInline
    mutating func allocateBlock() -> Int {
        if let id = free.popLast() { return id }
        // Grow (warm-up only): double the number of blocks.
        let old = counts.count
        keys.append(contentsOf: repeatElement(0, count: old * Self.blockSize))
        lots.append(contentsOf: repeatElement(0, count: old * Self.blockSize))
        counts.append(contentsOf: repeatElement(0, count: old))
        order.reserveCapacity(old * 2)
        mins.reserveCapacity(old * 2)
        free.reserveCapacity(old * 2)
        for id in (old + 1..<old * 2).reversed() { free.append(id) }
        return old
    }

    /// The best level (largest key), O(1).
    @inlinable
    var last: (key: Int64, lots: Int64)? {
        guard let id = order.last else { return nil }
        let at = id * Self.blockSize + counts[id] - 1
        return (keys[at], lots[at])
    }

    /// The level `index` places from the best end.
    @inlinable
    func fromBest(_ index: Int) -> (key: Int64, lots: Int64)? {
        guard index >= 0 && index < total else { return nil }
        var remaining = index
        var p = order.count - 1
        while p >= 0 {
            let id = order[p]
            let n = counts[id]
            if remaining < n {
                let at = id * Self.blockSize + n - 1 - remaining
                return (keys[at], lots[at])
            }
            remaining -= n
            p -= 1
        }
        return nil
    }

    @inlinable
    func lots(at key: Int64) -> Int64 {
        guard !order.isEmpty else { return 0 }
        let id = order[blockPosition(key)]
        let i = slot(key, in: id)
        let at = id * Self.blockSize + i
        return i < counts[id] && keys[at] == key ? lots[at] : 0
    }

    @inlinable
    mutating func removeAll() {
        for id in order {
            counts[id] = 0
            free.append(id)
        }
        order.removeAll(keepingCapacity: true)
        mins.removeAll(keepingCapacity: true)
        total = 0
    }
}
