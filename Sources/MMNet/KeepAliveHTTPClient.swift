import NIOCore
import NIOHTTP1
import NIOPosix

/// HTTP/1.1 keep-alive connections to one host, opened before they are needed, on one event loop. A request
/// goes over an idle connection (one request at a time on each), or waits for one when `maxConnections` are
/// busy. A connection that times out, errors or is closed by the server is dropped and a new one opened in
/// its place, so the next request does not pay the TCP (and TLS) handshake. Confined to `loop`.
public final class KeepAliveHTTPClient: @unchecked Sendable {
    public let endpoint: Endpoint
    public let loop: EventLoop
    let maxConnections: Int
    /// Connections kept open and ready.
    let warm: Int
    private var idle: [Connection] = []
    private var busy = 0
    private var connecting = 0
    private var waiting = RequestQueue()
    private var closed = false
    /// Connections opened, for reports.
    /// Connections opened so far.
    public private(set) var connects = 0

    struct Request {
        var head: HTTPRequestHead
        var body: [UInt8]
        var timeout: TimeAmount
        var promise: EventLoopPromise<HTTPReply>
    }

    public init(endpoint: Endpoint, loop: EventLoop, maxConnections: Int = 4, warm: Int = 1) {
        self.endpoint = endpoint
        self.loop = loop
        self.maxConnections = maxConnections
        self.warm = warm
    }

    /// Opens the warm connections (call on `loop`).
    public func prewarm() {
        while idle.count + connecting < warm && idle.count + busy + connecting < maxConnections { open() }
    }

    /// Sends one request (call on `loop`). The future fails when no complete answer came within `timeout`
    /// (the server may still have acted on it).
    public func send(
        _ method: HTTPMethod, path: String, headers: [(String, String)], body: [UInt8] = [], timeout: TimeAmount
    ) -> EventLoopFuture<HTTPReply> {
        let promise = loop.makePromise(of: HTTPReply.self)
        guard !closed else {
            promise.fail(ChannelError.ioOnClosedChannel)
            return promise.futureResult
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: endpoint.path + path)
        head.headers.add(name: "Host", value: endpoint.hostHeader)
        for (k, v) in headers { head.headers.add(name: k, value: v) }
        if !body.isEmpty || method == .POST || method == .PUT { head.headers.add(name: "Content-Length", value: String(body.count)) }
        let request = Request(head: head, body: body, timeout: timeout, promise: promise)
        if let c = idle.popLast() {
            dispatch(request, on: c)
        } else {
            waiting.append(request)
            // A connection on its way takes the first waiting request; more are opened only for more.
            if connecting < waiting.count && busy + connecting < maxConnections { open() }
        }
        return promise.futureResult
    }

    /// Closes every connection; waiting requests fail.
    public func shutdown() {
        closed = true
        for c in idle { c.channel?.close(promise: nil) }
        idle.removeAll()
        while let r = waiting.popFirst() { r.promise.fail(ChannelError.ioOnClosedChannel) }
    }

    // MARK: Connections

    final class Connection: @unchecked Sendable {
        var channel: Channel?
        var dropped = false
        var inFlight: EventLoopPromise<HTTPReply>?
        var timeoutTask: Scheduled<Void>?
    }

    private func open() {
        connecting += 1
        connects += 1
        let connection = Connection()
        let handler = NIOLoopBound(ResponseHandler(connection: connection, client: self), eventLoop: loop)
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [endpoint] channel in
                channel.eventLoop.makeCompletedFuture {
                    try endpoint.addTLSIfNeeded(to: channel)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenComplete { result in
                self.connecting -= 1
                switch result {
                case .success(let channel):
                    connection.channel = channel
                    if self.closed {
                        channel.close(promise: nil)
                    } else {
                        self.ready(connection)
                    }
                case .failure(let error):
                    // Requests waiting for a connection fail only when none can come.
                    if self.idle.isEmpty && self.busy == 0 && self.connecting == 0 {
                        while let r = self.waiting.popFirst() { r.promise.fail(error) }
                    }
                }
            }
    }

    /// A connection is free: the next waiting request goes over it, else it waits idle.
    fileprivate func ready(_ c: Connection) {
        if let r = waiting.popFirst() {
            dispatch(r, on: c)
        } else {
            idle.append(c)
        }
    }

    private func dispatch(_ r: Request, on c: Connection) {
        guard let channel = c.channel, channel.isActive, !c.dropped else {
            waiting.prepend(r)
            drop(c)
            return
        }
        busy += 1
        c.inFlight = r.promise
        c.timeoutTask = loop.scheduleTask(in: r.timeout) {
            // No complete answer: the connection's state is unknown, so it goes.
            self.finish(c, .failure(HTTPTimeoutError(
                host: self.endpoint.host, port: self.endpoint.port, path: r.head.uri, seconds: r.timeout.nanoseconds / 1_000_000_000)), reuse: false)
        }
        channel.write(HTTPClientRequestPart.head(r.head), promise: nil)
        if !r.body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: r.body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    /// The request on `c` ended (answer, error, timeout or close).
    fileprivate func finish(_ c: Connection, _ result: Result<HTTPReply, Error>, reuse: Bool) {
        guard let promise = c.inFlight else {
            if !reuse { drop(c) }
            return
        }
        c.inFlight = nil
        c.timeoutTask?.cancel()
        c.timeoutTask = nil
        busy -= 1
        promise.completeWith(result)
        if reuse && !closed {
            ready(c)
        } else {
            drop(c)
        }
    }

    /// Closes and forgets a connection; another takes its place when requests wait or fewer than `warm`
    /// are open.
    fileprivate func drop(_ c: Connection) {
        guard !c.dropped else { return }
        c.dropped = true
        idle.removeAll { $0 === c }
        c.channel?.close(promise: nil)
        c.channel = nil
        guard !closed else { return }
        if !waiting.isEmpty || idle.count + connecting < warm {
            if busy + connecting + idle.count < maxConnections { open() }
        }
    }

    private final class ResponseHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let connection: Connection
        unowned let client: KeepAliveHTTPClient
        private var head: HTTPResponseHead?
        private var body: [UInt8] = []

        init(connection: Connection, client: KeepAliveHTTPClient) {
            self.connection = connection
            self.client = client
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body.removeAll(keepingCapacity: true)
            case .body(var b):
                body.append(contentsOf: b.readBytes(length: b.readableBytes) ?? [])
            case .end:
                guard let h = head else { return }
                head = nil
                let reply = HTTPReply(status: Int(h.status.code), headers: h.headers, body: body)
                client.finish(connection, .success(reply), reuse: h.isKeepAlive)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            client.finish(connection, .failure(error), reuse: false)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            client.finish(connection, .failure(ChannelError.ioOnClosedChannel), reuse: false)
            context.fireChannelInactive()
        }
    }
}

/// Requests waiting for a connection, first in first out.
struct RequestQueue {
    private var items: [KeepAliveHTTPClient.Request] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }

    mutating func append(_ r: KeepAliveHTTPClient.Request) { items.append(r) }

    mutating func prepend(_ r: KeepAliveHTTPClient.Request) {
        if head > 0 {
            head -= 1
            items[head] = r
        } else {
            items.insert(r, at: 0)
        }
    }

    mutating func popFirst() -> KeepAliveHTTPClient.Request? {
        guard head < items.count else { return nil }
        let r = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return r
    }
}
