/// One side of a book: levels sorted by an ascending key with the best level last, so that the touch,
/// where almost all changes happen, is found by a short search from the end and inserted with a short move.
///
/// Bids use `key = ticks`, asks `key = -ticks`; both sides then share this code.
@usableFromInline
struct Ladder: Sendable {
    @usableFromInline var keys: ContiguousArray<Int64>
    @usableFromInline var lots: ContiguousArray<Int64>

    @usableFromInline
    init(capacity: Int) {
        keys = []
        lots = []
        keys.reserveCapacity(capacity)
        lots.reserveCapacity(capacity)
    }

    @inlinable var count: Int { keys.count }

    /// Index of the first key `>= key`, searching outward from the best end.
    @inlinable
    func lowerBound(_ key: Int64) -> Int {
        keys.withUnsafeBufferPointer { k -> Int in
            let n = k.count
            if n == 0 || k[n - 1] < key { return n }
            // Gallop from the end: [lo, hi) brackets the answer.
            var hi = n - 1
            var step = 1
            var lo = hi - step
            while lo >= 0 && k[lo] >= key {
                hi = lo
                step <<= 1
                lo = hi - step
            }
            lo = max(lo + 1, 0)
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                if k[mid] < key { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// Sets the size at `key` (0 removes). Returns true if the level set changed shape (insert/remove).
    @inlinable
    @discardableResult
    mutating func set(key: Int64, lots newLots: Int64) -> Bool {
        let i = lowerBound(key)
        if i < keys.count && keys[i] == key {
            if newLots == 0 {
                keys.remove(at: i)
                lots.remove(at: i)
                return true
            }
            lots[i] = newLots
            return false
        }
        if newLots == 0 { return false }
        keys.insert(key, at: i)
        lots.insert(newLots, at: i)
        return true
    }

    @inlinable
    func lots(at key: Int64) -> Int64 {
        let i = lowerBound(key)
        return i < keys.count && keys[i] == key ? lots[i] : 0
    }

    @inlinable
    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        lots.removeAll(keepingCapacity: true)
    }
}
