import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP reply.
/// A request that got no complete answer in time (the venue may still have acted on it).
public struct HTTPTimeoutError: Error, CustomStringConvertible, Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var seconds: Int64
    public var description: String {
        "no answer from \(host):\(port) to \(path.split(separator: "?").first.map(String.init) ?? path) within \(seconds) s"
    }
}

public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A minimal HTTP/1.1 request over a fresh connection on the caller's event loop. REST is the engine's slow
/// path (snapshots at (re)sync, listen keys, reconciliation, order fallback), so simplicity wins here.
public enum HTTPClient {
    public static func send(
        _ method: HTTPMethod, _ endpoint: Endpoint, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        on loop: EventLoop, timeout: TimeAmount = .seconds(10)
    ) -> EventLoopFuture<HTTPReply> {
        let promise = Once(loop.makePromise(of: HTTPReply.self))
        let channelBox = ChannelHolder()
        let timeoutTask = loop.scheduleTask(in: timeout) {
            promise.fail(HTTPTimeoutError(host: endpoint.host, port: endpoint.port, path: path, seconds: timeout.nanoseconds / 1_000_000_000))
            channelBox.value?.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timeoutTask.cancel() }
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try endpoint.addTLSIfNeeded(to: channel)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: promise))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let channel):
                    channelBox.value = channel
                    var head = HTTPRequestHead(version: .http1_1, method: method, uri: endpoint.path + path)
                    head.headers.add(name: "Host", value: endpoint.hostHeader)
                    head.headers.add(name: "Connection", value: "close")
                    for (k, v) in headers { head.headers.add(name: k, value: v) }
                    if !body.isEmpty || method == .POST || method == .PUT {
                        head.headers.add(name: "Content-Length", value: String(body.count))
                    }
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    if !body.isEmpty {
                        channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
                    }
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                }
            }
        return promise.futureResult
    }

    /// The request's channel, touched only on its loop (connect completion and timeout).
    final class ChannelHolder: @unchecked Sendable {
        var value: Channel?
    }

    /// A promise completed at most once (response, close and timeout race). Used on one event loop only.
    final class Once: @unchecked Sendable {
        private let promise: EventLoopPromise<HTTPReply>
        private var done = false
        init(_ promise: EventLoopPromise<HTTPReply>) { self.promise = promise }
        var futureResult: EventLoopFuture<HTTPReply> { promise.futureResult }
        func succeed(_ value: HTTPReply) {
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
        private var head: HTTPResponseHead?
        private var body: [UInt8] = []

        init(promise: Once) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): head = h
            case .body(var b): body.append(contentsOf: b.readBytes(length: b.readableBytes) ?? [])
            case .end:
                promise.succeed(HTTPReply(status: Int(head?.status.code ?? 0), headers: head?.headers ?? [:], body: body))
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
