import MMCore
import MMSimCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The simulated MEXC spot venue on loopback: MEXC's spot v3 REST API over the venue core, on a seeded
/// synthetic QRL/USDT market with MEXC-like filters (5 decimals of price, 2 of quantity, 5 USDT minimum).
public final class MexcSimServer: Sendable {
    /// What to run.
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 0
        public var speed = 1.0
        public var seed: UInt64 = 1
        /// Accounts that may trade; with none, a demo account is made.
        public var accounts: [SimServer.Credentials] = []
        /// Starting balances of every account, all free.
        public var balances: [String: Notional] = ["USDT": Notional(units: 10_000), "QRL": Notional(units: 200_000)]

        public init(port: Int = 0, speed: Double = 1.0, seed: UInt64 = 1, accounts: [SimServer.Credentials] = []) {
            self.port = port
            self.speed = speed
            self.seed = seed
            self.accounts = accounts
        }
    }

    /// QRL/USDT with MEXC's precision fields: quote 5 decimals, base 2, 5 USDT minimum order amount.
    public static func qrlUSDT() -> Instrument {
        // Force-try: constant, valid filters.
        try! Instrument(symbol: Symbol("QRLUSDT")!, tickSize: "0.00001", stepSize: "0.01", minQuantity: "0.01", maxQuantity: "10000000", minNotional: "5")
    }

    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let venue: MexcVenue
    public let port: Int
    /// The demo account the venue made for itself, when none was given.
    public let demoAccount: SimServer.Credentials?
    private let shutDown = Atomic<Bool>(false)

    /// `http://host:port` for REST.
    public var restURL: String { "http://127.0.0.1:\(port)" }

    init(group: MultiThreadedEventLoopGroup, channel: Channel, venue: MexcVenue, port: Int, demo: SimServer.Credentials?) {
        self.group = group
        self.channel = channel
        self.venue = venue
        self.port = port
        demoAccount = demo
    }

    public static func start(_ configuration: Configuration) async throws -> MexcSimServer {
        let instrument = qrlUSDT()
        let script = SyntheticMarket.script(
            .init(seed: configuration.seed, seconds: 600, intervalMillis: 100, startPrice: Price("0.05")!, depth: 200), instrument: instrument)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let demo = configuration.accounts.isEmpty ? SimServer.Credentials.random() : nil
        let venue = MexcVenue(
            eventLoop: loop, scripts: [(script, SpotPair(base: "QRL", quote: "USDT"))], speed: configuration.speed,
            credentials: configuration.accounts + (demo.map { [$0] } ?? []), balances: configuration.balances)
        do {
            let channel = try await ServerBootstrap(group: loop)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(MexcRESTHandler(venue: venue))
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
            try await loop.submit { venue.start() }.get()
            return MexcSimServer(group: group, channel: channel, venue: venue, port: channel.localAddress?.port ?? configuration.port, demo: demo)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// An account's balances, read on the venue's loop.
    public func balances(apiKey: String) async throws -> [String: AssetBalance] {
        let venue = self.venue
        return try await venue.eventLoop.submit { venue.exchange.accounts[apiKey]?.balances ?? [:] }.get()
    }

    public func shutdown() async throws {
        guard !shutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let venue = self.venue
        try await venue.eventLoop.submit { venue.stop() }.get()
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}
