/// Eight-bytes-at-a-time reading of the short numbers Binance sends: quoted decimals (`"63943.90"`,
/// `"46.372"`) and bare integers (update IDs, millisecond times). Lengths come from a digit mask and a
/// trailing-zero count and digits are combined with three multiplies, so there is no loop whose exit
/// depends on the data.
///
/// The readers load whole words, so each needs a few bytes readable past the number (see each); they
/// return `nil` for anything they do not handle, and the caller then falls back to `DecimalCodec.scan`,
/// which also produces precise errors.
public enum SWARDecimal {
    @inlinable @inline(always)
    public static func load(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
    }

    /// High bit set in every byte that is not an ASCII digit.
    @inlinable @inline(always)
    public static func nonDigits(_ w: UInt64) -> UInt64 {
        let t = w ^ 0x3030_3030_3030_3030
        // A byte is a digit iff t < 10: adding 0x76 sets bit 7 for 10...127; `| t` catches 128...255.
        return (((t & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
    }

    /// The value of eight ASCII digits (or zero bytes), most significant first in memory.
    @inlinable @inline(always)
    public static func eightDigits(_ w: UInt64) -> UInt64 {
        var v = w & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    /// `10^n` for `n` in `0...8`.
    @inlinable @inline(always)
    static func power(_ n: Int) -> UInt64 {
        UInt64(FixedPointScale.lift(fractionDigits: 8 &- n))
    }

    /// Where the point sits in a quoted decimal of a given number of fraction digits, and the masks that
    /// take it out. Binance prints every price of a symbol with the same fraction digits, and every
    /// quantity too, so a reader learns the shape from one number and checks the rest against it.
    ///
    /// A short shape is a number of at most eight bytes (`"63943.90"`): one load. A long one
    /// (`"60000.10000000"`, `"0.12300000"`: up to 7 integer and 8 fraction digits) is read with two loads,
    /// the fraction's length checked against the shape's.
    @frozen
    public struct Shape: Sendable {
        /// Bit distance from the point's flag to the closing quote's in a `nonDigits` mask: `8 × (f + 1)`.
        @usableFromInline var gap: Int
        /// Bytes below the point and above it, once the number's last byte is the word's top byte.
        @usableFromInline var below: UInt64
        @usableFromInline var above: UInt64
        /// `10^(8 - f)`.
        @usableFromInline var scale: UInt64

        /// No shape yet: matches nothing.
        public static var unknown: Shape { Shape(gap: -1, below: 0, above: 0, scale: 0) }

        @inlinable init(gap: Int, below: UInt64, above: UInt64, scale: UInt64) {
            self.gap = gap
            self.below = below
            self.above = above
            self.scale = scale
        }

        /// The short shape of `fractionDigits` (`1...6`) fraction digits.
        @inlinable init(fractionDigits f: Int) {
            let cut = UInt64(truncatingIfNeeded: (7 &- f) &* 8)
            let below = (1 &<< cut) &- 1
            self.init(gap: (f &+ 1) &* 8, below: below, above: ~((below &<< 8) | 0xFF), scale: power(8 &- f))
        }

        /// The long shape of `fractionDigits` (`1...8`) fraction digits: numbers of more than eight bytes.
        /// Its `gap` is `-(f + 1)`, which no short number matches; `below` masks the fraction's bytes.
        @inlinable init(longFractionDigits f: Int) {
            let mask: UInt64 = f == 8 ? ~0 : (1 &<< UInt64(truncatingIfNeeded: f &* 8)) &- 1
            self.init(gap: -(f &+ 1), below: mask, above: 0, scale: 0)
        }

        /// The shape's fraction digits (`1...8`); 0 for `unknown`.
        @inlinable public var fractionDigits: Int { gap > 0 ? gap &>> 3 &- 1 : -gap &- 1 }

        /// A long shape's fraction digits (`1...8`); 0 for a short shape or none.
        @inlinable public var longFraction: Int { gap < -1 ? -gap &- 1 : 0 }

        /// Bytes a reader of this shape may touch from the number's first byte: 9 for a short shape, 17
        /// for a long one.
        @inlinable public var readLength: Int { gap < -1 ? 17 : 9 }
    }

    /// A number of a long shape (`1...7` integer digits, the shape's fraction digits, the closing quote),
    /// with 17 bytes readable at `p`; `nil`, leaving `p`, for anything else.
    @inlinable @inline(always)
    public static func longQuoted(_ p: inout UnsafePointer<UInt8>, in shape: Shape) -> Int64? {
        #if _endian(little)
        let q = p
        let w = load(q)
        let intDigits = nonDigits(w).trailingZeroBitCount &>> 3
        let f = q + intDigits + 1
        guard UInt(bitPattern: intDigits &- 1) < 7, q[intDigits] == 0x2E, f[-shape.gap &- 1] == 0x22 else { return nil }
        let wf = load(f)
        // Every fraction byte a digit: the flags of the bytes the mask keeps are clear.
        guard nonDigits(wf) & shape.below == 0 else { return nil }
        let integer = eightDigits(w &<< UInt64(truncatingIfNeeded: (8 &- intDigits) &* 8)) &* UInt64(FixedPointScale.unit)
        p = f - shape.gap
        return Int64(truncatingIfNeeded: integer &+ eightDigits(wf & shape.below))
        #else
        return nil
        #endif
    }

    /// A number in `shape`, short or long, with `shape.readLength` bytes readable at `p`; `nil`, leaving
    /// `p`, for anything else.
    @inlinable @inline(always)
    public static func quotedAnyLength(_ p: inout UnsafePointer<UInt8>, in shape: Shape) -> Int64? {
        shape.gap < -1 ? longQuoted(&p, in: shape) : quoted(&p, in: shape)
    }

    /// The first form of `quoted(_:_:shape:)` alone: a number of at most eight bytes in a short `shape`,
    /// with 9 bytes readable at `p` (the caller's check); `nil`, leaving `p`, for anything else (a long
    /// shape included).
    @inlinable @inline(always)
    public static func quoted(_ p: inout UnsafePointer<UInt8>, in shape: Shape) -> Int64? {
        #if _endian(little)
        let q = p
        let w = load(q)
        let flags = nonDigits(w)
        // Bit 7 of the byte at the point, and of the byte at the closing quote (the ninth byte's when the
        // number fills the word).
        let point = flags.trailingZeroBitCount
        let second = flags & (flags &- 1)
        let close = second != 0 ? second.trailingZeroBitCount : 71
        guard close &- point == shape.gap && point >= 8 && q[point &>> 3] == 0x2E && q[close &>> 3] == 0x22 else { return nil }
        // The number's last digit to the top byte, the point then squeezed out: one 8-digit conversion.
        let aligned = w &<< UInt64(truncatingIfNeeded: 71 &- close)
        let digits = ((aligned & shape.below) &<< 8) | (aligned & shape.above)
        p = q + (close &>> 3) + 1
        return Int64(truncatingIfNeeded: eightDigits(digits) &* shape.scale)
        #else
        return nil
        #endif
    }

    /// Reads digits `[.digits]"` at `p` (just after the opening quote), advancing `p` past the closing quote:
    /// up to 7 integer and 8 fraction digits. A number of at most eight bytes in `shape` (`"63943.90"`,
    /// `"0.010"`) takes one load and one digit conversion; others learn their shape for the next number
    /// when they are that short, or take two loads. Needs 9 readable bytes for the first form, 16 for the
    /// others.
    @inlinable @inline(always)
    public static func quoted(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, shape: inout Shape) -> Int64? {
        #if _endian(little)
        let readable = p.distance(to: end)
        guard readable >= shape.readLength else { return nil }
        if let value = quotedAnyLength(&p, in: shape) { return value }
        let q = p
        guard readable >= 16 else { return nil }
        let w = load(q)
        let intDigits = nonDigits(w).trailingZeroBitCount &>> 3
        // 1...7 integer digits (unsigned: no digit at all wraps around and is refused too).
        guard UInt(bitPattern: intDigits &- 1) < 7 else { return nil }
        let integer = eightDigits(w &<< UInt64(truncatingIfNeeded: (8 &- intDigits) &* 8)) &* UInt64(FixedPointScale.unit)
        let stop = q[intDigits]
        if stop == 0x22 {
            p = q + intDigits + 1
            return Int64(truncatingIfNeeded: integer)
        }
        guard stop == 0x2E else { return nil }
        let f = q + intDigits + 1
        let wf = load(f)
        let fractionDigits = nonDigits(wf).trailingZeroBitCount &>> 3
        // Eight fraction digits (`"60000.10000000"`, as some symbols print) fill the word: the closing quote
        // is then the 17th byte at most, which must be readable too.
        guard fractionDigits > 0, fractionDigits < 8 || readable > intDigits &+ 9, f[fractionDigits] == 0x22 else { return nil }
        // Learn the number's shape, except a long number of the short shape's fraction digits (a price past
        // 99999.99 in a stream of shorter ones): the short reader stays, and long numbers like it take this
        // path, as they are rare there; switching would send every short number here instead.
        if intDigits &+ fractionDigits < 8 {
            shape = Shape(fractionDigits: fractionDigits)
        } else if shape.longFraction != 0 || shape.gap != (fractionDigits &+ 1) &* 8 {
            shape = Shape(longFractionDigits: fractionDigits)
        }
        p = f + fractionDigits + 1
        let mask: UInt64 = fractionDigits == 8 ? ~0 : (1 &<< UInt64(truncatingIfNeeded: fractionDigits &* 8)) &- 1
        return Int64(truncatingIfNeeded: integer &+ eightDigits(wf & mask))
        #else
        return nil
        #endif
    }

    /// Reads a bare integer of 1 to 15 digits at `p`, advancing `p` past it; `nil` when there is no digit,
    /// more than 15 of them, or fewer than 16 readable bytes. The caller checks the byte that follows.
    @inlinable @inline(always)
    public static func integer(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
        #if _endian(little)
        guard p.distance(to: end) >= 16 else { return nil }
        let w0 = load(p)
        let m0 = nonDigits(w0)
        if m0 != 0 {
            let n = m0.trailingZeroBitCount &>> 3
            guard n > 0 else { return nil }
            p += n
            return Int64(truncatingIfNeeded: eightDigits(w0 &<< UInt64(truncatingIfNeeded: (8 &- n) &* 8)))
        }
        let w1 = load(p + 8)
        let m1 = nonDigits(w1)
        guard m1 != 0 else { return nil }
        let k = m1.trailingZeroBitCount &>> 3
        let high = eightDigits(w0)
        p += 8 &+ k
        if k == 0 { return Int64(truncatingIfNeeded: high) }
        let lowPart = eightDigits(w1 &<< UInt64(truncatingIfNeeded: (8 &- k) &* 8))
        return Int64(truncatingIfNeeded: high &* power(k) &+ lowPart)
        #else
        return nil
        #endif
    }
}
