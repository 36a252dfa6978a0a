import Synchronization
import MMBook
import MMCore
import MMReplay
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The simulated Binance USDⓈ-M venue on loopback: REST and market streams on one port, replaying
/// recorded market data. Everything runs on one event loop, so the venue's state has a single writer.
public final class SimServer: Sendable {
    private let shutDown = Atomic<Bool>(false)
    /// How to run the venue.
    public struct Configuration: Sendable {
        /// Address to bind; loopback by default.
        public var host = "127.0.0.1"
        /// Port to bind; 0 picks a free one.
        public var port = 0
        /// Recordings to replay (hftbacktest or cryptofeed format).
        public var recordings: [String]
        /// Market time per wall time (2 = twice as fast).
        public var speed = 1.0
        /// API key / secret pairs that may trade. None: one demo account is created (see `demoAccount`).
        public var accounts: [Credentials]
        /// How long a listen key lives without a keepalive (Binance: 60 minutes).
        public var listenKeyValiditySeconds: Double = 3600
        /// REST request weight per minute (Binance: 2400).
        public var requestWeightPerMinute = 2400
        /// New orders per account per 10 seconds and per minute (Binance: 300 and 1200).
        public var ordersPer10Seconds = 300
        public var ordersPerMinute = 1200
        /// Faults to inject (see `FaultPlan.parse`); none by default.
        public var faults = FaultPlan()
        /// PEM certificate chain and private key: when both are set the venue speaks TLS (https, wss).
        public var tlsCertificatePath: String?
        public var tlsKeyPath: String?
        /// A seeded synthetic market to run instead of (or besides) recordings.
        public var synthetic: SyntheticMarket.Spec?
        /// Starting USDT wallet of every account.
        public var startingBalance = Notional(units: 10_000)
        /// The accounts' fee rates (Binance's VIP 0: 0.02 % maker, 0.05 % taker; negative: a rebate).
        public var makerFee = Ratio(raw: 20_000)
        public var takerFee = Ratio(raw: 50_000)
        /// Replays start this many seconds into the recordings (the book rolled forward to then).
        public var startAtSeconds = 0.0
        /// The venue pings every WebSocket this often (Binance: every 3 minutes).
        public var pingIntervalSeconds = 180.0
        /// Record an audit log of orders, fills, snapshots and faults (`SimServer.audit(from:)`).
        public var audit = false
        /// Symbols listed on the book of another's recording (listed → recorded), e.g. ETHUSDC on ETHUSDT's.
        public var listings: [Symbol: Symbol] = [:]
        /// Pong timeout, connection lifetime, message and connection-rate limits (Binance's by default).
        public var connectionPolicy = ConnectionPolicy()

        public init(
            recordings: [String], port: Int = 0, speed: Double = 1.0, accounts: [Credentials] = [],
            listenKeyValiditySeconds: Double = 3600
        ) {
            self.recordings = recordings
            self.port = port
            self.speed = speed
            self.accounts = accounts
            self.listenKeyValiditySeconds = listenKeyValiditySeconds
        }
    }

    /// An API key and secret of the simulated venue.
    public struct Credentials: Sendable {
        public var apiKey: String
        public var secret: String
        public init(apiKey: String, secret: String) {
            self.apiKey = apiKey
            self.secret = secret
        }

        /// A fresh random pair (64 hex characters each, like Binance's).
        public static func random() -> Credentials {
            var rng = SystemRandomNumberGenerator()
            func hex() -> String { (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &rng), radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined() }
            return Credentials(apiKey: hex(), secret: hex())
        }
    }

    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let hub: StreamHub
    /// The bound port.
    public let port: Int
    /// Symbols the venue trades.
    public let symbols: [Symbol]
    /// True when the venue speaks TLS.
    public let tls: Bool
    /// The account created because none was configured (its key and secret are for this local venue only).
    public let demoAccount: Credentials?

    /// Each account's balance at start.
    let startingBalance: Notional

    private init(
        group: MultiThreadedEventLoopGroup, channel: Channel, hub: StreamHub, port: Int, symbols: [Symbol], demo: Credentials?,
        tls: Bool, startingBalance: Notional
    ) {
        self.startingBalance = startingBalance
        self.tls = tls
        self.group = group
        self.channel = channel
        self.hub = hub
        self.port = port
        self.symbols = symbols
        self.demoAccount = demo
    }

