import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP request as the operations endpoints see it.
public struct OpsRequest: Sendable {
    public var method: String
    /// Path without the query.
    public var path: String
    public var query: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The peer's IP address.
    public var remoteIP: String?

    public init(method: String, path: String, query: String, headers: [(String, String)], body: [UInt8], remoteIP: String?) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteIP = remoteIP
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// One reply.
public struct OpsResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String = "application/json", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// Why the server did not start, in words an operator can act on.
public struct OpsServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A small HTTP/1.1 server for the operations endpoints (`/metrics`, `/health`, control), on its own
/// event-loop thread, away from the trading threads.
public final class HTTPEndpointServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    /// The bound port (useful when 0 was asked).
    public let port: Int

    /// Binds `host:port`. `configKey` names the setting to change when the port is taken.
    public static func start(
        host: String, port: Int, configKey: String, handler: @escaping @Sendable (OpsRequest) async -> OpsResponse
    ) async throws(OpsServerError) -> HTTPEndpointServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            // SO_REUSEADDR: an engine restarted right after a crash must not wait out its old connections'
            // TIME_WAIT. A port another process listens on is still refused.
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(OpsHandler(handler: handler))
                    }
                }
                .bind(host: host, port: port)
                .get()
            return HTTPEndpointServer(group: group, channel: channel, port: channel.localAddress?.port ?? port)
        } catch {
            try? await group.shutdownGracefully()
            let text = "\(error)"
            if text.contains("already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98") {
                throw OpsServerError(description: "port \(port) on \(host) is already in use (another engine, or a node exporter?): set \(configKey) to a free port")
            }
            throw OpsServerError(description: "cannot listen on \(host):\(port) (\(configKey)): \(text)")
        }
    }

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, port: Int) {
        self.group = group
        self.channel = channel
        self.port = port
    }

    public func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

private final class OpsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let handler: @Sendable (OpsRequest) async -> OpsResponse
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var refused = false

    init(handler: @escaping @Sendable (OpsRequest) async -> OpsResponse) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            refused = false
        case .body(var b):
            guard !refused else { return }
            // Operations requests are tiny; refuse anything large rather than buffer it.
            if body.count + b.readableBytes > 65_536 {
                refused = true
                respond(context: context, OpsResponse(status: 413, body: #"{"error":"body too large"}"#), keepAlive: false, lingering: true)
                return
            }
            body.append(contentsOf: b.readBytes(length: b.readableBytes) ?? [])
        case .end:
            guard let head, !refused else { return }
            let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let request = OpsRequest(
                method: head.method.rawValue, path: String(parts.first ?? ""), query: parts.count > 1 ? String(parts[1]) : "",
                headers: head.headers.map { ($0.name, $0.value) }, body: body, remoteIP: context.remoteAddress?.ipAddress)
            let keepAlive = head.isKeepAlive
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            let handler = self.handler
            let promise = loop.makePromise(of: OpsResponse.self)
            // The handler runs on this server's own thread, not on the shared cooperative pool: a scrape or a
            // health check must answer while that pool is busy (a CPU-bound task or a blocking call there).
            Task(executorPreference: LoopTaskExecutor(loop)) { promise.succeed(await handler(request)) }
            promise.futureResult.whenSuccess { response in
                let (me, ctx) = bound.value
                me.respond(context: ctx, response, keepAlive: keepAlive)
            }
        }
    }

    /// Writes `response`; without `keepAlive` the connection then closes. `lingering`: the client may still be
    /// sending a body that was refused, and closing with its bytes unread would reset the connection, which
    /// can lose the answer on its way. So only the writing side is shut; what still comes is discarded, and the
    /// connection closes when the client closes it, or after 2 s.
    private func respond(context: ChannelHandlerContext, _ response: OpsResponse, keepAlive: Bool, lingering: Bool = false) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            guard !keepAlive else { return }
            if lingering {
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        }
    }
}

/// Runs a task's jobs on one event loop (a task's executor preference), so that the task does not depend on
/// the shared cooperative pool.
final class LoopTaskExecutor: TaskExecutor {
    private let loop: EventLoop

    init(_ loop: EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
