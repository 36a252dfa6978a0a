/// An exchange symbol such as `BTCUSDT`, stored inline (up to 32 ASCII bytes) so that it can be read from
/// wire bytes and compared without allocating.
@frozen
public struct Symbol: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible, Comparable {
    /// Maximum number of bytes a symbol may hold.
    public static let capacity = 32
    @usableFromInline var w0: UInt64 = 0
    @usableFromInline var w1: UInt64 = 0
    @usableFromInline var w2: UInt64 = 0
    @usableFromInline var w3: UInt64 = 0
    @usableFromInline var length: UInt8 = 0
    /// Number of bytes.
    @inlinable public var count: Int { Int(length) }

    /// The empty symbol.
    public init() {}

    /// Reads a symbol from bytes, upper-casing ASCII letters; `nil` if empty, too long, or not printable ASCII.
    @inlinable
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, bytes.count <= Symbol.capacity else { return nil }
        self.init()
        let ok = withUnsafeMutableBytes(of: &self) { out -> Bool in
            for i in 0..<bytes.count {
                var b = bytes[i]
                if b <= 0x20 || b >= 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
                if b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") { b -= 32 }
                out[i] = b
            }
            return true
        }
        guard ok else { return nil }
        length = UInt8(bytes.count)
    }

    /// `init?(bytes:)` for the `count` bytes at `start`, a word at a time: symbols of up to 16 bytes take
    /// two loads when 16 bytes are readable from `start` (`readable`), instead of a loop over the bytes.
    @inlinable @inline(always)
    public init?(bytes start: UnsafePointer<UInt8>, count: Int, readable: Int) {
        #if _endian(little)
        guard count > 0, count <= 16, readable >= 16 else {
            self.init(bytes: UnsafeRawBufferPointer(start: start, count: count))
            return
        }
        let raw = UnsafeRawPointer(start)
        let lowMask: UInt64 = count >= 8 ? ~0 : (1 &<< UInt64(count &* 8)) &- 1
        let highMask: UInt64 = count <= 8 ? 0 : count == 16 ? ~0 : (1 &<< UInt64((count &- 8) &* 8)) &- 1
        guard let w0 = Symbol.word(raw.loadUnaligned(as: UInt64.self), lowMask),
            let w1 = Symbol.word(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), highMask)
        else { return nil }
        self.init()
        self.w0 = w0
        self.w1 = w1
        length = UInt8(count)
        #else
        self.init(bytes: UnsafeRawBufferPointer(start: start, count: count))
        #endif
    }

    /// The bytes of `w` under `mask`, upper-cased, or `nil` if one of them is not printable ASCII or is
    /// `"` or `\\` (the rules of `init?(bytes:)`).
    @inlinable @inline(always)
    static func word(_ w: UInt64, _ mask: UInt64) -> UInt64? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        // Bytes outside the mask read as "A", which passes every test.
        let v = (w & mask) | (0x4141_4141_4141_4141 & ~mask)
        @inline(__always) func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & high != 0 }
        let belowSpace = (v &- 0x2121_2121_2121_2121) & ~v & high != 0
        if v & high != 0 || belowSpace || hasZero(v ^ 0x7F7F_7F7F_7F7F_7F7F) || hasZero(v ^ 0x2222_2222_2222_2222)
            || hasZero(v ^ 0x5C5C_5C5C_5C5C_5C5C)
        {
            return nil
        }
        // Bit 7 of (b + 0x1F) is set for b >= "a", of (b + 0x05) for b > "z"; no byte carries (all < 0x80).
        let lower = (v &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(v &+ 0x0505_0505_0505_0505) & high
        return (v ^ (lower &>> 2)) & mask
    }

    /// Reads a symbol from text (upper-cased); `nil` if empty, too long, or not printable ASCII.
    public init?(_ text: some StringProtocol) {
        var copy = String(text)
        guard let value = copy.withUTF8({ Symbol(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    /// The symbol's bytes.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    public var description: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// Lower-case form used in stream names (`btcusdt@depth`).
    public var lowercased: String { description.lowercased() }

    public var isEmpty: Bool { count == 0 }

    public static func < (lhs: Symbol, rhs: Symbol) -> Bool { lhs.description < rhs.description }
}

/// Dense index of an instrument within the engine's instrument table.
@frozen
public struct InstrumentID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    public var description: String { "#\(rawValue)" }
}