    /// `http://host:port` for REST.
    public var restURL: String { (tls ? "https" : "http") + "://127.0.0.1:\(port)" }
    /// `ws://host:port` for market streams (`/ws/<stream>`, `/stream?streams=…`).
    public var streamURL: String { (tls ? "wss" : "ws") + "://127.0.0.1:\(port)" }

    /// Loads the recordings, binds, and starts the market clock.
    public static func start(_ configuration: Configuration) async throws -> SimServer {
        var scripts = configuration.recordings.isEmpty ? [] : try MarketScript.load(paths: configuration.recordings, instruments: SimInstruments.all)
        if configuration.startAtSeconds > 0 { scripts = scripts.map { $0.starting(atNanos: Int64(configuration.startAtSeconds * 1e9)) } }
        for (listed, recorded) in configuration.listings.sorted(by: { $0.key < $1.key }) {
            guard let script = scripts.first(where: { $0.instrument.symbol == recorded }) else {
                throw ReplayError("cannot list \(listed): no recording of \(recorded)")
            }
            guard let instrument = SimInstruments.instrument(listed) else { throw ReplayError("the venue has no filters for \(listed)") }
            scripts.append(script.relisted(as: instrument))
        }
        if let spec = configuration.synthetic {
            let instrument = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
            guard !scripts.contains(where: { $0.instrument.symbol == instrument.symbol }) else {
                throw ReplayError("a recording already provides BTCUSDT; the synthetic market would replace it")
            }
            scripts.append(SyntheticMarket.script(spec, instrument: instrument))
        }
        guard !scripts.isEmpty else { throw ReplayError("no market: give a recording or a synthetic market") }
        var tlsContext: NIOSSLContext?
        switch (configuration.tlsCertificatePath, configuration.tlsKeyPath) {
        case (let cert?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tlsContext = try NIOSSLContext(configuration: tls)
        case (nil, nil):
            break
        default:
            throw ReplayError("TLS needs both a certificate and a private key")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let demo = configuration.accounts.isEmpty ? Credentials.random() : nil
        let hub = StreamHub(
            eventLoop: loop, scripts: scripts, speed: configuration.speed, credentials: configuration.accounts + (demo.map { [$0] } ?? []),
            startingBalance: configuration.startingBalance,
            listenKeyValidityMillis: Int64(configuration.listenKeyValiditySeconds * 1000),
            limits: RateLimits(
                weightPerMinute: configuration.requestWeightPerMinute, ordersPer10s: configuration.ordersPer10Seconds,
                ordersPerMinute: configuration.ordersPerMinute),
            faults: configuration.faults, policy: configuration.connectionPolicy)
        let tradeIDBase = UnixNanos.now().millis * 1000
        try await loop.submit {
            hub.exchange.makerFee = configuration.makerFee
            hub.exchange.takerFee = configuration.takerFee
            hub.exchange.nextTradeID = tradeIDBase
        }.get()
        do {
            let channel = try await ServerBootstrap(group: loop)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(
                    ChannelOptions.writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: 1 << 20, high: 8 << 20)
                )
                .childChannelInitializer { [tlsContext] channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                        }
                        try SimServer.configure(channel, hub: hub)
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
            if configuration.audit { try await loop.submit { hub.startAudit() }.get() }
            try await loop.submit { hub.start(pingInterval: .milliseconds(Int64(configuration.pingIntervalSeconds * 1000))) }.get()
            let port = channel.localAddress?.port ?? configuration.port
            return SimServer(group: group, channel: channel, hub: hub, port: port, symbols: scripts.map(\.instrument.symbol), demo: demo,
                tls: tlsContext != nil, startingBalance: configuration.startingBalance)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    static func configure(_ channel: Channel, hub: StreamHub) throws {
        let rest = RESTHandler(hub: hub)
        let boundRest = NIOLoopBound(rest, eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            shouldUpgrade: { channel, head in
                guard hub.admitConnection(from: channel.remoteAddress?.ipAddress ?? "") else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                // A WebSocket API handshake costs 5 request weight, shared with REST.
                if head.uri.hasPrefix("/ws-fapi/v1") {
                    let now = UnixNanos.now().millis
                    guard hub.limits.admit(nowMillis: now) == nil, hub.limits.spend(5, nowMillis: now) == nil else {
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                }
                let ok = (head.uri.hasPrefix("/ws-fapi/v1") && !hub.webSocketAPIDown)
                    || (UserStreamRequest(uri: head.uri).map { $0.subscriptions.allSatisfy { hub.isLiveListenKey($0.listenKey) } }
                        ?? (StreamRequest(uri: head.uri) != nil))
                return channel.eventLoop.makeSucceededFuture(ok ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    hub.track(channel, isOrderAPI: head.uri.hasPrefix("/ws-fapi/v1"))
                    if head.uri.hasPrefix("/ws-fapi/v1") {
                        hub.trackAPI(channel)
                        try channel.pipeline.syncOperations.addHandler(OrderAPIHandler(hub: hub, uri: head.uri))
                        return
                    }
                    if let user = UserStreamRequest(uri: head.uri) {
                        try channel.pipeline.syncOperations.addHandler(UserStreamHandler(hub: hub, request: user))
                        return
                    }
                    guard let request = StreamRequest(uri: head.uri) else { return }
                    try channel.pipeline.syncOperations.addHandler(MarketStreamHandler(hub: hub, request: request))
                }
            }
        )
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.syncOperations.removeHandler(boundRest.value, promise: nil)
            }),
            withErrorHandling: true
        )
        try channel.pipeline.syncOperations.addHandler(rest)
    }

    /// Current state of a symbol's venue book (for tests): its `lastUpdateId` and the levels.
    public func book(_ symbol: Symbol) async throws -> (lastUpdateID: Int64, bids: [PriceLevel], asks: [PriceLevel])? {
        let hub = self.hub
        return try await hub.eventLoop.submit { () -> (Int64, [PriceLevel], [PriceLevel])? in
            guard let m = hub.markets[symbol] else { return nil }
            return (m.lastUpdateID, m.book.levels(.bid), m.book.levels(.ask))
        }.get()
    }

    /// Audit entries from `index` on (empty unless started with `audit`).
    public func audit(from index: Int) async throws -> [SimAuditEntry] {
        let hub = self.hub
        return try await hub.eventLoop.submit { hub.audit(from: index) }.get()
    }

    /// An account's position, PnL (wallet change plus unrealized at the mid) and open orders, now.
    public func sample(apiKey: String) async throws -> SimAccountSample? {
        let hub = self.hub
        let start = startingBalance
        return try await hub.eventLoop.submit { hub.sample(apiKey: apiKey, startingBalance: start) }.get()
    }

    /// An account's wallets by asset, read on the venue's loop.
    public func wallets(apiKey: String) async throws -> [String: Notional] {
        let hub = self.hub
        return try await hub.eventLoop.submit { hub.exchange.accounts[apiKey]?.wallets ?? [:] }.get()
    }

    /// Connections the venue closed for breaking a per-connection limit, and the pongs its WebSocket API
    /// has received, read on the venue's loop.
    public func connectionCounts() async throws -> (policyClosures: Int, orderAPIPongs: Int) {
        let hub = self.hub
        return try await hub.eventLoop.submit { (hub.policyClosures, hub.orderAPIPongs) }.get()
    }

    /// Stops the market clock (streams go quiet; REST keeps answering). For tests and tools.
    public func pause() async throws {
        let hub = self.hub
        try await hub.eventLoop.submit { hub.stop() }.get()
    }

    /// IP bans (418) the venue has imposed for requests sent inside a 429's back-off window.
    public func bans() async throws -> Int {
        let hub = self.hub
        return try await hub.eventLoop.submit { hub.limits.bans.count }.get()
    }

    /// How often each fault has been injected.
    public func faultCounts() async throws -> [FaultKind: Int] {
        let hub = self.hub
        return try await hub.eventLoop.submit { hub.faults.counts }.get()
    }

    /// Injects a fault now.
    public func inject(_ rule: FaultRule) async throws {
        let hub = self.hub
        try await hub.eventLoop.submit { hub.trigger(rule) }.get()
    }

    /// Loops the recording has completed, per symbol.
    public func restarts() async throws -> Int {
        let hub = self.hub
        return try await hub.eventLoop.submit { hub.restarts }.get()
    }

    /// Stops the market clock, closes every connection and the listener, and releases the thread. Once:
    /// later calls return at once (nothing is scheduled on a loop that has shut down).
    public func shutdown() async throws {
        guard !shutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let hub = self.hub
        try await hub.eventLoop.submit { hub.stop() }.get()
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}
