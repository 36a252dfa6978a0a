import MMCore

/// One side of a book: the size at each price key, in key order, with the best (largest key) at hand.
/// Bids use `key = ticks`, asks `key = -ticks`.
///
/// Sizes live in a hash (`KeyTable`), so the three quarters of diff levels that only change a size cost
/// one probe. Order lives in a paged presence bitmap: one bit per grid key, 4,096 keys a page, a summary
/// word per page and the occupied pages in a sorted list. A new or removed level flips a bit (and, when
/// a word empties, a summary bit); when the best level goes, the next one is found by scanning that
/// word, then the page's summary, then the page below. Nothing is sorted or moved per level, and real
/// diffs, which touch levels all through the book, cost the same near the touch and far from it.
///
/// Storage is allocated up front and grows only during warm-up (by doubling); steady-state updates do
/// not allocate. The ladder is a value: a copy shares storage until either side changes.
@usableFromInline
struct Ladder: Sendable {
    @usableFromInline static var pageShift: Int64 { 12 }
    @usableFromInline static var wordsPerPage: Int { 64 }

    @usableFromInline var storage: LadderStorage
    /// Levels present.
    @usableFromInline var total = 0
    /// Occupied pages (entries of `storage.sorted`).
    @usableFromInline var pageCount = 0
    /// Height of `storage.freePages`.
    @usableFromInline var freeCount: Int
    /// The largest key present (`Int64.min` when empty) and its size.
    @usableFromInline var best = Int64.min
    @usableFromInline var bestLots: Int64 = 0
    /// The page last looked up and its slot: consecutive levels of a diff mostly share a page.
    @usableFromInline var cachedPage = Int64.min
    @usableFromInline var cachedSlot = 0

