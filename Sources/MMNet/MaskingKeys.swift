import MMCore
import NIOWebSocket

/// Masking keys for client frames without a system call each: SplitMix64 seeded once from the system's
/// generator. RFC 6455 asks for unpredictable keys so that a browser's script cannot steer the bytes a
/// proxy sees; this client sends only its own requests, so a seeded generator serves.
public struct MaskingKeys: Sendable {
    private var generator = SplitMix64()

    public init() {}

    /// The next key.
    public mutating func key() -> WebSocketMaskingKey { .random(using: &generator) }
}
