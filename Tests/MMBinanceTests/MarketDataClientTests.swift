import MMBinance
import MMBook
import MMCore
import MMReplay
import MMSim
import TestSupport
import Foundation
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

@Suite("Market-data ingest: signals", .serialized)
struct IngestSignalTests {
    let btc = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
    let t = MarketDataClientTests()

    /// The book's imbalance and microprice come with every top of book; the trade flow comes from the
    /// `@aggTrade` streams on Binance's `/market` route, a connection of its own.
    @Test func signalsAreTheBooksAndTheTapes() async throws {
        let server = try await SimServer.start(.init(recordings: [MarketDataClientTests.recording], speed: 5))
        var configuration = MarketDataClient.Configuration(host: "127.0.0.1", port: server.port, instruments: [btc])
        configuration.tradeRoute = "/market/stream"
        let client = MarketDataClient(configuration)
        client.start()
        #expect(try await t.eventually(10) { client.top(btc.symbol)?.isSynced == true })
        #expect(try await t.eventually(20) { try await client.stats().trades >= 5 }, "trades from the /market route")
        let p = try #require(client.published(btc.symbol))
        #expect(p.signals.tradeRate > 0 && abs(p.signals.flow) <= 1)
        #expect(abs(p.signals.imbalance) <= 1 && p.signals.microprice >= Double(p.top.bidPrice.raw) && p.signals.microprice <= Double(p.top.askPrice.raw))
        let stats = try await client.stats()
        #expect(stats.tradeConnects == 1 && stats.malformed == 0)
        try await client.shutdown()
        try await server.shutdown()
    }
}

@Suite("Market-data ingest: rotation and TLS", .serialized)
struct IngestConnectionTests {
    let btc = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
    let t = MarketDataClientTests()

    @Test func makeBeforeBreakRotationKeepsTheBookInSequence() async throws {
        // 5x: the 3-minute recording loops (with a deliberate gap) only after 36 s.
        let server = try await SimServer.start(.init(recordings: [MarketDataClientTests.recording], speed: 5))
        let client = MarketDataClient(.init(host: "127.0.0.1", port: server.port, instruments: [btc]))
        client.start()
        #expect(try await t.eventually(10) { client.top(btc.symbol)?.isSynced == true })
        let before = try await client.stats()
        client.rotate()
        #expect(try await t.eventually(10) { try await client.stats().rotations == 1 }, "the new connection took over")
        let applied = try await client.stats().diffsApplied
        #expect(try await t.eventually(10) { try await client.stats().diffsApplied > applied + 20 }, "and keeps delivering")
        let after = try await client.stats()
        #expect(after.connects == before.connects + 1)
        // The recording's loop (at 36 s, reached on a loaded machine) is a deliberate gap: the client's gaps and
        // resyncs catch up with the venue's loops, and there is no other. (The venue counts a loop before the
        // client reads the diff that shows it, so the two are compared until they agree.)
        var loops = 0
        var seen = (gaps: 0, resyncs: 0)
        #expect(try await t.eventually(10) {
            loops = try await server.restarts()
            let s = try await client.stats()
            seen = (s.gaps, s.resyncs)
            return s.gaps == loops && s.resyncs == loops
        }, "no gap or resync but the venue's own loops: \(seen) against \(loops)")
        if loops == 0 { #expect(after.snapshots == before.snapshots, "no new snapshot") }
        #expect(client.top(btc.symbol)?.isSynced == true)
        // The book still matches the venue's exactly.
        try await server.pause()
        let venue = try await server.book(btc.symbol)!
        #expect(try await t.eventually(5) { client.top(btc.symbol)?.updateID == venue.lastUpdateID })
        #expect(client.top(btc.symbol)?.bidPrice == venue.bids[0].price && client.top(btc.symbol)?.askPrice == venue.asks[0].price)
        try await client.shutdown()
        try await server.shutdown()
    }

    @Test("wss and https with a venue certificate from a given CA file")
    func tls() async throws {
        try Tools.require("openssl", hint: "apt-get install openssl; .ci/run installs it")
        let dir = Fixtures.temporaryPath("ingest-tls")
        let cert = dir + "/cert.pem"
        let key = dir + "/key.pem"
        let made = try run([
            "sh", "-c",
            "mkdir -p \(dir) && openssl req -x509 -newkey rsa:2048 -nodes -keyout \(key) -out \(cert) -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1",
        ])
        #expect(made.status == 0, "\(made.output)")
        var config = SimServer.Configuration(recordings: [MarketDataClientTests.recording], speed: 5)
        config.tlsCertificatePath = cert
        config.tlsKeyPath = key
        let server = try await SimServer.start(config)
        var endpoint = try #require(Endpoint(url: server.restURL))
        #expect(endpoint.tls)
        endpoint.trustedCAFile = cert
        let client = MarketDataClient(.init(rest: endpoint, stream: endpoint, instruments: [btc]))
        client.start()
        #expect(try await t.eventually(10) { client.top(btc.symbol)?.isSynced == true }, "snapshot over https, diffs over wss")
        #expect(try await client.stats().malformed == 0)
        try await client.shutdown()

        // Without the CA the venue's certificate is refused: never synced.
        let untrusting = MarketDataClient(.init(rest: Endpoint(url: server.restURL)!, stream: Endpoint(url: server.streamURL)!, instruments: [btc]))
        untrusting.start()
        #expect(try await t.eventually(10) { try await untrusting.stats().reconnects >= 2 }, "it tried, and tried again")
        #expect(untrusting.top(btc.symbol)?.isSynced == false)
        #expect(try await untrusting.stats().snapshots == 0)
        try await untrusting.shutdown()
        try await server.shutdown()
        _ = try? run(["rm", "-rf", dir])
    }

    @Test func endpointsParse() {
        #expect(Endpoint(url: "wss://ws-fapi.binance.com/ws-fapi/v1") == Endpoint(host: "ws-fapi.binance.com", port: 443, tls: true, path: "/ws-fapi/v1"))
        #expect(Endpoint(url: "http://127.0.0.1:8080") == Endpoint(host: "127.0.0.1", port: 8080))
        #expect(Endpoint(url: "ftp://x") == nil && Endpoint(url: "http://host:99999") == nil && Endpoint(url: "https://") == nil)
    }
}
