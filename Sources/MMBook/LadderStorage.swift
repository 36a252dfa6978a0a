/// The memory behind a `Ladder`, allocated once and replaced only to grow (or to copy a shared book).
///
/// Everything is reached through `let` pointers, so the hot path pays no exclusivity checks and no
/// per-array uniqueness tests: the ladder checks that it owns its storage once per batch of levels.
@usableFromInline
final class LadderStorage: @unchecked Sendable {
    /// Sizes: page slot `s` owns `values[s * 4096 ..< s * 4096 + 4096]`, one per key of its page, zero
    /// where no level rests (and everywhere in a free slot).
    @usableFromInline let values: UnsafeMutablePointer<Int64>
    /// Page number → page slot, for the pages that hold at least one key.
    @usableFromInline let pages: KeyTable
    /// Presence bits: page slot `s` owns words `[s * 64, s * 64 + 64)`, one bit per key of its page.
    @usableFromInline let words: UnsafeMutablePointer<UInt64>
    /// Bit `w` of `summaries[s]` is set when word `w` of page slot `s` is non-zero.
    @usableFromInline let summaries: UnsafeMutablePointer<UInt64>
    /// Page numbers of the occupied pages, ascending (the ladder keeps their count).
    @usableFromInline let sorted: UnsafeMutablePointer<Int64>
    /// Unused page slots, a stack (the ladder keeps its height).
    @usableFromInline let freePages: UnsafeMutablePointer<Int32>
    @usableFromInline let pageCapacity: Int

    /// Empty storage for `pageCapacity` (a power of two) pages.
    @usableFromInline
    init(pageCapacity: Int) {
        values = .allocate(capacity: pageCapacity * Ladder.keysPerPage)
        // Written now, so that a page's first level does not fault a fresh page of memory in.
        values.initialize(repeating: 0, count: pageCapacity * Ladder.keysPerPage)
        pages = KeyTable(size: pageCapacity * 2)
        words = .allocate(capacity: pageCapacity * Ladder.wordsPerPage)
        words.initialize(repeating: 0, count: pageCapacity * Ladder.wordsPerPage)
        summaries = .allocate(capacity: pageCapacity)
        summaries.initialize(repeating: 0, count: pageCapacity)
        sorted = .allocate(capacity: pageCapacity)
        sorted.initialize(repeating: 0, count: pageCapacity)
        freePages = .allocate(capacity: pageCapacity)
        // Popped from the top: slot 0 first.
        for i in 0..<pageCapacity { (freePages + i).initialize(to: Int32(pageCapacity - 1 - i)) }
        self.pageCapacity = pageCapacity
    }

    deinit {
        values.deallocate()
        pages.deallocate()
        words.deallocate()
        summaries.deallocate()
        sorted.deallocate()
        freePages.deallocate()
    }

    /// Storage for `newCapacity` pages holding this one's contents; page slots keep their numbers, so a
    /// ladder's cached slot stays valid. `pageCount` and `freeCount` are the ladder's; returns the new
    /// free count.
    @usableFromInline
    func copy(pageCapacity newCapacity: Int, pageCount: Int, freeCount: Int) -> (LadderStorage, Int) {
        let new = LadderStorage(pageCapacity: newCapacity)
        new.values.update(from: values, count: pageCapacity * Ladder.keysPerPage)
        new.pages.insertAll(from: pages)
        new.words.update(from: words, count: pageCapacity * Ladder.wordsPerPage)
        new.summaries.update(from: summaries, count: pageCapacity)
        new.sorted.update(from: sorted, count: pageCount)
        // The new slots first (popped last), then the old free ones.
        var n = 0
        for s in stride(from: newCapacity - 1, through: pageCapacity, by: -1) {
            new.freePages[n] = Int32(s)
            n += 1
        }
        for i in 0..<freeCount {
            new.freePages[n] = freePages[i]
            n += 1
        }
        return (new, n)
    }
}
