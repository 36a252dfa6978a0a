import Foundation
import MMBinance
import MMBook
import MMCore
import MMExecution
import MMRisk
import MMSim
import MMStrategy
import MMVenue
import MMVenueClients
import TestSupport
import Testing

/// The engine's order manager trading a spot venue through `SpotRESTGateway`: quotes placed post-only by
/// client ID, a crossing one refused as post-only, fills found by polling the account's trades, and a halt
/// that leaves nothing open — against the simulated MEXC and Binance spot venues.
@Suite("Spot venues behind the order manager's gateway", .serialized)
struct SpotGatewayTests {
    static func now() -> Moment { Moment(nanos: MonotonicInstant.now().nanos, wallMillis: UnixNanos.now().millis) }

    @Test(arguments: [SpotSimServer.Dialect.mexc, .binanceSpot])
    func theOrderManagerQuotesFillsAndHaltsOnASpotVenue(dialect: SpotSimServer.Dialect) async throws {
        let account = SimServer.Credentials.random()
        let sim = try await SpotSimServer.start(.init(dialect: dialect, speed: 20, accounts: [account]))
        let venue: VenueID = dialect == .mexc ? .mexc : .binanceSpot
        let client = try SpotRESTClient(venue: venue, endpoint: Endpoint(url: sim.restURL)!, apiKey: account.apiKey, secret: account.secret)
        let spec = try #require(try await client.markets().markets.first)
        let gateway = SpotRESTGateway(client: client, market: spec)
        try await gateway.start()
        let i = spec.instrument
        // About 12 USDT a quote.
        let mid = dialect == .mexc ? Price("0.05")! : Price(units: 60_000)
        let size = Quantity(raw: Int64(Int128(Notional(units: 12).raw) * Int128(FixedPointScale.unit) / Int128(mid.raw)) / i.stepSize.raw * i.stepSize.raw)
        var configuration = OrderManager.Configuration(
            instrument: i,
            limits: RiskLimits(
                maxOrderNotional: Notional(units: 100), maxNetPosition: Quantity(raw: size.raw * 20), dailyLossLimit: Notional(units: 50),
                stopLoss: Notional(units: -100), maxDrawdown: Notional(units: 100), priceBandBps: 500, maxOrdersPerSecond: 20),
            reconciler: QuoteReconciler(tickSize: i.tickSize, priceToleranceTicks: 1_000_000), runPrefix: ClientOrderID("mmq-r1-")!, ownPrefix: ClientOrderID("mmq-")!)
        configuration.baseAsset = spec.base
        configuration.heartbeatNanos = 0
        configuration.userEventTimeoutNanos = 0
        var session = OrderSession(manager: OrderManager(configuration))
        // What came back other than acceptances and fills, for the failure messages.
        var trail: [String] = []

        func market() async throws -> MarketState {
            let t = try await client.bookTicker(symbol: spec.venueSymbol)
            return MarketState(
                top: TopOfBook(
                    bidPrice: t.bid, bidQuantity: i.stepSize, askPrice: t.ask, askQuantity: i.stepSize, updateID: 1, eventTimeMillis: UnixNanos.now().millis,
                    hasBid: true, hasAsk: true, isSynced: true), ageNanos: 1_000_000)
        }
        /// Polls trades, feeds what came back, runs the manager's timers.
        func pump(_ state: MarketState) async {
            await gateway.poll()
            try? await Task.sleep(nanoseconds: 100_000_000)
            for input in gateway.drain() {
                switch input {
                case .reply(_, _, .accepted), .report: break
                default: trail.append("\(input)")
                }
                gateway.feed(input, into: &session, at: Self.now())
            }
            let t = Self.now()
            session.handle(gateway, at: t) { $0.timer(t, market: state) }
        }
        func until(_ seconds: Double, _ state: MarketState, _ done: () -> Bool) async -> Bool {
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                if done() { return true }
                await pump(state)
            }
            return done()
        }

        var state = try await market()
        let t0 = Self.now()
        session.handle(gateway, at: t0) { $0.venueConfigured(at: t0) }
        // Generous waits: on a loaded machine (the whole suite at once) REST round trips are slow.
        #expect(await until(30, state) { session.manager.isReady }, "reconciled through the gateway: \(session.manager.counters)")

        // A bid well over the ask would take: refused as post-only, nothing left open.
        var t = Self.now()
        let crossing = state.top.askPrice + Price(raw: i.tickSize.raw * 100)
        session.handle(gateway, at: t) { $0.tick(QuoteIntent(quotes: [MMStrategy.Quote(side: .buy, price: crossing, quantity: size)]), market: state, at: t) }
        #expect(await until(30, state) { session.manager.counters.postOnlyRefusals >= 1 }, "\(session.manager.counters) \(session.manager.riskRejections)")

        // Both sides next to the touch, left where they are (a wide tolerance) until the market trades through one.
        let deadline = Date().addingTimeInterval(90)
        // Fills are counted, not read off the position: a buy and a sell of the same size bring it back to zero.
        while Date() < deadline && (session.manager.counters.placesAcknowledged < 2 || session.manager.keeper.fillCount == 0) {
            state = try await market()
            t = Self.now()
            // A tick behind the touch: a moving market cannot make either of them take.
            let quotes = [
                MMStrategy.Quote(side: .buy, price: state.top.bidPrice - i.tickSize, quantity: size),
                MMStrategy.Quote(side: .sell, price: state.top.askPrice + i.tickSize, quantity: size),
            ]
            session.handle(gateway, at: t) { $0.tick(QuoteIntent(quotes: quotes), market: state, at: t) }
            for _ in 0..<4 { await pump(state) }
        }
        #expect(
            session.manager.counters.placesAcknowledged >= 2,
            "both sides placed and acknowledged: \(session.manager.counters), ready \(session.manager.isReady), \(session.manager.haltReason.map { "\($0)" } ?? "not halted"), \(trail.suffix(12))")
        #expect(session.manager.keeper.fillCount > 0, "a fill came in from the trade poll: \(session.manager.counters)")

        // Halt: everything cancelled and confirmed by a reconciliation.
        t = Self.now()
        session.handle(gateway, at: t) { $0.command(OrderManager.Command.halt, at: t) }
        #expect(await until(30, state) { session.manager.haltConfirmed }, "halt confirmed")
        #expect(try await client.openOrders(symbol: spec.venueSymbol).isEmpty)
        // The fills the manager counted are the venue's.
        let held = try await client.balances()[spec.base]!.total
        let start = dialect == .mexc ? Notional(units: 200_000) : Notional(units: 1)
        #expect(Quantity(raw: (held - start).raw) == session.manager.position, "position = base held beyond the start")
        try await sim.shutdown()
    }
}
