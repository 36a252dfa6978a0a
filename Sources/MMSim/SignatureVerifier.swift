import Foundation
import MMBinanceAuth

/// How an account's requests are verified: HMAC-SHA256 with its secret, or Ed25519 with the public key the
/// account registered (given as PEM in place of a secret).
enum SignatureVerifier: Sendable {
    case hmac(HMACSigner)
    case ed25519(publicKey: [UInt8])

    init(secret: String) {
        if secret.contains("PUBLIC KEY"), let key = Ed25519Signer.publicKey(fromPEM: secret) {
            self = .ed25519(publicKey: key)
        } else {
            self = .hmac(HMACSigner(secret: secret))
        }
    }

    /// Checks a signature as sent (REST signatures of Ed25519 keys arrive percent-encoded).
    func isValid(signature: String, for payload: [UInt8]) -> Bool {
        switch self {
        case .hmac(let s): return s.isValid(signature: signature, for: payload)
        case .ed25519(let key):
            let decoded = signature.removingPercentEncoding ?? signature
            return Ed25519Signer.isValid(signature: decoded, for: payload, publicKey: key)
        }
    }
}
