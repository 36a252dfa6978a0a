import MMBinanceAuth

/// Signing for the engine's out-of-band REST checks (HMAC or Ed25519, like the gateway's).
enum MMBinanceAuthBridge {
    static func sign(_ payload: String, secret: String) -> String {
        ((try? RequestSigner(secret: secret)) ?? .hmac(HMACSigner(secret: secret))).signature(of: payload, urlEncoded: true)
    }
}
