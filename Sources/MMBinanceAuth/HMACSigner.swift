import CSigning

/// Binance's HMAC-SHA256 request signature: the lower-case hex HMAC of `totalParams` (the query string
/// followed directly by the request body) under the API secret.
///
/// The key's inner and outer hash states are computed once, so a signature costs two hash-state copies and
/// the message's compressions, and allocates nothing when written into a caller's buffer.
public struct HMACSigner: Sendable {
    private let key: KeyState

    /// A signer for `secret`. The secret is held only as hash states; it is never printed.
    public init(secret: String) {
        key = KeyState(secret: Array(secret.utf8))
    }

    /// The hex signature of `payload`.
    public func signature(of payload: some Sequence<UInt8>) -> String {
        var hex: [UInt8] = []
        sign(Array(payload), into: &hex)
        return String(decoding: hex, as: UTF8.self)
    }

    /// The hex signature of a string payload.
    public func signature(of payload: String) -> String { signature(of: Array(payload.utf8)) }

    /// Writes the 64 hex digits of the signature of `payload` into `hex` (replacing its contents).
    public func sign(_ payload: [UInt8], into hex: inout [UInt8]) {
        var mac: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &mac) { m in
            payload.withUnsafeBufferPointer { p in
                mm_hmac_sha256(key.pointer, p.baseAddress, p.count, m.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        hex.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: &mac) { m in
            for b in m {
                hex.append(Hex.digits[Int(b >> 4)])
                hex.append(Hex.digits[Int(b & 0x0F)])
            }
        }
    }

    /// Writes the 64 lower-case hex digits of the signature of `payload` into `hex` (at least 64 bytes).
    /// Allocation free.
    public func sign(_ payload: UnsafeRawBufferPointer, hexInto hex: UnsafeMutableRawBufferPointer) {
        precondition(hex.count >= 64)
        var mac: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &mac) { m in
            mm_hmac_sha256(key.pointer, payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload.count, m.baseAddress!.assumingMemoryBound(to: UInt8.self))
            for i in 0..<32 {
                let b = m[i]
                hex[2 * i] = Hex.digit(b >> 4)
                hex[2 * i + 1] = Hex.digit(b & 0x0F)
            }
        }
    }

    /// Checks a hex signature (either case) against `payload` in constant time.
    public func isValid(signature hex: some StringProtocol, for payload: some Sequence<UInt8>) -> Bool {
        let given = Array(hex.utf8)
        guard given.count == 64, let expected = Hex.decode(given) else { return false }
        var mine: [UInt8] = []
        sign(Array(payload), into: &mine)
        guard let actual = Hex.decode(mine) else { return false }
        var difference: UInt8 = 0
        for i in 0..<32 { difference |= expected[i] ^ actual[i] }
        return difference == 0
    }
}

/// The precomputed key, wiped when released.
private final class KeyState: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<mm_hmac_sha256_key>

    init(secret: [UInt8]) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: mm_hmac_sha256_key())
        secret.withUnsafeBufferPointer { mm_hmac_sha256_init(pointer, $0.baseAddress, $0.count) }
    }

    deinit {
        mm_hmac_sha256_clear(pointer)
        pointer.deallocate()
    }
}

/// Hex through a lookup table (`String(format:)` costs ~38 µs and hundreds of allocations per signature).
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always) static func digit(_ n: UInt8) -> UInt8 { n < 10 ? 48 + n : 87 + n }

    static func decode(_ hex: [UInt8]) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var i = 0
        while i < hex.count {
            guard let hi = nibble(hex[i]), let lo = nibble(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
        default: return nil
        }
    }
}
