import MMBinanceAuth

/// Signing for the engine's out-of-band REST checks.
enum MMBinanceAuthBridge {
    static func sign(_ payload: String, secret: String) -> String { HMACSigner(secret: secret).signature(of: payload) }
}
