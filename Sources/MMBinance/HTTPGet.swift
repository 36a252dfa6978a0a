import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 GET over a fresh connection, on the caller's event loop (REST depth snapshots at
/// (re)sync only — never on the steady-state path).
enum HTTPGet {
    static func fetch(host: String, port: Int, path: String, on loop: EventLoop, timeout: TimeAmount = .seconds(10)) -> EventLoopFuture<(status: Int, body: [UInt8])> {
        let promise = Once(loop.makePromise(of: (status: Int, body: [UInt8]).self))
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: promise))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let channel):
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                    head.headers.add(name: "Host", value: "\(host):\(port)")
                    head.headers.add(name: "Connection", value: "close")
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                    loop.scheduleTask(in: timeout) {
                        promise.fail(ChannelError.connectTimeout(timeout))
                        channel.close(promise: nil)
                    }
                }
            }
        return promise.futureResult
    }

    /// A promise completed at most once (response, close and timeout race). Used on one event loop only.
    final class Once: @unchecked Sendable {
        private let promise: EventLoopPromise<(status: Int, body: [UInt8])>
        private var done = false
        init(_ promise: EventLoopPromise<(status: Int, body: [UInt8])>) { self.promise = promise }
        var futureResult: EventLoopFuture<(status: Int, body: [UInt8])> { promise.futureResult }
        func succeed(_ value: (status: Int, body: [UInt8])) {
            guard !done else { return }
            done = true
            promise.succeed(value)
        }
        func fail(_ error: Error) {
            guard !done else { return }
            done = true
            promise.fail(error)
        }
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let promise: Once
        private var status = 0
        private var body: [UInt8] = []

        init(promise: Once) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): status = Int(h.status.code)
            case .body(var b): body.append(contentsOf: b.readBytes(length: b.readableBytes) ?? [])
            case .end:
                promise.succeed((status, body))
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.ioOnClosedChannel)
        }
    }
}
