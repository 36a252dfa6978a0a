import MMBinanceAuth
import Testing

@Suite("Ed25519 request signatures")
struct Ed25519Tests {
    func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func base64(_ b: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var s = ""
        var i = 0
        while i < b.count {
            let chunk = Array(b[i..<min(i + 3, b.count)])
            let v = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for k in 0..<4 { s.append(k <= chunk.count ? alphabet[v >> (18 - 6 * k) & 63] : "=") }
            i += 3
        }
        return s
    }

    /// RFC 8032 §7.1, tests 1 and 2.
    @Test("RFC 8032 vectors", arguments: [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ])
    func vectors(seed: String, publicKey: String, message: String, signature: String) throws {
        let pem = try #require(Ed25519Signer.pem(seed: bytes(seed)))
        let signer = try Ed25519Signer(privateKey: pem.privateKey)
        #expect(signer.publicKey == bytes(publicKey))
        #expect(Ed25519Signer.publicKey(fromPEM: pem.publicKey) == bytes(publicKey))
        let text = RequestSigner.ed25519(signer).signature(of: String(decoding: bytes(message), as: UTF8.self), urlEncoded: false)
        #expect(text == base64(bytes(signature)))
        #expect(Ed25519Signer.isValid(signature: text, for: bytes(message), publicKey: bytes(publicKey)))
        #expect(!Ed25519Signer.isValid(signature: text, for: bytes(message) + [0], publicKey: bytes(publicKey)))
        // A raw base64 seed is accepted too.
        #expect(try Ed25519Signer(privateKey: base64(bytes(seed))).publicKey == bytes(publicKey))
    }

    @Test func keyKindsAndURLEncoding() throws {
        let hmacSecret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
        guard case .hmac = try RequestSigner(secret: hmacSecret) else {
            Issue.record("a 64-hex secret is HMAC")
            return
        }
        let pem = try #require(Ed25519Signer.pem(seed: Array(repeating: 7, count: 32)))
        guard case .ed25519 = try RequestSigner(secret: pem.privateKey) else {
            Issue.record("a PKCS#8 PEM is Ed25519")
            return
        }
        let signer = try RequestSigner(secret: pem.privateKey)
        // Find a payload whose base64 signature holds a character that must be escaped in a URL.
        for i in 0..<200 {
            let payload = "symbol=BTCUSDT&timestamp=\(i)"
            let plain = signer.signature(of: payload, urlEncoded: false)
            guard plain.contains(where: { "+/=".contains($0) }) else { continue }
            let encoded = signer.signature(of: payload, urlEncoded: true)
            #expect(!encoded.contains(where: { "+/=".contains($0) }))
            #expect(encoded.removingPercentEncodingForTest == plain)
            return
        }
        Issue.record("no signature needed escaping")
    }

    @Test func refusesWhatIsNotAKey() {
        #expect(throws: SigningKeyError.self) { try Ed25519Signer(privateKey: "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----") }
        #expect(throws: SigningKeyError.self) { try Ed25519Signer(privateKey: "AAAA") }
    }
}

extension String {
    var removingPercentEncodingForTest: String {
        var out = ""
        var i = startIndex
        while i < endIndex {
            if self[i] == "%", let j = index(i, offsetBy: 3, limitedBy: endIndex), let v = UInt8(self[index(after: i)..<j], radix: 16) {
                out.append(Character(UnicodeScalar(v)))
                i = j
            } else {
                out.append(self[i])
                i = index(after: i)
            }
        }
        return out
    }
}
