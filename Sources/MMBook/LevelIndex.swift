/// Open-addressing hash from a ladder key to its size (linear probing, backward-shift deletion, no
/// tombstones). Most diff levels change the size of a level that already exists; this answers those with
/// one or two probes, without searching the sorted ladder at all. Key and size share a slot, so a probe
/// touches one cache line.
@usableFromInline
struct LevelIndex: Sendable {
    @usableFromInline
    struct Slot: Sendable {
        @usableFromInline var key: Int64
        @usableFromInline var value: Int64
        @inlinable init(key: Int64, value: Int64) {
            self.key = key
            self.value = value
        }
    }

    @usableFromInline static var empty: Int64 { .min }
    @usableFromInline var slots: ContiguousArray<Slot>
    @usableFromInline var shift: UInt64
    @usableFromInline var mask: Int
    @usableFromInline var count = 0

    /// An index sized for about `capacity` levels at under half load; it grows past that.
    @usableFromInline
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = ContiguousArray(repeating: Slot(key: Self.empty, value: 0), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inlinable @inline(__always)
    func home(_ key: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding `key`, or the empty slot where it would go, and whether it was found.
    @inlinable @inline(__always)
    func find(_ key: Int64) -> (slot: Int, found: Bool) {
        slots.withUnsafeBufferPointer { s -> (Int, Bool) in
            var i = home(key)
            while true {
                let stored = s[i].key
                if stored == key { return (i, true) }
                if stored == Self.empty { return (i, false) }
                i = (i &+ 1) & mask
            }
        }
    }

    @inlinable
    func value(_ key: Int64) -> Int64 {
        let (i, found) = find(key)
        return found ? slots[i].value : 0
    }

    @inlinable
    mutating func update(at slot: Int, _ value: Int64) { slots[slot].value = value }

    /// Stores a new key at the empty slot `find` returned; grows (warm-up only) past half full.
    @inlinable
    mutating func insert(_ key: Int64, _ value: Int64, at slot: Int) {
        slots[slot] = Slot(key: key, value: value)
        count += 1
        if count * 2 > slots.count { grow() }
    }

    /// Removes the key at `slot`, shifting later members of its probe run back so lookups need no tombstones.
    @inlinable
    mutating func remove(at slot: Int) {
        var hole = slot
        var i = (slot &+ 1) & mask
        while slots[i].key != Self.empty {
            // Move i into the hole unless its home lies cyclically in (hole, i].
            if (i &- home(slots[i].key)) & mask >= (i &- hole) & mask {
                slots[hole] = slots[i]
                hole = i
            }
            i = (i &+ 1) & mask
        }
        slots[hole] = Slot(key: Self.empty, value: 0)
        count -= 1
    }

    @usableFromInline
    mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = ContiguousArray(repeating: Slot(key: Self.empty, value: 0), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        count = 0
        for entry in old where entry.key != Self.empty {
            let (slot, _) = find(entry.key)
            slots[slot] = entry
            count += 1
        }
    }

    @inlinable
    mutating func removeAll() {
        guard count > 0 else { return }
        for j in 0..<slots.count { slots[j] = Slot(key: Self.empty, value: 0) }
        count = 0
    }
}
