import Crypto

/// Binance's HMAC-SHA256 request signature: the lower-case hex HMAC of `totalParams` (the query string
/// followed directly by the request body) under the API secret.
public struct HMACSigner: Sendable {
    private let key: SymmetricKey

    /// A signer for `secret`. The secret is held only as a key; it is never printed.
    public init(secret: String) {
        key = SymmetricKey(data: Array(secret.utf8))
    }

    /// The hex signature of `payload`.
    public func signature(of payload: some Sequence<UInt8>) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(payload), using: key)
        var hex = [UInt8](repeating: 0, count: 64)
        Hex.write(mac, into: &hex)
        return String(decoding: hex, as: UTF8.self)
    }

    /// The hex signature of a string payload.
    public func signature(of payload: String) -> String { signature(of: Array(payload.utf8)) }

    /// Checks a hex signature (either case) against `payload` in constant time.
    public func isValid(signature hex: some StringProtocol, for payload: some Sequence<UInt8>) -> Bool {
        let bytes = Array(hex.utf8)
        guard bytes.count == 64, let given = Hex.decode(bytes) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Array(payload), using: key)
    }
}

/// Hex through a lookup table (`String(format:)` costs ~38 µs and hundreds of allocations per signature).
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func write(_ bytes: some Sequence<UInt8>, into out: inout [UInt8]) {
        var i = 0
        for b in bytes {
            out[i] = digits[Int(b >> 4)]
            out[i + 1] = digits[Int(b & 0x0F)]
            i += 2
        }
    }

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

extension HMACSigner {
    /// Writes the 64 hex digits of the signature of `payload` into `hex` (replacing its contents).
    public func sign(_ payload: [UInt8], into hex: inout [UInt8]) {
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        hex.removeAll(keepingCapacity: true)
        for b in mac {
            hex.append(Hex.digits[Int(b >> 4)])
            hex.append(Hex.digits[Int(b & 0x0F)])
        }
    }
}
