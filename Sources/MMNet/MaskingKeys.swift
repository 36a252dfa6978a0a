import NIOWebSocket

/// Masking keys for client frames without a system call each: SplitMix64 seeded once from the system's
/// generator. RFC 6455 asks for unpredictable keys so that a browser's script cannot steer the bytes a
/// proxy sees; this client sends only its own requests, so a seeded generator serves.
public struct MaskingKeys: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next key.
    public mutating func key() -> WebSocketMaskingKey { .random(using: &self) }
}
