import MMBinanceWire
import MMBook
import MMCore
import MMReplay
@testable import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: seeded synthetic market")
struct SyntheticMarketTests {
    let btc = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!

    @Test func sameSeedSameMarket() {
        let spec = SyntheticMarket.Spec(seed: 42, seconds: 20)
        let a = SyntheticMarket.script(spec, instrument: btc)
        let b = SyntheticMarket.script(spec, instrument: btc)
        let c = SyntheticMarket.script(SyntheticMarket.Spec(seed: 43, seconds: 20), instrument: btc)
        #expect(a.diffs.map(\.finalUpdateID) == b.diffs.map(\.finalUpdateID))
        #expect(a.diffs.map(\.bids) == b.diffs.map(\.bids) && a.trades == b.trades)
        #expect(a.diffs.map(\.bids) != c.diffs.map(\.bids))
        #expect(a.diffs.count == 400 && !a.trades.isEmpty)
    }

    @Test("rebuilt book matches every bookTicker and never crosses", arguments: [1, 2, 3] as [UInt64])
    func consistent(seed: UInt64) {
        let script = SyntheticMarket.script(.init(seed: seed, seconds: 60), instrument: btc)
        var book = SyncedBook(instrument: btc)
        #expect(book.onSnapshot(script.snapshot) == .bridging)
        var checks = 0
        for (i, d) in script.diffs.enumerated() {
            #expect(book.onDiff(d) == .applied)
            #expect(!book.book.isCrossed)
            let top = book.topOfBook
            let t = script.tickers[i]
            #expect(t.updateID == top.updateID && t.bidPrice == top.bidPrice && t.askPrice == top.askPrice)
            #expect(t.bidQuantity == top.bidQuantity && t.askQuantity == top.askQuantity)
            checks += 1
        }
        #expect(checks == 1200)
    }

    @Test func venueRunsTheSyntheticMarket() async throws {
        // At twice real time (a diff every 25 ms): a reader slowed by a loaded machine keeps up, where at 10x
        // it fell behind, lost diffs and resynced without end.
        var config = SimServer.Configuration(recordings: [], speed: 2)
        config.synthetic = .init(seed: 7, seconds: 60)
        let server = try await SimServer.start(config)
        #expect(server.symbols.map(\.description) == ["BTCUSDT"])
        let ws = try WebSocketClient(port: server.port, path: "/ws/btcusdt@depth@0ms")
        var book = SyncedBook(instrument: btc)
        var m = MarketMessage()
        let deadline = MonotonicInstant.now().nanos + 60_000_000_000
        while book.counters.applied < 100 {
            guard MonotonicInstant.now().nanos < deadline else {
                Issue.record("100 diffs not applied within 60 s: \(book.counters)")
                break
            }
            let (opcode, payload) = try ws.next()
            guard opcode == 1, try MarketDecoder.decode(payload, into: &m) == .depthUpdate else { continue }
            if book.onDiff(m.depth) == .buffered(requestSnapshot: true) {
                try loadSnapshot(port: server.port, into: &book)
            }
        }
        #expect(book.isSynced && book.counters.gaps == 0)
        try await server.shutdown()
    }
}
