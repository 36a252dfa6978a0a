import MMBook
import MMCore
import MMSimCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A simulated spot venue on loopback, over the venue core: MEXC's spot v3 REST API on a seeded synthetic
/// QRL/USDT market with MEXC-like filters (5 decimals of price, 2 of quantity, 5 USDT minimum), or Binance's
/// spot REST API on a seeded synthetic BTCUSDT market with Binance spot's filters.
public final class SpotSimServer: Sendable {
    /// Which venue's protocol.
    public enum Dialect: String, Sendable {
        case mexc
        case binanceSpot = "binance-spot"
    }

    /// What to run.
    public struct Configuration: Sendable {
        public var dialect: Dialect
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 0
        public var speed = 1.0
        public var seed: UInt64 = 1
        /// Accounts that may trade; with none, a demo account is made.
        public var accounts: [SimServer.Credentials] = []
        /// Starting balances of every account, all free.
        public var balances: [String: Notional]
        /// The market's starting mid (default: 0.05 for QRL/USDT, 60,000 for BTCUSDT).
        public var startPrice: Price?
        /// The market's filters (default: the venue's usual ones for the symbol).
        public var instrument: Instrument?
        /// Kline closes before the start, oldest first, one per `historyIntervalMillis` (default: a seeded
        /// walk of 48 hours ending at the starting price).
        public var history: [Price]?
        public var historyIntervalMillis: Int64 = 3_600_000
        /// Faults to inject (REST and clock faults: rate_limit, http_5xx, delay, drop, clock_skew, stall).
        public var faults = FaultPlan()

        public init(dialect: Dialect = .mexc, port: Int = 0, speed: Double = 1.0, seed: UInt64 = 1, accounts: [SimServer.Credentials] = []) {
            self.dialect = dialect
            balances = dialect == .mexc
                ? ["USDT": Notional(units: 10_000), "QRL": Notional(units: 200_000)]
                : ["USDT": Notional(units: 10_000), "BTC": Notional(units: 1)]
            self.port = port
            self.speed = speed
            self.seed = seed
            self.accounts = accounts
        }
    }

    /// BTCUSDT with Binance spot's filters: 0.01 tick, 0.00001 step, 5 USDT minimum notional.
    public static func btcUSDTSpot() -> Instrument {
        // Force-try: constant, valid filters.
        try! Instrument(symbol: Symbol("BTCUSDT")!, tickSize: "0.01", stepSize: "0.00001", minQuantity: "0.00001", maxQuantity: "9000", minNotional: "5")
    }

    /// QRL/USDT with MEXC's precision fields: quote 5 decimals, base 2, 5 USDT minimum order amount.
    public static func qrlUSDT() -> Instrument {
        // Force-try: constant, valid filters.
        try! Instrument(symbol: Symbol("QRLUSDT")!, tickSize: "0.00001", stepSize: "0.01", minQuantity: "0.01", maxQuantity: "10000000", minNotional: "5")
    }

    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let venue: SpotVenue
    public let port: Int
    public let dialect: Dialect
    /// The demo account the venue made for itself, when none was given.
    public let demoAccount: SimServer.Credentials?
    private let shutDown = Atomic<Bool>(false)

    /// `http://host:port` for REST.
    public var restURL: String { "http://127.0.0.1:\(port)" }

    init(group: MultiThreadedEventLoopGroup, channel: Channel, venue: SpotVenue, port: Int, dialect: Dialect, demo: SimServer.Credentials?) {
        self.dialect = dialect
        self.group = group
        self.channel = channel
        self.venue = venue
        self.port = port
        demoAccount = demo
    }

