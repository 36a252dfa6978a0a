/// One entry of a `KeyTable`.
@frozen
@usableFromInline
struct KeySlot: BitwiseCopyable {
    @usableFromInline var key: Int64
    @usableFromInline var value: Int64
    @inlinable init(key: Int64, value: Int64) {
        self.key = key
        self.value = value
    }
}

/// An open-addressing hash from `Int64` keys to `Int64` values over memory someone else owns (linear
/// probing, backward-shift deletion, no tombstones; `Int64.min` marks an empty slot, so it is not a key).
///
/// Key and value share a slot, so a lookup touches one cache line. The table neither counts nor grows:
/// its owner keeps it under half full, which bounds a probe run to a few slots.
@frozen
@usableFromInline
struct KeyTable: @unchecked Sendable {
    @usableFromInline static var empty: Int64 { .min }
    @usableFromInline let slots: UnsafeMutablePointer<KeySlot>
    @usableFromInline let mask: Int
    @usableFromInline let shift: UInt64

    /// A table of `size` slots (a power of two, at least 2), all empty.
    @usableFromInline
    init(size: Int) {
        precondition(size >= 2 && size & (size - 1) == 0, "KeyTable size must be a power of two")
        slots = .allocate(capacity: size)
        slots.initialize(repeating: KeySlot(key: Self.empty, value: 0), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inlinable var size: Int { mask &+ 1 }

    @inlinable @inline(always)
    func home(_ key: Int64) -> Int {
        // Fibonacci hashing: tick keys are multiples of the tick, whose low bits carry little.
        Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) &>> shift)
    }

    /// The slot holding `key`, or the empty slot where it would go, and whether it was found.
    @inlinable @inline(always)
    func find(_ key: Int64) -> (slot: Int, found: Bool) {
        var i = home(key)
        while true {
            let stored = slots[i].key
            if stored == key { return (i, true) }
            if stored == Self.empty { return (i, false) }
            i = (i &+ 1) & mask
        }
    }

    /// The value at `key`, or 0 when absent.
    @inlinable
    func value(_ key: Int64) -> Int64 {
        let (i, found) = find(key)
        return found ? slots[i].value : 0
    }

    /// Removes the entry at `slot`, moving later members of its probe run back so lookups need no tombstones.
    @inlinable
    func remove(at slot: Int) {
        var hole = slot
        var i = (slot &+ 1) & mask
        while true {
            let k = slots[i].key
            if k == Self.empty { break }
            // Move i into the hole unless its home lies cyclically in (hole, i].
            if (i &- home(k)) & mask >= (i &- hole) & mask {
                slots[hole] = slots[i]
                hole = i
            }
            i = (i &+ 1) & mask
        }
        slots[hole] = KeySlot(key: Self.empty, value: 0)
    }

    /// Empties every slot.
    @usableFromInline
    func clear() {
        slots.update(repeating: KeySlot(key: Self.empty, value: 0), count: size)
    }

    /// Inserts every entry of `other` (whose keys are absent here).
    @usableFromInline
    func insertAll(from other: KeyTable) {
        for j in 0..<other.size where other.slots[j].key != Self.empty {
            let (i, _) = find(other.slots[j].key)
            slots[i] = other.slots[j]
        }
    }

    /// Frees the slots.
    @usableFromInline
    func deallocate() { slots.deallocate() }
}
