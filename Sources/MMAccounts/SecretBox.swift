import CCipher

/// A 32-byte AES-256 key that encrypts the account store.
public struct MasterKey: Sendable {
    let bytes: [UInt8]

    /// From exactly 32 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A new random key.
    public static func random() -> MasterKey {
        var b = [UInt8](repeating: 0, count: 32)
        precondition(mm_random_bytes(&b, 32) == 1, "libcrypto has no randomness")
        return MasterKey(bytes: b)!
    }

    /// 64 hexadecimal digits.
    public init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 64, by: 2) {
            guard let hi = Self.nibble(chars[i]), let lo = Self.nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        self.init(bytes: out)
    }

    /// The key as 64 hexadecimal digits (for writing a new key file).
    public var hex: String { bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Sealing and opening of stored secrets: AES-256-GCM with a random 96-bit nonce, the account, venue and
/// field bound as associated data, so a ciphertext moved to another row or field does not open.
/// Layout: version (1) · nonce (12) · tag (16) · ciphertext.
public enum SecretBox {
    static let version: UInt8 = 1

    /// What binds a ciphertext to its place.
    public static func associatedData(account: String, venue: String, field: String) -> [UInt8] {
        Array("mm-account-v1|\(account)|\(venue)|\(field)".utf8)
    }

    public static func seal(_ plaintext: [UInt8], key: MasterKey, associatedData ad: [UInt8]) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        precondition(mm_random_bytes(&nonce, 12) == 1, "libcrypto has no randomness")
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: 16)
        let ok = key.bytes.withUnsafeBufferPointer { k in
            mm_aes256gcm_seal(k.baseAddress, nonce, ad, ad.count, plaintext, plaintext.count, &ciphertext, &tag)
        }
        precondition(ok == 1, "AES-256-GCM failed")
        return [version] + nonce + tag + ciphertext
    }

    /// The plaintext, or `nil` when the key, the associated data or the bytes do not match.
    public static func open(_ sealed: [UInt8], key: MasterKey, associatedData ad: [UInt8]) -> [UInt8]? {
        guard sealed.count >= 29, sealed[0] == version else { return nil }
        let nonce = Array(sealed[1..<13])
        let tag = Array(sealed[13..<29])
        let ciphertext = Array(sealed[29...])
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        let ok = key.bytes.withUnsafeBufferPointer { k in
            mm_aes256gcm_open(k.baseAddress, nonce, ad, ad.count, ciphertext, ciphertext.count, tag, &plaintext)
        }
        return ok == 1 ? plaintext : nil
    }
}
