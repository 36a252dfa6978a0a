import NIOCore
import NIOHTTP1

/// A spot venue's REST front end: a request in, a status and JSON body out.
protocol SpotFront {
    func route(_ head: HTTPRequestHead, body: String) -> (HTTPResponseStatus, [UInt8])
}

/// The HTTP plumbing every spot front end shares. Runs on the venue's event loop.
final class SpotHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let front: any SpotFront
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(front: any SpotFront) { self.front = front }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll(keepingCapacity: true)
        case .body(var chunk):
            if body.count < 1 << 20, let bytes = chunk.readBytes(length: chunk.readableBytes) { body.append(contentsOf: bytes) }
        case .end:
            guard let head else { return }
            self.head = nil
            let (status, payload) = front.route(head, body: String(decoding: body, as: UTF8.self))
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(payload.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: payload)))), promise: nil)
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepAlive { context.close(promise: nil) } }
        }
    }
}
