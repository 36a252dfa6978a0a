import CSigning

/// A key Binance would refuse, or text that is not a key.
public struct SigningKeyError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Binance's Ed25519 request signature: the base64 Ed25519 signature of the same payload an HMAC key would
/// sign. The key is read from PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm
/// ed25519` writes it), base64 PKCS#8, or a base64 32-byte seed.
public final class Ed25519Signer: Sendable {
    private nonisolated(unsafe) let key: OpaquePointer
    /// The raw 32-byte public key (what is registered with the venue).
    public let publicKey: [UInt8]

    /// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    /// SubjectPublicKeyInfo DER prefix of an Ed25519 public key; the 32-byte key follows.
    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    public init(privateKey text: String) throws(SigningKeyError) {
        guard let der = Base64.decode(PEM.body(text)) else { throw SigningKeyError(description: "the Ed25519 private key is not PEM or base64") }
        var seed: [UInt8]
        if der.count == 48 && Array(der.prefix(16)) == Self.pkcs8Prefix {
            seed = Array(der.suffix(32))
        } else if der.count == 32 {
            seed = der
        } else {
            throw SigningKeyError(description: "not an Ed25519 private key (expected PKCS#8 PEM or a 32-byte seed)")
        }
        defer { for i in seed.indices { seed[i] = 0 } }
        guard let k = seed.withUnsafeBufferPointer({ mm_ed25519_new($0.baseAddress) }) else {
            throw SigningKeyError(description: "libcrypto refused the Ed25519 key")
        }
        key = k
        var pub = [UInt8](repeating: 0, count: 32)
        _ = pub.withUnsafeMutableBufferPointer { mm_ed25519_public(k, $0.baseAddress) }
        publicKey = pub
    }

    deinit { mm_ed25519_free(key) }

    /// Whether `text` looks like an Ed25519 private key rather than an HMAC secret.
    public static func looksLikePrivateKey(_ text: String) -> Bool {
        guard let der = Base64.decode(PEM.body(text)) else { return false }
        return (der.count == 48 && Array(der.prefix(16)) == pkcs8Prefix) || (der.count == 32 && text.hasSuffix("="))
    }

    /// Writes the base64 signature (88 bytes) into `out`; returns its length.
    public func sign(_ payload: UnsafeRawBufferPointer, base64Into out: UnsafeMutableRawBufferPointer) -> Int {
        var signature: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &signature) { s in
            let ok = mm_ed25519_sign(key, payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload.count, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            precondition(ok == 1, "Ed25519 signing failed")
            return Base64.encode(UnsafeRawBufferPointer(s), into: out)
        }
    }

    /// Checks a base64 Ed25519 signature of `payload` against a raw 32-byte public key.
    public static func isValid(signature base64: some StringProtocol, for payload: [UInt8], publicKey: [UInt8]) -> Bool {
        guard publicKey.count == 32, let sig = Base64.decode(String(base64)), sig.count == 64 else { return false }
        return payload.withUnsafeBufferPointer { p in
            publicKey.withUnsafeBufferPointer { k in
                sig.withUnsafeBufferPointer { s in mm_ed25519_verify(k.baseAddress, p.baseAddress, p.count, s.baseAddress) == 1 }
            }
        }
    }

    /// The raw public key from SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`) or base64.
    public static func publicKey(fromPEM text: String) -> [UInt8]? {
        guard let der = Base64.decode(PEM.body(text)) else { return nil }
        if der.count == 44 && Array(der.prefix(12)) == spkiPrefix { return Array(der.suffix(32)) }
        return der.count == 32 ? der : nil
    }

    /// PEM texts for a seed (tests and tools that make throwaway keys).
    public static func pem(seed: [UInt8]) -> (privateKey: String, publicKey: String)? {
        guard seed.count == 32, let k = seed.withUnsafeBufferPointer({ mm_ed25519_new($0.baseAddress) }) else { return nil }
        defer { mm_ed25519_free(k) }
        var pub = [UInt8](repeating: 0, count: 32)
        _ = pub.withUnsafeMutableBufferPointer { mm_ed25519_public(k, $0.baseAddress) }
        func wrap(_ label: String, _ der: [UInt8]) -> String {
            var b64 = [UInt8](repeating: 0, count: (der.count + 2) / 3 * 4)
            let n = der.withUnsafeBytes { d in b64.withUnsafeMutableBytes { Base64.encode(d, into: $0) } }
            return "-----BEGIN \(label)-----\n" + String(decoding: b64[0..<n], as: UTF8.self) + "\n-----END \(label)-----\n"
        }
        return (wrap("PRIVATE KEY", pkcs8Prefix + seed), wrap("PUBLIC KEY", spkiPrefix + pub))
    }
}

