/// The single fixed-point scale used for every price, quantity and notional: 8 fraction digits.
public enum FixedPointScale {
    /// Number of decimal fraction digits carried by every fixed-point value.
    public static let fractionDigits = 8
    /// `10^fractionDigits`.
    public static let unit: Int64 = 100_000_000

    /// `10^(8 - n)` for `n` in `0...8`: the factor that lifts `n` parsed fraction digits to the scale.
    @inlinable
    public static func lift(fractionDigits n: Int) -> Int64 {
        switch n {
        case 0: return 100_000_000
        case 1: return 10_000_000
        case 2: return 1_000_000
        case 3: return 100_000
        case 4: return 10_000
        case 5: return 1_000
        case 6: return 100
        case 7: return 10
        default: return 1
        }
    }
}

/// Why a decimal text could not be read as a fixed-point value.
public enum DecimalError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// No bytes at all.
    case empty
    /// A sign or point with no digit where one is required, at this byte offset.
    case missingDigits(offset: Int)
    /// A byte that cannot appear in a plain decimal (exponents, second signs, letters, ...).
    case unexpectedByte(UInt8, offset: Int)
    /// More non-zero fraction digits than the 8 the scale holds; the value is refused, never rounded.
    case tooManyFractionDigits
    /// The value does not fit the Int64 fixed-point range.
    case overflow

    public var description: String {
        switch self {
        case .empty:
            return "empty number"
        case .missingDigits(let offset):
            return "missing digits at offset \(offset)"
        case .unexpectedByte(let byte, let offset):
            let shown = (0x20..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
            let hint = (byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")) ? " (exponent notation is not accepted)" : ""
            return "unexpected \(shown) at offset \(offset)\(hint)"
        case .tooManyFractionDigits:
            return "more than \(FixedPointScale.fractionDigits) significant fraction digits"
        case .overflow:
            return "number out of range"
        }
    }
}

/// Reads and writes plain ASCII decimals (`-?digits(.digits)?`) at the fixed-point scale without floating point.
public enum DecimalCodec {
    /// Scans a decimal starting at `start`, stopping at the first byte that cannot continue it.
    ///
    /// Returns the scaled value and the position after the last byte consumed. Fraction digits beyond the
    /// scale are accepted only when they are zeros. The caller decides whether the stop byte is acceptable.
    @inlinable
    public static func scan(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>
    ) throws(DecimalError) -> (value: Int64, next: UnsafePointer<UInt8>) {
        // Fast path: at most 18 digits cannot overflow a UInt64 accumulator, so no per-digit checks.
        var p = start
        guard p < end else { throw .empty }
        let negative = p.pointee == UInt8(ascii: "-")
        if negative { p += 1 }
        let intStart = p
        var mantissa: UInt64 = 0
        while p < end {
            let d = p.pointee &- 48
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            p += 1
        }
        let intDigits = intStart.distance(to: p)
        if intDigits == 0 { throw .missingDigits(offset: start.distance(to: p)) }
        var fractionDigits = 0
        if p < end && p.pointee == UInt8(ascii: ".") {
            p += 1
            let fracStart = p
            while p < end && fractionDigits < FixedPointScale.fractionDigits {
                let d = p.pointee &- 48
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                fractionDigits += 1
                p += 1
            }
            while p < end {
                let d = p.pointee &- 48
                if d > 9 { break }
                if d != 0 { throw .tooManyFractionDigits }
                p += 1
            }
            if p == fracStart { throw .missingDigits(offset: start.distance(to: p)) }
        }
        if intDigits + fractionDigits > 18 { return try scanWide(start, end) }
        let (scaled, overflow) = mantissa.multipliedReportingOverflow(
            by: UInt64(FixedPointScale.lift(fractionDigits: fractionDigits)))
        if overflow || scaled > UInt64(Int64.max) { throw .overflow }
        let value = Int64(scaled)
        return (negative ? -value : value, p)
    }

    /// The careful path for long digit strings (leading zeros, or values near the Int64 limit).
    @usableFromInline
    static func scanWide(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>
    ) throws(DecimalError) -> (value: Int64, next: UnsafePointer<UInt8>) {
        var p = start
        var negative = false
        if p.pointee == UInt8(ascii: "-") {
            negative = true
            p += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        while p < end {
            let d = p.pointee &- 48
            if d > 9 { break }
            if significant > 0 || d != 0 { significant += 1 }
            if significant > 19 { throw .overflow }
            mantissa = mantissa &* 10 &+ UInt64(d)
            p += 1
        }
        var fractionDigits = 0
        if p < end && p.pointee == UInt8(ascii: ".") {
            p += 1
            while p < end {
                let d = p.pointee &- 48
                if d > 9 { break }
                if fractionDigits < FixedPointScale.fractionDigits {
                    if significant > 0 || d != 0 { significant += 1 }
                    if significant > 19 { throw .overflow }
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    fractionDigits += 1
                }
                p += 1
            }
        }
        let (scaled, overflow) = mantissa.multipliedReportingOverflow(
            by: UInt64(FixedPointScale.lift(fractionDigits: fractionDigits)))
        if overflow || scaled > UInt64(Int64.max) { throw .overflow }
        let value = Int64(scaled)
        return (negative ? -value : value, p)
    }

    /// Parses a whole buffer as one decimal; any trailing byte is an error.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(DecimalError) -> Int64 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw .empty }
        let start = base.assumingMemoryBound(to: UInt8.self)
        let end = start + bytes.count
        let (value, next) = try scan(start, end)
        if next != end { throw .unexpectedByte(next.pointee, offset: start.distance(to: next)) }
        return value
    }

    /// Parses a string as one decimal; any trailing character is an error.
    public static func parse(_ text: some StringProtocol) throws(DecimalError) -> Int64 {
        var copy = String(text)
        let result: Result<Int64, DecimalError> = copy.withUTF8 { utf8 in
            do throws(DecimalError) {
                return .success(try parse(UnsafeRawBufferPointer(utf8)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Exact decimal text of a scaled value, with at least `minFractionDigits` fraction digits and no
    /// trailing zeros beyond them.
    public static func format(_ raw: Int64, minFractionDigits: Int = 0) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { write(raw, minFractionDigits: minFractionDigits, into: $0) }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Writes the exact decimal text of a scaled value into `out` (at least 30 bytes) and returns the
    /// number of bytes written. Allocation free; two digits per step from a table.
    @inlinable
    public static func write(_ raw: Int64, minFractionDigits: Int = 0, into out: UnsafeMutableRawBufferPointer) -> Int {
        precondition(out.count >= 30, "decimal output buffer too small")
        let minFrac = max(0, min(minFractionDigits, FixedPointScale.fractionDigits))
        let magnitude = raw.magnitude
        let unit = UInt64(FixedPointScale.unit)
        let integer = magnitude / unit
        let fraction = magnitude % unit
        let base = out.baseAddress!
        var n = 0
        if raw < 0 {
            base.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
            n = 1
        }
        // Integer digits, right-aligned in the top 24 of the 30 bytes, then moved down.
        let i = 6 + writeInteger(Int64(integer), rightAlignedIn: UnsafeMutableRawBufferPointer(rebasing: out[6..<30]))
        let intCount = 30 - i
        (base + n).copyMemory(from: base + i, byteCount: intCount)
        n += intCount
        guard fraction != 0 || minFrac > 0 else { return n }
        // All eight fraction digits, then the trailing zeros beyond `minFrac` dropped.
        base.storeBytes(of: UInt8(ascii: "."), toByteOffset: n, as: UInt8.self)
        var f = fraction
        var k = n + 9
        for _ in 0..<4 {
            let q = f / 100
            k -= 2
            base.storeBytes(of: DigitPairs.pair(Int(f &- q &* 100)), toByteOffset: k, as: UInt16.self)
            f = q
        }
        var digits = FixedPointScale.fractionDigits
        while digits > minFrac && base.load(fromByteOffset: n + digits, as: UInt8.self) == UInt8(ascii: "0") { digits -= 1 }
        return digits == 0 ? n : n + 1 + digits
    }
}

extension DecimalCodec {
    /// Writes the decimal digits of `value` (and its sign) right-aligned into the 24-byte `buf`; returns
    /// where they start. Allocation free.
    @inlinable
    public static func writeInteger(_ value: Int64, rightAlignedIn buf: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buf.count >= 24, "integer output buffer too small")
        var v = value.magnitude
        var i = 24
        while v >= 100 {
            let q = v / 100
            i -= 2
            buf.storeBytes(of: DigitPairs.pair(Int(v &- q &* 100)), toByteOffset: i, as: UInt16.self)
            v = q
        }
        if v >= 10 {
            i -= 2
            buf.storeBytes(of: DigitPairs.pair(Int(v)), toByteOffset: i, as: UInt16.self)
        } else {
            i -= 1
            buf[i] = UInt8(truncatingIfNeeded: 48 &+ v)
        }
        if value < 0 {
            i -= 1
            buf[i] = UInt8(ascii: "-")
        }
        return i
    }
}

/// Two digits as a little-endian byte pair, for writing them with one store.
public enum DigitPairs {
    /// `n` in 0...99 as its two ASCII digits.
    @inlinable @inline(__always)
    public static func pair(_ n: Int) -> UInt16 {
        let tens = (n &* 103) &>> 10  // n / 10 for n < 100
        return UInt16(truncatingIfNeeded: 48 &+ tens) | UInt16(truncatingIfNeeded: 48 &+ n &- tens &* 10) &<< 8
    }
}
