import MMBinanceAuth
import MMBinanceWire
import TestSupport
import Testing

@Suite("Request signatures")
struct SignatureTests {
    /// Every HMAC vector in the fixtures whose documented signature is correct.
    @Test func documentedVectors() throws {
        let doc = try JSONValue.parse(Fixtures.bytes("signatures/signature_test_vectors.json"))
        var checked = 0
        for v in doc["vectors"]?.arrayValue ?? [] {
            guard v["algo"]?.text == "HMAC-SHA256 hex", let secret = v["secret"]?.text, let payload = v["payload"]?.text,
                let signature = v["signature"]?.text
            else { continue }
            let signer = HMACSigner(secret: secret)
            let documentedIsRight = v["recomputed_hmac_matches_documented_signature"] == .bool(true)
            #expect((signer.signature(of: payload) == signature) == documentedIsRight, "\(v["id"]?.text ?? "?")")
            #expect(signer.isValid(signature: signature, for: Array(payload.utf8)) == documentedIsRight)
            checked += 1
        }
        #expect(checked >= 6)
    }

    @Test func binanceExampleAndTampering() {
        let signer = HMACSigner(secret: "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
        let payload = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
        let sig = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
        #expect(signer.signature(of: payload) == sig)
        #expect(signer.isValid(signature: sig.uppercased(), for: Array(payload.utf8)))
        #expect(!signer.isValid(signature: sig, for: Array((payload + "0").utf8)))
        #expect(!signer.isValid(signature: "zz" + sig.dropFirst(2), for: Array(payload.utf8)))
        #expect(!signer.isValid(signature: sig.dropLast(), for: Array(payload.utf8)))
    }
}
