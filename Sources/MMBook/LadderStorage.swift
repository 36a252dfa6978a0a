/// The memory behind a `Ladder`, allocated once and replaced only to grow (or to copy a shared book).
///
/// Everything is reached through `let` pointers, so the hot path pays no exclusivity checks and no
/// per-array uniqueness tests: the ladder checks that it owns its storage once per batch of levels.
@usableFromInline
final class LadderStorage: @unchecked Sendable {
    /// Size at each key.
    @usableFromInline let levels: KeyTable
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

    /// Empty storage: `levelSlots` (a power of two) hash slots and `pageCapacity` (a power of two) pages.
    @usableFromInline
    init(levelSlots: Int, pageCapacity: Int) {
        levels = KeyTable(size: levelSlots)
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
        levels.deallocate()
        pages.deallocate()
        words.deallocate()
        summaries.deallocate()
        sorted.deallocate()
        freePages.deallocate()
    }

    /// Storage of the given sizes holding this one's contents; page slots keep their numbers, so a
    /// ladder's cached slot stays valid. `pageCount` and `freeCount` are the ladder's; returns the new
    /// free count.
    @usableFromInline
    func copy(levelSlots: Int, pageCapacity newCapacity: Int, pageCount: Int, freeCount: Int) -> (LadderStorage, Int) {
        let new = LadderStorage(levelSlots: levelSlots, pageCapacity: newCapacity)
        new.levels.insertAll(from: levels)
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
