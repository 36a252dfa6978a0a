import Foundation
import MMBinance
import MMBinanceWire
import MMBook
import MMCore
import MMSim
import TestSupport
import Testing

/// Binance spot's market data into the book: `@depth@100ms` diffs without `pu` from the simulated spot
/// venue, chained on `U == previous u + 1` after a `/api/v3/depth` snapshot.
@Suite("Market-data ingest: Binance spot", .serialized)
struct SpotMarketDataTests {
    let t = MarketDataClientTests()

    @Test func theDocumentedSpotDiffDecodesWithoutPu() throws {
        let text = #"{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#
        var message = MarketMessage()
        #expect(try MarketDecoder.decode(Array(text.utf8), into: &message) == .depthUpdate)
        #expect(message.depth.firstUpdateID == 157 && message.depth.finalUpdateID == 160)
        #expect(message.depth.prevFinalUpdateID == unknownUpdateID)
        #expect(message.depth.bids.count == 1 && message.depth.asks[0].quantity == Quantity(units: 100))
    }

    @Test func syncsFromTheSpotStreamsAndResyncsOnAGap() async throws {
        let server = try await SpotSimServer.start(.init(dialect: .binanceSpot, speed: 2))
        let btc = SpotSimServer.btcUSDTSpot()
        let endpoint = Endpoint(host: "127.0.0.1", port: server.port)
        let client = MarketDataClient(.binanceSpot(rest: endpoint, stream: endpoint, instruments: [btc]))
        client.start()
        #expect(try await t.eventually(10) { client.top(btc.symbol)?.isSynced == true }, "synced from /api/v3/depth + /stream")
        #expect(try await t.eventually(10) { try await client.stats().diffsApplied >= 10 })

        try await server.inject(FaultRule(kind: .gap))
        #expect(try await t.eventually(10) { try await client.stats().gaps >= 1 }, "a left-out message is a gap: U ≠ previous u + 1")
        #expect(try await t.eventually(10) { client.top(btc.symbol)?.isSynced == true }, "and the book resyncs")

        // Stopped, the client's top of book is the venue's, at the same update.
        try await server.pause()
        let venue = try #require(try await server.book(btc.symbol))
        #expect(try await t.eventually(5) { client.top(btc.symbol)?.updateID == venue.lastUpdateID })
        let top = try #require(client.top(btc.symbol))
        #expect(top.bidPrice == venue.bids[0].price && top.bidQuantity == venue.bids[0].quantity)
        #expect(top.askPrice == venue.asks[0].price && top.askQuantity == venue.asks[0].quantity)
        // The published signals are the venue book's: imbalance over five levels (level i weighs 1/(i+1)),
        // microprice between the touch.
        let published = try #require(client.published(btc.symbol))
        func weighted(_ levels: [PriceLevel]) -> Double {
            levels.prefix(5).enumerated().reduce(0) { $0 + Double($1.element.quantity.raw) / Double($1.offset + 1) }
        }
        let (b, a) = (weighted(venue.bids), weighted(venue.asks))
        #expect(abs(published.signals.imbalance - (b - a) / (b + a)) < 1e-9, "\(published.signals)")
        #expect(published.signals.microprice >= Double(top.bidPrice.raw) && published.signals.microprice <= Double(top.askPrice.raw))
        let stats = try await client.stats()
        #expect(stats.malformed == 0 && stats.snapshots >= 2 && stats.resyncs >= 1)
        try await client.shutdown()
        try await server.shutdown()
    }
}
