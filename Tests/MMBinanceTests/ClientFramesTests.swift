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

    /// Connections replace one another as they close (the next one often at the closed one's address): each
    /// must get its own encoder's context, and bytes written there must leave on it.
    @Test func eachConnectionGetsItsOwnEncoderContext() throws {
        var contexts = FrameEncoderContext()
        var previous: ObjectIdentifier?
        var sameAddress = 0
        for round in 0..<64 {
            let channel = EmbeddedChannel(handler: WebSocketFrameEncoder())
            if previous == ObjectIdentifier(channel) { sameAddress += 1 }
            previous = ObjectIdentifier(channel)
            for _ in 0..<2 {
                let found = contexts.of(channel)
                let context = try #require(found)
                var bytes = channel.allocator.buffer(capacity: 1)
                bytes.writeInteger(UInt8(truncatingIfNeeded: round))
                context.write(NIOAny(bytes), promise: nil)
                context.flush()
                var out = try #require(try channel.readOutbound(as: ByteBuffer.self), "round \(round): the write did not leave on this connection")
                #expect(out.readInteger(as: UInt8.self) == UInt8(truncatingIfNeeded: round))
            }
            _ = try channel.finish()
            if round % 2 == 1 { contexts.forget() }
        }
        let none = contexts.of(EmbeddedChannel())
        #expect(none == nil, "no encoder, no context")
        print("encoder contexts: \(sameAddress) of 64 connections at the address of the one before")
    }
}
