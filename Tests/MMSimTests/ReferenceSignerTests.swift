import Foundation
import MMBinanceWire
import TestSupport
import Testing

/// The test clients' signer, checked against the documented signature vectors and RFC 4231.
@Suite("Reference HMAC of the test clients")
struct ReferenceSignerTests {
    @Test func documentedVectors() throws {
        let file = try JSONValue.parse(Fixtures.bytes("signatures/signature_test_vectors.json"))
        var checked = 0
        for v in file["vectors"]?.arrayValue ?? [] where v["algo"]?.text == "HMAC-SHA256 hex" && v["recomputed_hmac_matches_documented_signature"] == .bool(true) {
            guard let secret = v["secret"]?.text, let payload = v["payload"]?.text, let signature = v["signature"]?.text else { continue }
            #expect(ReferenceHMAC.hex(key: secret, message: payload) == signature, "\(v["id"]?.text ?? "")")
            checked += 1
        }
        #expect(checked >= 3)
        // RFC 4231 test case 2, and a key longer than a block (case 6).
        #expect(ReferenceHMAC.hex(key: "Jefe", message: "what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let mac = ReferenceHMAC.mac(key: [UInt8](repeating: 0xAA, count: 131), message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(ReferenceHMAC.sha256([]).map { String(format: "%02x", $0) }.joined() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
