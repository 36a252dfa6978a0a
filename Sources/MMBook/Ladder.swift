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
    /// Slot storage: block `id` owns `[id * blockSize, (id + 1) * blockSize)`; unused slots hold
    /// `Int64.max` so a block is always searched as 64 sorted keys, in a fixed number of steps.
    @usableFromInline var keys: ContiguousArray<Int64>
    /// Levels used in each block, by block id.
    @usableFromInline var counts: ContiguousArray<Int>
    /// Block ids in ascending key order.
    @usableFromInline var order: ContiguousArray<Int>
    /// First key of each block, parallel to `order`, padded to a power of two with `Int64.max` so the
    /// search over it has a fixed number of steps.
    @usableFromInline var mins: ContiguousArray<Int64>
    /// Recycled block ids.
    @usableFromInline var free: ContiguousArray<Int>
    @usableFromInline var total = 0
    /// Size of every level by key: updates of existing levels never touch the sorted blocks.
    @usableFromInline var index: LevelIndex

    @usableFromInline
    init(capacity: Int) {
        var blocks = 4
        while blocks < (capacity * 2) / Self.blockSize + 1 { blocks <<= 1 }
        keys = ContiguousArray(repeating: .max, count: blocks * Self.blockSize)
        counts = ContiguousArray(repeating: 0, count: blocks)
        order = []
        order.reserveCapacity(blocks)
        mins = ContiguousArray(repeating: .max, count: blocks)
        free = ContiguousArray((0..<blocks).reversed())
        free.reserveCapacity(blocks)
        index = LevelIndex(capacity: capacity)
    }

    @inlinable var count: Int { total }

    /// Position in `order` of the block that holds (or would hold) `key`: the last block whose first key
    /// is `<= key`, or 0: a fixed number of halving steps over the sentinel-padded first keys.
    @inlinable
    func blockPosition(_ key: Int64) -> Int {
        // Entries past the used blocks are Int64.max, so the smallest power of two covering the used
        // blocks is as good as the whole padded array, and shorter. (Forcing this loop branch-free by
        // unrolling measured slower: the predicted branch lets the next load start early.)
        let used = order.count
        let span = used <= 1 ? 1 : 1 << (Int.bitWidth - (used - 1).leadingZeroBitCount)
        return mins.withUnsafeBufferPointer { m -> Int in
            var i = 0
            var half = span >> 1
            while half > 0 {
                i &+= half & -Int(unsafeBitCast(m[i &+ half &- 1] <= key, to: UInt8.self))
                half >>= 1
            }
            i &+= Int(unsafeBitCast(m[i] <= key, to: UInt8.self))
            return max(i &- 1, 0)
        }
    }

    /// Index within block `id` of the first key `>= key` (0...64): seven mask-and-add steps over 64 sorted keys.
    @inlinable
    func slot(_ key: Int64, in id: Int) -> Int {
        keys.withUnsafeBufferPointer { k -> Int in
            let b = k.baseAddress! + id &* Self.blockSize
            var i = 0
            i &+= 32 & -Int(unsafeBitCast(b[i &+ 31] < key, to: UInt8.self))
            i &+= 16 & -Int(unsafeBitCast(b[i &+ 15] < key, to: UInt8.self))
            i &+= 8 & -Int(unsafeBitCast(b[i &+ 7] < key, to: UInt8.self))
            i &+= 4 & -Int(unsafeBitCast(b[i &+ 3] < key, to: UInt8.self))
            i &+= 2 & -Int(unsafeBitCast(b[i &+ 1] < key, to: UInt8.self))
            i &+= 1 & -Int(unsafeBitCast(b[i] < key, to: UInt8.self))
            i &+= Int(unsafeBitCast(b[i] < key, to: UInt8.self))
            return i
        }
    }

    /// Sets the size at `key` (0 removes).
    @inlinable
    mutating func set(key: Int64, lots newLots: Int64) {
        let (slot, found) = index.find(key)
        if found {
            if newLots != 0 {
                index.update(at: slot, newLots)
                return
            }
            index.remove(at: slot)
            removeKey(key)
            return
        }
        if newLots == 0 { return }
        index.insert(key, newLots, at: slot)
        insertKey(key)
    }

    /// Removes a key known to be present from the sorted blocks.
    @inlinable
    mutating func removeKey(_ key: Int64) {
        let p = blockPosition(key)
        let id = order[p]
        remove(at: slot(key, in: id), block: id, position: p)
    }

    /// Inserts a key known to be absent into the sorted blocks.
    @inlinable
    mutating func insertKey(_ key: Int64) {
        if order.isEmpty {
            let id = allocateBlock()
            order.append(id)
            mins[0] = key
            keys[id * Self.blockSize] = key
            counts[id] = 1
            total = 1
            return
        }
        let p = blockPosition(key)
        let id = order[p]
        insert(key: key, at: slot(key, in: id), block: id, position: p)
    }

    @usableFromInline
    mutating func remove(at i: Int, block id: Int, position p: Int) {
        let base = id * Self.blockSize
        let n = counts[id]
        if i < n - 1 {
            keys.withUnsafeMutableBufferPointer { k in
                (k.baseAddress! + base + i).update(from: k.baseAddress! + base + i + 1, count: n - 1 - i)
            }
        }
        keys[base + n - 1] = .max
        counts[id] = n - 1
        total -= 1
        if n == 1 {
            let used = order.count
            order.remove(at: p)
            mins.withUnsafeMutableBufferPointer { m in
                if p < used - 1 { (m.baseAddress! + p).update(from: m.baseAddress! + p + 1, count: used - 1 - p) }
                m[used - 1] = .max
            }
            free.append(id)
        } else if i == 0 {
            mins[p] = keys[base]
        }
    }

    @usableFromInline
    mutating func insert(key: Int64, at position0: Int, block: Int, position: Int) {
        var id = block
        var i = position0
        var p = position
        if counts[id] == Self.blockSize {
            // Split: the upper half moves to a new block placed right after this one.
            let half = Self.blockSize / 2
            let newID = allocateBlock()
            let from = id * Self.blockSize + half
            let to = newID * Self.blockSize
            keys.withUnsafeMutableBufferPointer { k in
                (k.baseAddress! + to).update(from: k.baseAddress! + from, count: half)
                (k.baseAddress! + from).update(repeating: .max, count: half)
            }
            counts[id] = half
            counts[newID] = half
            let used = order.count
            order.insert(newID, at: p + 1)
            let newMin = keys[to]
            mins.withUnsafeMutableBufferPointer { m in
                if p + 1 < used { (m.baseAddress! + p + 2).update(from: m.baseAddress! + p + 1, count: used - p - 1) }
                m[p + 1] = newMin
            }
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
        }
        keys[base + i] = key
        counts[id] = n + 1
        total += 1
        if i == 0 { mins[p] = key }
    }

    @usableFromInline
    mutating func allocateBlock() -> Int {
        if let id = free.popLast() { return id }
        // Grow (warm-up only): double the number of blocks.
        let old = counts.count
        keys.append(contentsOf: repeatElement(.max, count: old * Self.blockSize))
        counts.append(contentsOf: repeatElement(0, count: old))
        order.reserveCapacity(old * 2)
        mins.append(contentsOf: repeatElement(.max, count: old))
        free.reserveCapacity(old * 2)
        for id in (old + 1..<old * 2).reversed() { free.append(id) }
        return old
    }

    /// The best level (largest key), O(1).
    @inlinable
    var last: (key: Int64, lots: Int64)? {
        guard let id = order.last else { return nil }
        let key = keys[id * Self.blockSize + counts[id] - 1]
        return (key, index.value(key))
    }

    /// The level `rank` places from the best end.
    @inlinable
    func fromBest(_ rank: Int) -> (key: Int64, lots: Int64)? {
        guard rank >= 0 && rank < total else { return nil }
        var remaining = rank
        var p = order.count - 1
        while p >= 0 {
            let id = order[p]
            let n = counts[id]
            if remaining < n {
                let key = keys[id * Self.blockSize + n - 1 - remaining]
                return (key, index.value(key))
            }
            remaining -= n
            p -= 1
        }
        return nil
    }

    /// Calls `body` with up to `limit` levels, best first, in one pass over the blocks.
    @inlinable
    func forEachFromBest(limit: Int, _ body: (_ key: Int64, _ lots: Int64) -> Void) {
        var left = limit
        var p = order.count - 1
        while p >= 0 && left > 0 {
            let id = order[p]
            var i = counts[id] - 1
            while i >= 0 && left > 0 {
                let key = keys[id * Self.blockSize + i]
                body(key, index.value(key))
                i -= 1
                left -= 1
            }
            p -= 1
        }
    }

    @inlinable
    func lots(at key: Int64) -> Int64 { index.value(key) }

    @inlinable
    mutating func removeAll() {
        for id in order {
            let base = id * Self.blockSize
            for i in 0..<counts[id] { keys[base + i] = .max }
            counts[id] = 0
            free.append(id)
        }
        for p in 0..<order.count { mins[p] = .max }
        order.removeAll(keepingCapacity: true)
        total = 0
        index.removeAll()
    }
}