    /// A ladder for about `capacity` levels; it grows past that.
    @usableFromInline
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        storage = LadderStorage(levelSlots: size, pageCapacity: 64)
        freeCount = 64
    }

    @inlinable var count: Int { total }

    /// The best level (largest key), O(1).
    @inlinable
    var last: (key: Int64, lots: Int64)? { best == .min ? nil : (best, bestLots) }

    @inlinable
    func lots(at key: Int64) -> Int64 { key == KeyTable.empty ? 0 : storage.levels.value(key) }

    // MARK: Mutation

    /// Makes the storage this ladder's own before it is written (a copy of the book may share it).
    @inlinable @inline(always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { regrow(levelSlots: storage.levels.size, pageCapacity: storage.pageCapacity) }
    }

    /// Sets the size at `key` (0 removes).
    @inlinable
    mutating func set(key: Int64, lots: Int64) {
        makeUnique()
        setOwned(key: key, lots: lots)
    }

    /// Sets each level of one side of a diff (`sign` maps ticks to keys); returns how many were off the grid.
    @inlinable
    mutating func apply(_ levels: LevelList, grid: Grid, sign: Int64) -> Int {
        if levels.isEmpty { return 0 }
        makeUnique()
        var rejected = 0
        levels.withUnsafeBufferPointer { buffer in
            // The table held in locals across levels: only a level that comes or goes can move it.
            var table = storage.levels
            for level in buffer {
                guard let (t, l) = grid.units(level.price, level.quantity) else {
                    rejected &+= 1
                    continue
                }
                if !setOwned(key: sign &* t, lots: l, in: table) { table = storage.levels }
            }
        }
        return rejected
    }

    /// `set` once the storage is known to be this ladder's own.
    @inlinable @inline(always)
    mutating func setOwned(key: Int64, lots: Int64) {
        _ = setOwned(key: key, lots: lots, in: storage.levels)
    }

    /// `setOwned(key:lots:)` through `table`, the storage's current table; false when a level came or went,
    /// which may have moved the table.
    @inlinable @inline(always)
    mutating func setOwned(key: Int64, lots: Int64, in table: KeyTable) -> Bool {
        let (slot, found) = table.find(key)
        if found && lots != 0 {
            table.slots[slot].value = lots
            if key == best { bestLots = lots }
            return true
        }
        change(key: key, lots: lots, slot: slot, found: found)
        return false
    }

    /// A level that comes or goes (or a removal of an absent one), given where `find` stopped. Inlined into
    /// the levels' loop: the call and the table reloaded after it cost more than the registers it takes
    /// (measured 2,978 → 2,887 instructions a diff on the p2-12 shape, and faster on the real recording).
    @inlinable @inline(__always)
    mutating func change(key: Int64, lots: Int64, slot: Int, found: Bool) {
        let table = storage.levels
        if found {
            table.remove(at: slot)
            total &-= 1
            clearBit(key)
            if key == best {
                best = highestKey(below: key)
                bestLots = best == .min ? 0 : table.value(best)
            }
            return
        }
        if lots == 0 || key == KeyTable.empty { return }
        if (total &+ 1) &* 2 > table.size {
            regrow(levelSlots: table.size * 2, pageCapacity: storage.pageCapacity)
            insertNew(key: key, lots: lots, slot: storage.levels.find(key).slot)
        } else {
            insertNew(key: key, lots: lots, slot: slot)
        }
    }

    @inlinable @inline(always)
    mutating func insertNew(key: Int64, lots: Int64, slot: Int) {
        storage.levels.slots[slot] = KeySlot(key: key, value: lots)
        total &+= 1
        setBit(key)
        if key > best {
            best = key
            bestLots = lots
        }
    }

    @inlinable @inline(always)
    mutating func setBit(_ key: Int64) {
        let page = key &>> Self.pageShift
        let slot = page == cachedPage ? cachedSlot : pageSlot(creating: page)
        let bit = Int(truncatingIfNeeded: key) & 4095
        let w = bit &>> 6
        (storage.words + (slot &<< 6) + w).pointee |= 1 &<< UInt64(truncatingIfNeeded: bit & 63)
        (storage.summaries + slot).pointee |= 1 &<< UInt64(truncatingIfNeeded: w)
    }

    @inlinable @inline(always)
    mutating func clearBit(_ key: Int64) {
        let page = key &>> Self.pageShift
        guard let slot = existingSlot(page) else { return }
        cachedPage = page
        cachedSlot = slot
        let bit = Int(truncatingIfNeeded: key) & 4095
        let w = bit &>> 6
        let wordAt = storage.words + (slot &<< 6) + w
        let word = wordAt.pointee & ~(1 &<< UInt64(truncatingIfNeeded: bit & 63))
        wordAt.pointee = word
        if word != 0 { return }
        let summaryAt = storage.summaries + slot
        let summary = summaryAt.pointee & ~(1 &<< UInt64(truncatingIfNeeded: w))
        summaryAt.pointee = summary
        if summary == 0 { removePage(page, slot: slot) }
    }

    /// The slot of `page`, taking a free one (and listing the page) if it has none yet.
    @usableFromInline
    mutating func pageSlot(creating page: Int64) -> Int {
        var (i, found) = storage.pages.find(page)
        let slot: Int
        if found {
            slot = Int(truncatingIfNeeded: storage.pages.slots[i].value)
        } else {
            if freeCount == 0 {
                regrow(levelSlots: storage.levels.size, pageCapacity: storage.pageCapacity * 2)
                i = storage.pages.find(page).slot
            }
            freeCount -= 1
            slot = Int(storage.freePages[freeCount])
            storage.pages.slots[i] = KeySlot(key: page, value: Int64(slot))
            let p = pagePosition(page)
            let sorted = storage.sorted
            if p < pageCount { (sorted + p + 1).update(from: sorted + p, count: pageCount - p) }
            sorted[p] = page
            pageCount += 1
        }
        cachedPage = page
        cachedSlot = slot
        return slot
    }

    /// Returns an emptied page's slot to the free stack and unlists the page.
    @usableFromInline
    mutating func removePage(_ page: Int64, slot: Int) {
        let (i, found) = storage.pages.find(page)
        if found { storage.pages.remove(at: i) }
        let p = pagePosition(page)
        let sorted = storage.sorted
        if p < pageCount - 1 { (sorted + p).update(from: sorted + p + 1, count: pageCount - 1 - p) }
        pageCount -= 1
        storage.freePages[freeCount] = Int32(truncatingIfNeeded: slot)
        freeCount += 1
        if cachedPage == page { cachedPage = .min }
    }

    /// Replaces the storage with a copy of the given sizes (growth during warm-up, or a shared book written).
    @usableFromInline
    mutating func regrow(levelSlots: Int, pageCapacity: Int) {
        (storage, freeCount) = storage.copy(
            levelSlots: levelSlots, pageCapacity: pageCapacity, pageCount: pageCount, freeCount: freeCount)
    }

    // MARK: Order

    /// The slot of `page` if it holds any key.
    @inlinable @inline(always)
    func existingSlot(_ page: Int64) -> Int? {
        if page == cachedPage { return cachedSlot }
        let (i, found) = storage.pages.find(page)
        return found ? Int(truncatingIfNeeded: storage.pages.slots[i].value) : nil
    }

    /// Index in the sorted page list of the first page `>= page`.
    @inlinable
    func pagePosition(_ page: Int64) -> Int {
        let sorted = storage.sorted
        var lo = 0
        var hi = pageCount
        while lo < hi {
            let mid = (lo &+ hi) &>> 1
            if sorted[mid] < page { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }

    /// The largest key present below `key`, or `Int64.min`.
    @inlinable
    func highestKey(below key: Int64) -> Int64 {
        let page = key &>> Self.pageShift
        if let slot = existingSlot(page) {
            let bit = Int(truncatingIfNeeded: key) & 4095
            let w = bit &>> 6
            let words = storage.words + (slot &<< 6)
            let lower = words[w] & ((1 &<< UInt64(truncatingIfNeeded: bit & 63)) &- 1)
            if lower != 0 { return Self.key(page, w, lower) }
            let summary = storage.summaries[slot] & ((1 &<< UInt64(truncatingIfNeeded: w)) &- 1)
            if summary != 0 { return highestKey(page: page, slot: slot, summary: summary) }
        }
        let p = pagePosition(page)
        if p == 0 { return .min }
        let previous = storage.sorted[p - 1]
        guard let slot = existingSlot(previous) else { return .min }
        return highestKey(page: previous, slot: slot, summary: storage.summaries[slot])
    }

    /// The highest key of a page among the words `summary` marks (non-zero).
    @inlinable
    func highestKey(page: Int64, slot: Int, summary: UInt64) -> Int64 {
        let w = 63 &- summary.leadingZeroBitCount
        return Self.key(page, w, storage.words[(slot &<< 6) &+ w])
    }

    /// The key of the highest bit of `word`, word `w` of `page`.
    @inlinable @inline(always)
    static func key(_ page: Int64, _ w: Int, _ word: UInt64) -> Int64 {
        page &<< pageShift | Int64(truncatingIfNeeded: w &<< 6 | (63 &- word.leadingZeroBitCount))
    }

    /// The level `rank` places from the best end.
    @inlinable
    func fromBest(_ rank: Int) -> (key: Int64, lots: Int64)? {
        guard rank >= 0 && rank < total else { return nil }
        var remaining = rank
        var p = pageCount - 1
        while p >= 0 {
            let page = storage.sorted[p]
            guard let slot = existingSlot(page) else { return nil }
            var summary = storage.summaries[slot]
            while summary != 0 {
                let w = 63 &- summary.leadingZeroBitCount
                var word = storage.words[(slot &<< 6) &+ w]
                let n = word.nonzeroBitCount
                if remaining < n {
                    for _ in 0..<remaining { word &= ~(1 &<< UInt64(63 &- word.leadingZeroBitCount)) }
                    let key = Self.key(page, w, word)
                    return (key, storage.levels.value(key))
                }
                remaining -= n
                summary &= ~(1 &<< UInt64(w))
            }
            p -= 1
        }
        return nil
    }

    /// Calls `body` with up to `limit` levels, best first, in one pass over the bitmap.
    @inlinable
    func forEachFromBest(limit: Int, _ body: (_ key: Int64, _ lots: Int64) -> Void) {
        var left = limit
        var p = pageCount - 1
        while p >= 0 && left > 0 {
            let page = storage.sorted[p]
            guard let slot = existingSlot(page) else { return }
            var summary = storage.summaries[slot]
            while summary != 0 && left > 0 {
                let w = 63 &- summary.leadingZeroBitCount
                var word = storage.words[(slot &<< 6) &+ w]
                while word != 0 && left > 0 {
                    let key = Self.key(page, w, word)
                    body(key, storage.levels.value(key))
                    word &= ~(1 &<< UInt64(63 &- word.leadingZeroBitCount))
                    left -= 1
                }
                summary &= ~(1 &<< UInt64(w))
            }
            p -= 1
        }
    }

    /// Removes every level, keeping the storage.
    @usableFromInline
    mutating func removeAll() {
        if isKnownUniquelyReferenced(&storage) {
            for p in 0..<pageCount {
                guard let slot = existingSlot(storage.sorted[p]) else { continue }
                (storage.words + (slot &<< 6)).update(repeating: 0, count: Self.wordsPerPage)
                storage.summaries[slot] = 0
            }
            storage.pages.clear()
            if total > 0 { storage.levels.clear() }
            let capacity = storage.pageCapacity
            for i in 0..<capacity { storage.freePages[i] = Int32(capacity - 1 - i) }
        } else {
            storage = LadderStorage(levelSlots: storage.levels.size, pageCapacity: storage.pageCapacity)
        }
        freeCount = storage.pageCapacity
        total = 0
        pageCount = 0
        best = .min
        bestLots = 0
        cachedPage = .min
    }
}
