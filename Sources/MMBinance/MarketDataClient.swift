import MMBinanceWire
import MMBook
import MMCore
import MMRing
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The ingest side: one combined market stream on a dedicated one-thread event loop. Frames are decoded
/// in the channel handler straight into each symbol's `SyncedBook` (no hop to another thread, no
/// per-message allocation once warm), snapshots come over REST only at (re)sync, and every applied diff
/// publishes a `TopOfBook` through a seqlock that any thread may read. The connection is re-established
/// with exponential backoff and jitter; while it is down every book is stale.
public final class MarketDataClient: @unchecked Sendable {
    /// Where and what to subscribe.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var instruments: [Instrument]
        /// Diff stream suffix: `@depth@0ms`, `@depth@100ms` or `@depth`.
        public var depthStream = "@depth@0ms"
        public var snapshotLimit = 1000
        public var initialBackoff: TimeAmount = .milliseconds(100)
        public var maxBackoff: TimeAmount = .seconds(30)

        public init(host: String, port: Int, instruments: [Instrument]) {
            self.host = host
            self.port = port
            self.instruments = instruments
        }
    }

    /// Counters, readable from any thread through `stats()`.
    public struct Stats: Sendable, Equatable {
        public var frames = 0
        public var malformed = 0
        public var gaps = 0
        public var resyncs = 0
        public var snapshots = 0
        public var snapshotFailures = 0
        public var connects = 0
        public var reconnects = 0
    }

    let configuration: Configuration
    let group: MultiThreadedEventLoopGroup
    let loop: EventLoop
    /// Latest top of book per symbol, published by the ingest thread.
    private let tops: [Symbol: SeqLock<TopOfBook>]
    // State below is confined to `loop`.
    private var books: [Symbol: SyncedBook]
    private var message = MarketMessage()
    private var counters = Stats()
    private var channel: Channel?
    private var backoff: TimeAmount
    private var stopping = false
    private var rng = SystemRandomNumberGenerator()

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        var b: [Symbol: SyncedBook] = [:]
        var t: [Symbol: SeqLock<TopOfBook>] = [:]
        for i in configuration.instruments {
            b[i.symbol] = SyncedBook(instrument: i, levelCapacity: 8192)
            t[i.symbol] = SeqLock(TopOfBook.empty)
        }
        books = b
        tops = t
        backoff = configuration.initialBackoff
    }

    /// Connects (and keeps reconnecting until `shutdown`).
    public func start() {
        loop.execute { self.connect() }
    }

    /// Latest published top of book (any thread). `isSynced` is false while the book is stale.
    public func top(_ symbol: Symbol) -> TopOfBook? { tops[symbol]?.load() }

    /// A consistent copy of the counters.
    public func stats() async throws -> Stats {
        try await loop.submit { self.counters }.get()
    }

    /// Closes the stream and stops the thread.
    public func shutdown() async throws {
        try await loop.submit {
            self.stopping = true
            self.channel?.close(promise: nil)
        }.get()
        try await group.shutdownGracefully()
    }

    // MARK: Connection (on `loop`)

    private var streamPath: String {
        "/stream?streams=" + configuration.instruments.map { $0.symbol.lowercased + configuration.depthStream }.joined(separator: "/")
    }

    private func connect() {
        guard !stopping else { return }
        let host = configuration.host
        let port = configuration.port
        let path = streamPath
        let handler = NIOLoopBound(IngestHandler(client: self), eventLoop: loop)
        ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let request = UpgradeRequest(host: host, port: port, path: path)
                    let upgrader = NIOWebSocketClientUpgrader(
                        requestKey: "c3dpZnQtbWFya2V0LW1ha2VyIQ==", maxFrameSize: 1 << 22,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(handler.value)
                            }
                        })
                    let requestBound = NIOLoopBound(request, eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(requestBound.value, promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(request)
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.channel = channel
                    self.counters.connects += 1
                    channel.closeFuture.whenComplete { _ in self.disconnected() }
                case .failure:
                    self.scheduleReconnect()
                }
            }
    }

    private func disconnected() {
        channel = nil
        for s in books.keys { books[s]!.invalidate() }
        publishAll()
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        guard !stopping else { return }
        counters.reconnects += 1
        // Full jitter: anywhere up to the current backoff, which doubles to its cap.
        let wait = TimeAmount.nanoseconds(Int64.random(in: 0...max(1, backoff.nanoseconds), using: &rng))
        backoff = .nanoseconds(min(backoff.nanoseconds * 2, configuration.maxBackoff.nanoseconds))
        loop.scheduleTask(in: wait) { self.connect() }
    }

    // MARK: Frames (on `loop`)

    fileprivate func onFrame(_ bytes: UnsafeRawBufferPointer) {
        counters.frames += 1
        guard let kind = try? MarketDecoder.decode(bytes, into: &message) else {
            counters.malformed += 1
            return
        }
        guard kind == .depthUpdate else { return }
        let symbol = message.depth.symbol
        guard books[symbol] != nil else { return }
        switch books[symbol]!.onDiff(message.depth) {
        case .applied:
            backoff = configuration.initialBackoff
            tops[symbol]!.store(books[symbol]!.topOfBook)
        case .buffered(let request):
            if request { fetchSnapshot(symbol) }
        case .resync(let reason):
            if case .gap = reason { counters.gaps += 1 }
            counters.resyncs += 1
            tops[symbol]!.store(books[symbol]!.topOfBook)
            fetchSnapshot(symbol)
        case .dropped:
            break
        }
    }

    private func fetchSnapshot(_ symbol: Symbol) {
        let path = "/fapi/v1/depth?symbol=\(symbol)&limit=\(configuration.snapshotLimit)"
        HTTPGet.fetch(host: configuration.host, port: configuration.port, path: path, on: loop).whenComplete { result in
            // The frame scratch is free here: this runs on the loop between frames.
            guard case .success(let reply) = result, reply.status == 200,
                (try? MarketDecoder.decode(reply.body, into: &self.message)) == .depthSnapshot
            else {
                self.counters.snapshotFailures += 1
                self.books[symbol]?.snapshotRequestFailed()
                return
            }
            self.counters.snapshots += 1
            self.message.snapshot.symbol = symbol
            if self.books[symbol]?.onSnapshot(self.message.snapshot) == .tooOld { self.fetchSnapshot(symbol) }
            self.tops[symbol]!.store(self.books[symbol]!.topOfBook)
        }
    }

    private func publishAll() {
        for (s, b) in books { tops[s]!.store(b.topOfBook) }
    }
}

/// Sends the upgrade request once connected.
private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String
    let port: Int
    let path: String

    init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    func channelActive(context: ChannelHandlerContext) {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A non-101 reply: the upgrade failed; closing lets the client back off and retry.
        context.close(promise: nil)
    }
}

/// Decodes text frames in place (no copy, no hop) and answers pings.
private final class IngestHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private let client: MarketDataClient

    init(client: MarketDataClient) { self.client = client }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            frame.unmaskedData.withUnsafeReadableBytes { client.onFrame($0) }
        case .ping:
            var payload = frame.unmaskedData
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
