import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens a client WebSocket (optionally over TLS) and installs `handler` once the upgrade succeeds.
public enum WebSocketConnector {
    /// The future succeeds once the upgrade has completed (frames may be written from then on), and fails if
    /// the connection fails or closes before that.
    public static func connect(
        _ endpoint: Endpoint, path: String, on loop: EventLoop, maxFrameSize: Int = 1 << 22, watchdog: Watchdog? = nil,
        handler: @escaping @Sendable () -> ChannelHandler
    ) -> EventLoopFuture<Channel> {
        let fullPath = endpoint.path + path
        let upgraded = loop.makePromise(of: Channel.self)
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try endpoint.addTLSIfNeeded(to: channel)
                    let request = UpgradeRequest(host: endpoint.hostHeader, path: fullPath)
                    let upgrader = NIOWebSocketClientUpgrader(
                        requestKey: WebSocketConnector.randomKey(), maxFrameSize: maxFrameSize,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                if let watchdog { try channel.pipeline.syncOperations.addHandler(WatchdogHandler(watchdog)) }
                                try channel.pipeline.syncOperations.addHandler(handler())
                                upgraded.succeed(channel)
                            }
                        })
                    let requestBound = NIOLoopBound(request, eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(requestBound.value, promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(request)
                    channel.closeFuture.whenComplete { _ in upgraded.fail(ChannelError.ioOnClosedChannel) }
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenFailure { upgraded.fail($0) }
        return upgraded.futureResult
    }

    /// A fresh base64 nonce for `Sec-WebSocket-Key`.
    static func randomKey() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return String((0..<22).map { _ in alphabet[Int.random(in: 0..<64)] }) + "=="
    }

    /// Sends a masked text frame (clients must mask).
    public static func sendText(_ text: String, on channel: Channel) {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        channel.writeAndFlush(frame, promise: nil)
    }
}

/// Sends the upgrade request once connected; any plain HTTP reply means the upgrade failed.
final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String
    let path: String

    init(host: String, path: String) {
        self.host = host
        self.path = path
    }

    func channelActive(context: ChannelHandlerContext) {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: host)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }
}

/// Hands text frames to `onText` and answers pings; closes on a close frame or error.
public final class TextFrameHandler: ChannelInboundHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias OutboundOut = WebSocketFrame
    private let onText: (UnsafeRawBufferPointer) -> Void

    public init(onText: @escaping (UnsafeRawBufferPointer) -> Void) { self.onText = onText }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            frame.unmaskedData.withUnsafeReadableBytes { onText($0) }
        case .ping:
            var payload = frame.unmaskedData
            let pong = WebSocketFrame(
                fin: true, opcode: .pong, maskKey: .random(), data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// How a connection proves it is alive: we ping every `pingEvery`, and anything read (a pong, data, the
/// server's ping) counts; nothing read for `readTimeout` closes it, so its owner reconnects and treats
/// what it carried as stale.
public struct Watchdog: Sendable {
    public var pingEvery: TimeAmount
    public var readTimeout: TimeAmount
    /// Called (on the channel's loop) when the watchdog closes a silent connection.
    public var onSilent: (@Sendable () -> Void)?

    public init(pingEvery: TimeAmount, readTimeout: TimeAmount, onSilent: (@Sendable () -> Void)? = nil) {
        self.pingEvery = pingEvery
        self.readTimeout = readTimeout
        self.onSilent = onSilent
    }
}

/// Pings on a schedule and closes the connection when nothing has been read for too long.
final class WatchdogHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private let watchdog: Watchdog
    /// Ping periods since something was read (counted on the loop's own clock).
    private var quietPeriods: Int64 = 0
    private var task: RepeatedTask?

    init(_ watchdog: Watchdog) { self.watchdog = watchdog }

    func handlerAdded(context: ChannelHandlerContext) {
        quietPeriods = 0
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        task = context.eventLoop.scheduleRepeatedTask(initialDelay: watchdog.pingEvery, delay: watchdog.pingEvery) { _ in
            let (handler, context) = bound.value
            handler.tick(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
    }

    private func tick(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else {
            task?.cancel()
            return
        }
        quietPeriods += 1
        if quietPeriods * watchdog.pingEvery.nanoseconds > watchdog.readTimeout.nanoseconds {
            task?.cancel()
            watchdog.onSilent?()
            context.close(promise: nil)
            return
        }
        let ping = WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: context.channel.allocator.buffer(capacity: 0))
        context.writeAndFlush(wrapOutboundOut(ping), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        quietPeriods = 0
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        context.fireChannelInactive()
    }
}
