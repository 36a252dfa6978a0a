/// Eight-bytes-at-a-time reading of short quoted decimals, the form of nearly every number Binance sends
/// (`"63943.90"`, `"46.372"`). Lengths come from a digit mask and a trailing-zero count and digits are
/// combined with three multiplies, so there is no loop whose exit depends on the data.
///
/// Handles up to 7 integer and 7 fraction digits followed by the closing quote, with at least 17 bytes
/// readable from `start`; returns `nil` for anything else (the caller falls back to `DecimalCodec.scan`,
/// which also produces precise errors).
public enum SWARDecimal {
    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
    }

    /// High bit set in every byte that is not an ASCII digit.
    @inlinable @inline(__always)
    static func nonDigits(_ w: UInt64) -> UInt64 {
        let t = w ^ 0x3030_3030_3030_3030
        // A byte is a digit iff t < 10: adding 0x76 sets bit 7 for 10...127; `| t` catches 128...255.
        return (((t & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
    }

    /// The value of eight ASCII digits (or zero bytes), most significant first in memory.
    @inlinable @inline(__always)
    static func eightDigits(_ w: UInt64) -> UInt64 {
        var v = w & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    /// Reads digits `[.digits]"` at `p` (just after the opening quote), advancing `p` past the closing quote.
    @inlinable @inline(__always)
    public static func quoted(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
        #if _endian(little)
        let q = p
        guard q.distance(to: end) >= 17 else { return nil }
        let w = load(q)
        let nd = nonDigits(w)
        let intDigits = nd.trailingZeroBitCount >> 3
        guard intDigits > 0, intDigits < 8 else { return nil }
        var value = eightDigits(w << UInt64((8 - intDigits) * 8)) &* UInt64(FixedPointScale.unit)
        let stop = q[intDigits]
        if stop == UInt8(ascii: "\"") {
            p = q + intDigits + 1
            return Int64(value)
        }
        guard stop == UInt8(ascii: ".") else { return nil }
        let f = q + intDigits + 1
        let wf = load(f)
        let fractionDigits = nonDigits(wf).trailingZeroBitCount >> 3
        guard fractionDigits > 0, fractionDigits < 8, f[fractionDigits] == UInt8(ascii: "\"") else { return nil }
        value &+= eightDigits(wf & ((1 << UInt64(fractionDigits * 8)) &- 1))
        p = f + fractionDigits + 1
        return Int64(value)
        #else
        return nil
        #endif
    }
}
