import NIOCore
import NIOWebSocket

/// Masked client text frames written straight into a byte buffer, byte for byte as NIO's
/// `WebSocketFrameEncoder` writes them, so that a batch of frames can go down a channel's pipeline as one
/// buffer below the encoder: one pass through the pipeline and no buffer of its own per frame.
public enum ClientFrames {
    /// Appends a final text frame carrying `payload`, masked with `key` (RFC 6455 §5.2, §5.3).
    public static func appendText(_ payload: UnsafeRawBufferPointer, key: WebSocketMaskingKey, to buffer: inout ByteBuffer) {
        let n = payload.count
        buffer.writeInteger(UInt8(0x81))
        if n < 126 {
            buffer.writeInteger(UInt8(0x80 | n))
        } else if n <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(n))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(n))
        }
        let k = (key[0], key[1], key[2], key[3])
        buffer.writeMultipleIntegers(k.0, k.1, k.2, k.3)
        guard n > 0 else { return }
        // The key four times over, in memory order, so that eight bytes are masked at once.
        let word = UInt64(k.0) | UInt64(k.1) << 8 | UInt64(k.2) << 16 | UInt64(k.3) << 24
        let mask = word | word << 32
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { out in
            var i = 0
            while i &+ 8 <= n {
                out.storeBytes(of: payload.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ mask, toByteOffset: i, as: UInt64.self)
                i &+= 8
            }
            while i < n {
                out[i] = payload[i] ^ UInt8(truncatingIfNeeded: mask >> UInt64((i & 3) * 8))
                i &+= 1
            }
            return n
        }
    }
}

/// The context of one channel's `WebSocketFrameEncoder`, looked up once a connection: the place below the
/// encoder where framed batches are written. The channel is held, not just its address: a closed channel's
/// memory can be reused by the next connection's, and a cache keyed by address would then hand out the dead
/// connection's context, into which writes vanish.
public struct FrameEncoderContext {
    private var known: (channel: Channel, context: ChannelHandlerContext)?

    public init() {}

    /// The encoder's context in `channel`'s pipeline, or nil when it has no encoder. Call on the channel's loop.
    public mutating func of(_ channel: Channel) -> ChannelHandlerContext? {
        if let known, known.channel === channel { return known.context }
        guard let context = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self) else {
            known = nil
            return nil
        }
        known = (channel, context)
        return context
    }

    /// Lets go of the channel once it has closed (a new one is looked up when it comes).
    public mutating func forget() { known = nil }
}
