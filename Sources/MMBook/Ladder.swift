import MMCore

/// One side of a book: the size at each price key, in key order, with the best (largest key) at hand.
/// Bids use `key = ticks`, asks `key = -ticks`.
///
/// Keys are grouped in pages of 4,096. A page that holds a level has a slot: the sizes of its keys in
/// one array, indexed by the key's low bits, and a presence bitmap, one bit per key with a summary
/// word per page; the occupied pages are kept in a sorted list. Setting a level is a page lookup (the
/// last page is cached: a diff's levels mostly share one), a store of the size and a store of its bit
/// and summary bit, the same instructions whether the level stays, comes or goes, so that no branch
/// depends on which it is (a coin flip on real diffs). When the best level goes, the next one is found
/// by scanning that word, then the page's summary, then the page below. Real diffs, which touch levels
/// all through the book, cost the same near the touch and far from it.
///
/// A page slot takes 32 KiB of sizes and 520 bytes of bits: a book whose levels span a few percent of
/// the price holds a few dozen pages a side. Storage is allocated up front and grows only during
/// warm-up (by doubling); steady-state updates do not allocate. The ladder is a value: a copy shares
/// storage until either side changes.
@usableFromInline
struct Ladder: Sendable {
    @usableFromInline static var pageShift: Int64 { 12 }
    @usableFromInline static var keysPerPage: Int { 4096 }
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

    /// A ladder with page slots for about `capacity` levels near one another (64 pages from 8,192 up);
    /// it grows past that.
    @usableFromInline
    init(capacity: Int) {
        var pages = 2
        while pages < 64 && pages * 128 < capacity { pages <<= 1 }
        storage = LadderStorage(pageCapacity: pages)
        freeCount = pages
    }

    @inlinable var count: Int { total }

    /// The best level (largest key), O(1).
    @inlinable
    var last: (key: Int64, lots: Int64)? { best == .min ? nil : (best, bestLots) }

    @inlinable
    func lots(at key: Int64) -> Int64 {
        guard let slot = existingSlot(key &>> Self.pageShift) else { return 0 }
        return storage.values[slot &<< 12 | Int(truncatingIfNeeded: key) & 4095]
    }

    // MARK: Mutation

    /// Makes the storage this ladder's own before it is written (a copy of the book may share it).
    @inlinable @inline(always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { regrow(pageCapacity: storage.pageCapacity) }
    }

    /// Sets the size at `key` (0 removes).
    @inlinable
    mutating func set(key: Int64, lots: Int64) {
        // `Int64.min` marks an empty side; no grid price maps to it.
        guard key != .min else { return }
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
            for level in buffer {
                guard let (t, l) = grid.units(level.price, level.quantity) else {
                    rejected &+= 1
                    continue
                }
                setOwned(key: sign &* t, lots: l)
            }
        }
        return rejected
    }

    /// `set` once the storage is known to be this ladder's own.
    @inlinable @inline(always)
    mutating func setOwned(key: Int64, lots: Int64) {
        let page = key &>> Self.pageShift
        var slot = cachedSlot
        if page != cachedPage {
            slot = self.slot(forWriting: page, creating: lots != 0)
            // A removal on a page with no level: nothing to do.
            if slot < 0 { return }
        }
        let i = Int(truncatingIfNeeded: key) & 4095
        let at = storage.values + (slot &<< 12 | i)
        let was: Int = at.pointee != 0 ? 1 : 0
        let now: Int = lots != 0 ? 1 : 0
        at.pointee = lots
        // The bit and the summary bit are computed and stored whether or not presence changed: masks, not
        // branches.
        let w = i &>> 6
        let b = UInt64(truncatingIfNeeded: i & 63)
        let wordAt = storage.words + (slot &<< 6 | w)
        let word = (wordAt.pointee & ~(1 &<< b)) | (UInt64(truncatingIfNeeded: now) &<< b)
        wordAt.pointee = word
        let summaryAt = storage.summaries + slot
        let filled: UInt64 = word != 0 ? 1 : 0
        let summary = (summaryAt.pointee & ~(1 &<< UInt64(truncatingIfNeeded: w))) | (filled &<< UInt64(truncatingIfNeeded: w))
        summaryAt.pointee = summary
        total &+= now &- was
        if key >= best {
            if now != 0 {
                best = key
                bestLots = lots
            } else if key == best {
                dropBest(key)
            }
        }
        if summary == 0 { removePage(page, slot: slot) }
    }

    /// The slot of `page` (now the cached one), a new one for it when `creating`, or -1 when it has none
    /// and is not to be created.
    @usableFromInline @inline(never)
    mutating func slot(forWriting page: Int64, creating: Bool) -> Int {
        let (i, found) = storage.pages.find(page)
        if found {
            cachedPage = page
            cachedSlot = Int(truncatingIfNeeded: storage.pages.slots[i].value)
            return cachedSlot
        }
        return creating ? newPage(page, at: i) : -1
    }

    /// The best level went: the next one below it becomes the best.
    @usableFromInline @inline(never)
    mutating func dropBest(_ key: Int64) {
        best = highestKey(below: key)
        bestLots = best == .min ? 0 : lots(at: best)
    }

    /// Takes a free slot for `page`, which has none (`entry` is where the page table's lookup stopped),
    /// and lists the page; the slot becomes the cached one.
    @usableFromInline
    mutating func newPage(_ page: Int64, at entry: Int) -> Int {
        var i = entry
        if freeCount == 0 {
            regrow(pageCapacity: storage.pageCapacity * 2)
            i = storage.pages.find(page).slot
        }
        freeCount -= 1
        let slot = Int(storage.freePages[freeCount])
        storage.pages.slots[i] = KeySlot(key: page, value: Int64(slot))
        let p = pagePosition(page)
        let sorted = storage.sorted
        if p < pageCount { (sorted + p + 1).update(from: sorted + p, count: pageCount - p) }
        sorted[p] = page
        pageCount += 1
        cachedPage = page
        cachedSlot = slot
        return slot
    }

    /// Returns an emptied page's slot (whose sizes are all zero again) to the free stack and unlists the page.
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

    /// Replaces the storage with a copy of the given size (growth during warm-up, or a shared book written).
    @usableFromInline
    mutating func regrow(pageCapacity: Int) {
        (storage, freeCount) = storage.copy(pageCapacity: pageCapacity, pageCount: pageCount, freeCount: freeCount)
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
                    return (key, storage.values[slot &<< 12 | Int(truncatingIfNeeded: key) & 4095])
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
                    body(key, storage.values[slot &<< 12 | Int(truncatingIfNeeded: key) & 4095])
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
                // Only the sizes present are non-zero: clearing them by their bits touches a few lines,
                // not the page's 32 KiB.
                var summary = storage.summaries[slot]
                while summary != 0 {
                    let w = summary.trailingZeroBitCount
                    var word = storage.words[slot &<< 6 | w]
                    while word != 0 {
                        storage.values[slot &<< 12 | w &<< 6 | word.trailingZeroBitCount] = 0
                        word &= word &- 1
                    }
                    storage.words[slot &<< 6 | w] = 0
                    summary &= summary &- 1
                }
                storage.summaries[slot] = 0
            }
            storage.pages.clear()
            let capacity = storage.pageCapacity
            for i in 0..<capacity { storage.freePages[i] = Int32(capacity - 1 - i) }
        } else {
            storage = LadderStorage(pageCapacity: storage.pageCapacity)
        }
        freeCount = storage.pageCapacity
        total = 0
        pageCount = 0
        best = .min
        bestLots = 0
        cachedPage = .min
    }
}
