import MMNet
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

/// Order frames framed and masked by the gateway itself must be the bytes NIO's own encoder writes.
@Suite("Client frames framed in place")
struct ClientFramesTests {
    /// What `WebSocketFrameEncoder` writes for a final, masked text frame of `payload`.
    static func encodedByNIO(_ payload: [UInt8], key: WebSocketMaskingKey) throws -> [UInt8] {
        let channel = EmbeddedChannel(handler: WebSocketFrameEncoder())
        var data = channel.allocator.buffer(capacity: payload.count)
        data.writeBytes(payload)
        try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: data))
        var bytes: [UInt8] = []
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes += part.readBytes(length: part.readableBytes) ?? [] }
        _ = try channel.finish()
        return bytes
    }

    @Test("the same bytes as NIO's encoder, every length form", arguments: [0, 1, 3, 7, 8, 9, 125, 126, 127, 1_389, 65_535, 65_536])
    func sameBytesAsNIO(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let key: WebSocketMaskingKey = [0x9C, 0x01, 0xFE, 0x5A]
        var buffer = ByteBuffer()
        // After other frames, as in a batch: the mask restarts with each frame.
        buffer.writeBytes([1, 2, 3])
        payload.withUnsafeBytes { ClientFrames.appendText($0, key: key, to: &buffer) }
        buffer.moveReaderIndex(forwardBy: 3)
        #expect(buffer.readBytes(length: buffer.readableBytes) == (try Self.encodedByNIO(payload, key: key)))
    }
}
