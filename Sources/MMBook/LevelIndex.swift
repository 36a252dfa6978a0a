/// Open-addressing hash from a ladder key to its size (linear probing, backward-shift deletion, no
/// tombstones). Most diff levels change the size of a level that already exists; this answers those with
/// one or two probes, without searching the sorted ladder at all.
@usableFromInline
struct LevelIndex: Sendable {
    @usableFromInline static var empty: Int64 { .min }
    @usableFromInline var keys: ContiguousArray<Int64>
    @usableFromInline var values: ContiguousArray<Int64>
    @usableFromInline var shift: UInt64
    @usableFromInline var mask: Int
    @usableFromInline var count = 0

    @usableFromInline
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = ContiguousArray(repeating: Self.empty, count: size)
        values = ContiguousArray(repeating: 0, count: size)
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
        keys.withUnsafeBufferPointer { k -> (Int, Bool) in
            var i = home(key)
            while true {
                let stored = k[i]
                if stored == key { return (i, true) }
                if stored == Self.empty { return (i, false) }
                i = (i &+ 1) & mask
            }
        }
    }

    @inlinable
    func value(_ key: Int64) -> Int64 {
        let (i, found) = find(key)
        return found ? values[i] : 0
    }

    /// Stores a new key at the empty slot `find` returned; grows (warm-up only) past half full.
    @inlinable
    mutating func insert(_ key: Int64, _ value: Int64, at slot: Int) {
        keys[slot] = key
        values[slot] = value
        count += 1
        if count * 2 > keys.count { grow() }
    }

    /// Removes the key at `slot`, shifting later members of its probe run back so lookups need no tombstones.
    @inlinable
    mutating func remove(at slot: Int) {
        var hole = slot
        var i = (slot &+ 1) & mask
        while keys[i] != Self.empty {
            let h = home(keys[i])
            // Move i into the hole if its home is not in (hole, i] cyclically.
            let distanceToHome = (i &- h) & mask
            let distanceToHole = (i &- hole) & mask
            if distanceToHome >= distanceToHole {
                keys[hole] = keys[i]
                values[hole] = values[i]
                hole = i
            }
            i = (i &+ 1) & mask
        }
        keys[hole] = Self.empty
        values[hole] = 0
        count -= 1
    }

    @usableFromInline
    mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let size = keys.count * 2
        keys = ContiguousArray(repeating: Self.empty, count: size)
        values = ContiguousArray(repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        count = 0
        for j in 0..<oldKeys.count where oldKeys[j] != Self.empty {
            let (slot, _) = find(oldKeys[j])
            keys[slot] = oldKeys[j]
            values[slot] = oldValues[j]
            count += 1
        }
    }

    @inlinable
    mutating func removeAll() {
        guard count > 0 else { return }
        for j in 0..<keys.count { keys[j] = Self.empty }
        count = 0
    }
}
