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
