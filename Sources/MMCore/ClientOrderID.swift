/// Our ID for an order (Binance `newClientOrderId`): 1–36 characters of `[.A-Za-z0-9:/_-]`, stored inline
/// so that order commands cross thread rings without allocating.
@frozen
public struct ClientOrderID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible, Comparable {
    /// Longest ID Binance accepts.
    public static let capacity = 36
    @usableFromInline var w0: UInt64 = 0
    @usableFromInline var w1: UInt64 = 0
    @usableFromInline var w2: UInt64 = 0
    @usableFromInline var w3: UInt64 = 0
    @usableFromInline var w4: UInt32 = 0
    @usableFromInline var length: UInt8 = 0

    /// Number of bytes.
    @inlinable public var count: Int { Int(length) }

    /// The empty ID (a placeholder; never sent).
    @inlinable public init() {}

    /// Reads an ID from bytes; `nil` if empty, longer than 36 or holding a character Binance refuses.
    @inlinable
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, bytes.count <= ClientOrderID.capacity else { return nil }
        let ok = withUnsafeMutableBytes(of: &self) { out -> Bool in
            for i in 0..<bytes.count {
                let b = bytes[i]
                guard ClientOrderID.isAllowed(b) else { return false }
                out[i] = b
            }
            return true
        }
        guard ok else { return nil }
        length = UInt8(bytes.count)
    }

    /// Reads an ID from text; `nil` when Binance would refuse it.
    public init?(_ text: some StringProtocol) {
        var copy = String(text)
        guard let value = copy.withUTF8({ ClientOrderID(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    /// `prefix` followed by the decimal digits of `sequence` (no allocation).
    @inlinable
    public init?(prefix: ClientOrderID, sequence: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let n = withUnsafeMutableBytes(of: &digits) { d -> Int in
            var v = sequence
            var i = 20
            repeat {
                i -= 1
                d[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            return 20 - i
        }
        guard prefix.count + n <= ClientOrderID.capacity else { return nil }
        self = prefix
        let start = prefix.count
        withUnsafeBytes(of: &digits) { d in
            withUnsafeMutableBytes(of: &self) { out in
                for k in 0..<n { out[start + k] = d[20 - n + k] }
            }
        }
        length = UInt8(start + n)
    }

    @inlinable
    static func isAllowed(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// The ID's bytes.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Whether the ID starts with `prefix` (orders of this engine carry its prefix).
    public func hasPrefix(_ prefix: ClientOrderID) -> Bool {
        guard prefix.count <= count else { return false }
        return withBytes { a in prefix.withBytes { b in a.prefix(b.count).elementsEqual(b) } }
    }

    public var description: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    public static func < (lhs: ClientOrderID, rhs: ClientOrderID) -> Bool { lhs.description < rhs.description }
}