/// How a request is signed: HMAC-SHA256 (hex) or Ed25519 (base64).
public enum RequestSigner: Sendable {
    case hmac(HMACSigner)
    case ed25519(Ed25519Signer)

    /// An Ed25519 signer when `secret` holds an Ed25519 private key, HMAC otherwise.
    public init(secret: String) throws(SigningKeyError) {
        if Ed25519Signer.looksLikePrivateKey(secret) {
            self = .ed25519(try Ed25519Signer(privateKey: secret))
        } else {
            self = .hmac(HMACSigner(secret: secret))
        }
    }

    /// Largest signature `sign` writes (base64, percent-encoded).
    public static let maxSignatureLength = 264

    /// Writes the signature of `payload` into `out` (at least `maxSignatureLength` bytes); percent-encoded for
    /// a URL when asked (base64's `+`, `/`, `=`). Returns its length. HMAC signing allocates nothing.
    public func sign(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, urlEncoded: Bool) -> Int {
        switch self {
        case .hmac(let s):
            s.sign(payload, hexInto: out)
            return 64
        case .ed25519(let s):
            var raw: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            return withUnsafeMutableBytes(of: &raw) { b in
                let n = s.sign(payload, base64Into: b)
                guard urlEncoded else {
                    out.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[0..<n]))
                    return n
                }
                var j = 0
                for i in 0..<n {
                    let c = b[i]
                    if c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=") {
                        out[j] = UInt8(ascii: "%")
                        out[j + 1] = Self.upperHex(c >> 4)
                        out[j + 2] = Self.upperHex(c & 0x0F)
                        j += 3
                    } else {
                        out[j] = c
                        j += 1
                    }
                }
                return j
            }
        }
    }

    private static func upperHex(_ n: UInt8) -> UInt8 { n < 10 ? 48 + n : 55 + n }

    /// The signature of a text payload.
    public func signature(of payload: String, urlEncoded: Bool) -> String {
        var out = [UInt8](repeating: 0, count: Self.maxSignatureLength)
        let bytes = Array(payload.utf8)
        let n = bytes.withUnsafeBytes { p in out.withUnsafeMutableBytes { sign(p, into: $0, urlEncoded: urlEncoded) } }
        return String(decoding: out[0..<n], as: UTF8.self)
    }
}

/// The base64 body of a PEM block (or the text itself when it has no armour).
enum PEM {
    static func body(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined().filter { !$0.isWhitespace }
    }
}

/// Standard base64 (RFC 4648, with padding).
enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        var i = 0
        var j = 0
        while i + 3 <= input.count {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out[j] = alphabet[Int(v >> 18 & 63)]
            out[j + 1] = alphabet[Int(v >> 12 & 63)]
            out[j + 2] = alphabet[Int(v >> 6 & 63)]
            out[j + 3] = alphabet[Int(v & 63)]
            i += 3
            j += 4
        }
        let rest = input.count - i
        if rest > 0 {
            let v = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
            out[j] = alphabet[Int(v >> 18 & 63)]
            out[j + 1] = alphabet[Int(v >> 12 & 63)]
            out[j + 2] = rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "=")
            out[j + 3] = UInt8(ascii: "=")
            j += 4
        }
        return j
    }

    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text.utf8 {
            if c == UInt8(ascii: "=") { break }
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(v))
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var v: UInt32 = 0
            for (k, x) in chunk.enumerated() { v |= UInt32(x) << (18 - 6 * UInt32(k)) }
            out.append(UInt8(v >> 16 & 0xFF))
            if chunk.count > 2 { out.append(UInt8(v >> 8 & 0xFF)) }
            if chunk.count > 3 { out.append(UInt8(v & 0xFF)) }
            i += 4
        }
        return out
    }
}
