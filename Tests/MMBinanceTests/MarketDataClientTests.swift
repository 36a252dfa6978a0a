import MMBinance
import MMBook
import MMCore
import MMReplay
import MMSim
import TestSupport
import Testing

@Suite("Market-data ingest against the simulated venue", .serialized)
struct MarketDataClientTests {
    static let recording = Fixtures.packageRoot + "/recordings/btcusdt_20240718.gz"
    let btc = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!

    /// Polls until `condition` holds or `seconds` pass.
    func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = MonotonicInstant.now().nanos + Int64(seconds * 1e9)
        while MonotonicInstant.now().nanos < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    @Test func syncsResyncsAndReconnects() async throws {
        let server = try await SimServer.start(.init(recordings: [Self.recording], speed: 5))
        let client = MarketDataClient(.init(host: "127.0.0.1", port: server.port, instruments: [btc]))
        client.start()
        #expect(try await eventually(10) { client.top(btc.symbol)?.isSynced == true }, "synced from REST + stream")

        // The published top of book is the venue's, at the same update.
        try await server.pause()
        let venue = try await server.book(btc.symbol)!
        #expect(try await eventually(5) { client.top(btc.symbol)?.updateID == venue.lastUpdateID })
        let top = try #require(client.top(btc.symbol))
        #expect(top.bidPrice == venue.bids[0].price && top.bidQuantity == venue.bids[0].quantity)
        #expect(top.askPrice == venue.asks[0].price && top.askQuantity == venue.asks[0].quantity)
        try await server.shutdown()

        let live = try await SimServer.start(.init(recordings: [Self.recording], speed: 5))
        let client2 = MarketDataClient(.init(host: "127.0.0.1", port: live.port, instruments: [btc]))
        client2.start()
        #expect(try await eventually(10) { client2.top(btc.symbol)?.isSynced == true })
        try await live.inject(FaultRule(kind: .gap))
        #expect(try await eventually(10) { try await client2.stats().gaps == 1 }, "the left-out diff is seen as a gap")
        #expect(try await eventually(10) { client2.top(btc.symbol)?.isSynced == true }, "and the book resyncs")

        try await live.inject(FaultRule(kind: .wsClose))
        #expect(try await eventually(10) { try await client2.stats().connects >= 2 }, "reconnects")
        #expect(try await eventually(10) { client2.top(btc.symbol)?.isSynced == true }, "and syncs again")
        let stats = try await client2.stats()
        #expect(stats.malformed == 0 && stats.snapshots >= 3)
        try await client2.shutdown()
        try await client.shutdown()
        try await live.shutdown()
    }
}
