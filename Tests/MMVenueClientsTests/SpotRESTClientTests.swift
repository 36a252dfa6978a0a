import MMBinance
import MMCore
import MMSim
import MMVenueClients
import MMVenue
import TestSupport
import Testing

/// The spot clients against the simulated venues over sockets: markets into the model, balances, an order's
/// life by its client ID, and the venues' refusals as error kinds.
@Suite("Spot REST clients against the simulated venues", .serialized)
struct SpotRESTClientTests {
    @Test(arguments: [SpotSimServer.Dialect.mexc, .binanceSpot])
    func marketsBalancesAndAnOrdersLife(dialect: SpotSimServer.Dialect) async throws {
        let account = SimServer.Credentials.random()
        let server = try await SpotSimServer.start(.init(dialect: dialect, accounts: [account]))
        let venue: VenueID = dialect == .mexc ? .mexc : .binanceSpot
        let endpoint = try #require(Endpoint(url: "http://127.0.0.1:\(server.port)"))
        let client = try SpotRESTClient(venue: venue, endpoint: endpoint, apiKey: account.apiKey, secret: account.secret)
        let (markets, skipped) = try await client.markets()
        #expect(skipped.isEmpty && markets.count == 1)
        let market = try #require(markets.first)
        let symbol = market.venueSymbol
        if venue == .mexc {
            #expect(market.unified.description == "QRL/USDT" && market.instrument.tickSize == Price("0.00001")! && market.instrument.stepSize == Quantity("0.01")!)
            #expect(market.instrument.minNotional == Notional(units: 5) && market.status == .trading)
        } else {
            #expect(market.unified.description == "BTC/USDT" && market.instrument.tickSize == Price("0.01")! && market.instrument.stepSize == Quantity("0.00001")!)
        }
        // Market data: time, book, ticker, klines.
        // The venue's clock is this machine's: its answer falls between the request's start and its end.
        let asked = UnixNanos.now().millis
        let serverTime = try await client.serverTime()
        let answered = UnixNanos.now().millis
        #expect(asked - 1 <= serverTime && serverTime <= answered + 1, "\(asked) ≤ \(serverTime) ≤ \(answered)")
        let book = try await client.orderBook(symbol: symbol, limit: 5)
        #expect(book.bids.count == 5 && book.asks.count == 5 && book.bids[0].0 < book.asks[0].0 && book.lastUpdateID > 0)
        let ticker = try await client.bookTicker(symbol: symbol)
        #expect(ticker.bid < ticker.ask)
        let klines = try await client.klines(symbol: symbol, interval: "1h", limit: 30)
        #expect(klines.count == 30 && klines.allSatisfy { $0.low <= $0.close && $0.close <= $0.high }, "the seeded history, in either venue's interval names")
        let before = try await client.balances()
        #expect(before["USDT"] == AssetBalance(free: Notional(units: 10_000)))
        // A buy well under the market rests and holds its cost.
        let (price, quantity) = venue == .mexc ? (Price("0.04")!, Quantity(units: 500)) : (Price(units: 50_000), Quantity("0.001")!)
        let id = ClientOrderIDScheme.of(venue).make(prefix: "mm-test-", sequence: 42)
        let ref = try await client.placeLimit(symbol: symbol, side: .buy, price: price, quantity: quantity, clientOrderID: id)
        let state = try await client.order(symbol: symbol, clientOrderID: id)
        #expect(state.ref == ref && state.status.status == .new && state.executed.isZero)
        #expect(try await client.balances()["USDT"]?.locked == Notional(price: price, quantity: quantity))
        try await client.cancel(symbol: symbol, ref)
        let canceled = try await client.order(symbol: symbol, clientOrderID: id)
        #expect(canceled.status.status == .canceled && canceled.status.venueStatus == "CANCELED")
        #expect(try await client.balances()["USDT"] == AssetBalance(free: Notional(units: 10_000)), "released")
        // Refusals arrive as the model's kinds.
        do {
            _ = try await client.placeLimit(symbol: symbol, side: .buy, price: price, quantity: venue == .mexc ? Quantity(units: 10) : Quantity("0.00005")!, clientOrderID: id + "b")
            Issue.record("a small order was accepted")
        } catch {
            #expect(error.kind == .belowMinNotional, "\(error)")
        }
        do {
            try await client.cancel(symbol: symbol, VenueOrderRef(venue == .mexc ? "C02__1" : "1")!)
            Issue.record("an unknown order was cancelled")
        } catch {
            #expect(error.kind == .unknownOrder, "\(error)")
        }
        let stranger = try SpotRESTClient(venue: venue, endpoint: endpoint, apiKey: account.apiKey, secret: "wrong")
        do {
            _ = try await stranger.balances()
            Issue.record("a wrong secret was accepted")
        } catch {
            #expect(error.kind == .auth, "\(error)")
        }
        try await server.shutdown()
    }
}