    public static func start(_ configuration: Configuration) async throws -> SpotSimServer {
        let mexc = configuration.dialect == .mexc
        let instrument = configuration.instrument ?? (mexc ? qrlUSDT() : btcUSDTSpot())
        let start = configuration.startPrice ?? (mexc ? Price("0.05")! : Price(units: 60_000))
        let spec = SyntheticMarket.Spec(seed: configuration.seed, seconds: 600, intervalMillis: 100, startPrice: start, depth: 200)
        let history = configuration.history
            ?? SyntheticMarket.history(seed: configuration.seed, count: 48, endPrice: start, tick: instrument.tickSize)
        let pair = mexc ? SpotPair(base: "QRL", quote: "USDT") : SpotPair(base: "BTC", quote: "USDT")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let demo = configuration.accounts.isEmpty ? SimServer.Credentials.random() : nil
        // MEXC's spot base rates: 0 maker, 0.05% taker; Binance spot's: 0.1% both.
        let venue = SpotVenue(
            eventLoop: loop, scripts: [(SyntheticMarket.script(spec, instrument: instrument), pair)], speed: configuration.speed,
            credentials: configuration.accounts + (demo.map { [$0] } ?? []), balances: configuration.balances,
            makerFee: mexc ? .zero : Ratio(raw: 100_000), takerFee: mexc ? Ratio(raw: 50_000) : Ratio(raw: 100_000),
            limits: SpotLimits(dialect: mexc ? .mexc : .binanceSpot), faults: configuration.faults)
        do {
            let channel = try await ServerBootstrap(group: loop)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let front: any SpotFront = mexc ? MexcFront(venue: venue) : BinanceSpotFront(venue: venue)
                        let http = SpotHTTPHandler(front: front, venue: venue)
                        if mexc {
                            // MEXC's streams are protobuf on another host: not served here.
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        } else {
                            try configureStreams(channel, venue: venue, http: http)
                        }
                        try channel.pipeline.syncOperations.addHandler(http)
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
            let interval = configuration.historyIntervalMillis
            try await loop.submit {
                venue.markets[instrument.symbol]!.seedHistory(closes: history, intervalMillis: interval, endingAt: venue.nowMillis())
                venue.start()
            }.get()
            return SpotSimServer(group: group, channel: channel, venue: venue, port: channel.localAddress?.port ?? configuration.port, dialect: configuration.dialect, demo: demo)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// HTTP with Binance spot's market streams upgraded from it (`/ws/…`, `/stream?streams=…`).
    static func configureStreams(_ channel: Channel, venue: SpotVenue, http: SpotHTTPHandler) throws {
        let bound = NIOLoopBound(http, eventLoop: channel.eventLoop)
        let symbols = Set(venue.markets.keys)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 16,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(SpotStreams.request(uri: head.uri, symbols: symbols) == nil ? nil : HTTPHeaders())
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    guard let r = SpotStreams.request(uri: head.uri, symbols: symbols) else { return }
                    try channel.pipeline.syncOperations.addHandler(SpotStreamHandler(venue: venue, combined: r.combined, names: r.names))
                }
            })
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.syncOperations.removeHandler(bound.value, promise: nil)
            }),
            withErrorHandling: true)
    }

    /// `ws://host:port` for market streams (Binance spot).
    public var streamURL: String { "ws://127.0.0.1:\(port)" }

    /// Stops the market (its streams send what they hold first); REST keeps answering.
    public func pause() async throws {
        let venue = self.venue
        try await venue.eventLoop.submit {
            venue.stop()
            venue.streams.flush(nowMillis: venue.nowMillis(), force: true)
        }.get()
    }

    /// A symbol's venue book now: its `lastUpdateId` and the levels.
    public func book(_ symbol: Symbol) async throws -> (lastUpdateID: Int64, bids: [PriceLevel], asks: [PriceLevel])? {
        let venue = self.venue
        return try await venue.eventLoop.submit { () -> (Int64, [PriceLevel], [PriceLevel])? in
            guard let m = venue.markets[symbol] else { return nil }
            return (m.lastUpdateID, m.book.levels(.bid, limit: 20), m.book.levels(.ask, limit: 20))
        }.get()
    }

    /// Starts a fault now, as `POST /sim/fault` does.
    public func inject(_ rule: FaultRule) async throws {
        let venue = self.venue
        try await venue.eventLoop.submit { venue.trigger(rule) }.get()
    }

    /// An account's balances, read on the venue's loop.
    public func balances(apiKey: String) async throws -> [String: AssetBalance] {
        let venue = self.venue
        return try await venue.eventLoop.submit { venue.exchange.accounts[apiKey]?.balances ?? [:] }.get()
    }

    /// How often each fault fired, read on the venue's loop.
    public func faultCounts() async throws -> [FaultKind: Int] {
        let venue = self.venue
        return try await venue.eventLoop.submit { venue.faults.counts }.get()
    }

    public func shutdown() async throws {
        guard !shutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let venue = self.venue
        try await venue.eventLoop.submit { venue.stop() }.get()
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}
