import MMBinanceWire
import MMBook
import MMCore
import MMReplay
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: market data over real sockets", .serialized)
struct SimMarketDataTests {
    static let recording = Fixtures.packageRoot + "/recordings/btcusdt_20240718.gz"

    @Test func restEndpoints() async throws {
        let server = try await SimServer.start(.init(recordings: [Self.recording]))
        defer { Task { try? await server.shutdown() } }
        let port = server.port
        #expect(try httpGet(port: port, path: "/fapi/v1/ping").body == Array("{}".utf8))
        let time = try JSONValue.parse(try httpGet(port: port, path: "/fapi/v1/time").body)
        #expect((time["serverTime"]?.int64 ?? 0) > 1_700_000_000_000)
        let info = try httpGet(port: port, path: "/fapi/v1/exchangeInfo")
        #expect(info.status == 200 && info.headers.lowercased().contains("x-mbx-used-weight-1m"))
        let (instruments, rejected) = try ExchangeInfo.instruments(from: info.body)
        #expect(rejected.isEmpty && instruments.map(\.symbol.description) == ["BTCUSDT"])

        let depth = try httpGet(port: port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
        var m = MarketMessage()
        #expect(try MarketDecoder.decode(depth.body, into: &m) == .depthSnapshot)
        #expect(m.snapshot.bids.count == 5 && m.snapshot.asks.count == 5)
        #expect(m.snapshot.bids[0].price < m.snapshot.asks[0].price)

        let bad = try httpGet(port: port, path: "/fapi/v1/depth?symbol=NOPEUSDT")
        #expect(bad.status == 400 && String(decoding: bad.body, as: UTF8.self) == #"{"code":-1121,"msg":"Invalid symbol."}"#)
        let missing = try httpGet(port: port, path: "/fapi/v1/depth")
        #expect(String(decoding: missing.body, as: UTF8.self).contains("-1102"))
        let limit = try httpGet(port: port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=7")
        #expect(String(decoding: limit.body, as: UTF8.self).contains("-1100"))
        let unknown = try httpGet(port: port, path: "/fapi/v1/nothing")
        #expect(unknown.status == 404)
        try await server.shutdown()
    }

    /// Streams diffs and book tickers, syncs a book from REST + stream exactly as a client must, and checks
    /// it against every bookTicker with a matching `u` and, at the end, against the venue's own book.
    @Test(arguments: [("btcusdt@depth@0ms", 600), ("btcusdt@depth@100ms", 30), ("btcusdt@depth", 12)])
    func snapshotPlusStreamRebuildsTheVenueBook(stream: String, diffs: Int) async throws {
        let server = try await SimServer.start(.init(recordings: [Self.recording], speed: 20))
        let ws = try WebSocketClient(port: server.port, path: "/stream?streams=\(stream)/btcusdt@bookTicker")
        let instrument = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
        var book = SyncedBook(instrument: instrument)
        var m = MarketMessage()
        var tickersChecked = 0
        var mismatches = 0
        var pending: [BookTicker] = []
        var applied = 0
        while applied < diffs {
            let (opcode, payload) = try ws.next()
            guard opcode == 1 else { continue }
            switch try MarketDecoder.decode(payload, into: &m) {
            case .depthUpdate:
                switch book.onDiff(m.depth) {
                case .buffered(requestSnapshot: true):
                    try loadSnapshot(port: server.port, into: &book)
                case .applied:
                    applied += 1
                    let top = book.topOfBook
                    for t in pending where t.updateID == top.updateID {
                        tickersChecked += 1
                        if t.bidPrice != top.bidPrice || t.askPrice != top.askPrice || t.bidQuantity != top.bidQuantity
                            || t.askQuantity != top.askQuantity
                        { mismatches += 1 }
                    }
                    pending.removeAll { $0.updateID <= top.updateID }
                case .resync:
                    Issue.record("unexpected gap before the recording loops")
                default: break
                }
            case .bookTicker:
                if book.isSynced { pending.append(m.bookTicker) }
            default: break
            }
        }
        #expect(book.isSynced)
        // Merged diffs rarely end on an update that a bookTicker also reports; every diff does.
        #expect(mismatches == 0)
        if stream.hasSuffix("@0ms") { #expect(tickersChecked > 10) }
        // Stop the venue, drain what it already sent, and compare at the same update. Top 200 levels: the
        // client started from a 1000-level snapshot, the venue keeps deeper levels.
        try await server.pause()
        let venue = try await server.book(instrument.symbol)!
        while book.book.lastUpdateID < venue.lastUpdateID {
            let (opcode, payload) = try ws.next()
            if opcode == 1, try MarketDecoder.decode(payload, into: &m) == .depthUpdate { _ = book.onDiff(m.depth) }
        }
        #expect(book.isSynced)
        #expect(book.book.lastUpdateID == venue.lastUpdateID)
        #expect(Array(book.book.levels(.bid).prefix(200)) == Array(venue.bids.prefix(200)))
        #expect(Array(book.book.levels(.ask).prefix(200)) == Array(venue.asks.prefix(200)))
        try await server.shutdown()
    }

    @Test func loopRestartLooksLikeAGapAndResyncs() async throws {
        // At 400× the three-minute recording loops in well under a second.
        let server = try await SimServer.start(.init(recordings: [Self.recording], speed: 400))
        let ws = try WebSocketClient(port: server.port, path: "/ws/btcusdt@depth@0ms")
        let instrument = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
        var book = SyncedBook(instrument: instrument)
        var m = MarketMessage()
        var resynced = false
        var sawGap = false
        var lastU: Int64 = 0
        var messages = 0
        while !resynced && messages < 20_000 {
            let (opcode, payload) = try ws.next()
            guard opcode == 1 else { continue }
            messages += 1
            guard try MarketDecoder.decode(payload, into: &m) == .depthUpdate else { continue }
            #expect(m.depth.finalUpdateID > lastU, "update IDs keep increasing across loops")
            lastU = m.depth.finalUpdateID
            switch book.onDiff(m.depth) {
            case .resync:
                #expect(book.isSynced == false)
                sawGap = true
                if try loadSnapshot(port: server.port, into: &book) == .synced { resynced = true }
            case .buffered(requestSnapshot: true):
                _ = try loadSnapshot(port: server.port, into: &book)
            case .applied:
                if sawGap { resynced = true }
            default:
                break
            }
        }
        #expect(sawGap, "the loop restart must break the pu chain")
        #expect(resynced, "and the client must be able to resync from REST")
        #expect(book.counters.gaps == 1)
        #expect(try await server.restarts() >= 1)
        try await server.shutdown()
    }

    @Test func subscribeListAndRoutedPaths() async throws {
        let server = try await SimServer.start(.init(recordings: [Self.recording], speed: 20))
        let ws = try WebSocketClient(port: server.port, path: "/ws")
        try ws.sendText(#"{"method":"SUBSCRIBE","params":["btcusdt@bookTicker"],"id":1}"#)
        var gotReply = false
        var gotTicker = false
        for _ in 0..<200 where !(gotReply && gotTicker) {
            let (_, payload) = try ws.next()
            let text = String(decoding: payload, as: UTF8.self)
            if text == #"{"result":null,"id":1}"# { gotReply = true }
            if text.hasPrefix(#"{"e":"bookTicker""#) { gotTicker = true }
        }
        #expect(gotReply && gotTicker)
        try ws.sendText(#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#)
        var listed = false
        for _ in 0..<200 where !listed {
            let text = String(decoding: try ws.next().payload, as: UTF8.self)
            listed = text == #"{"result":["btcusdt@bookTicker"],"id":2}"#
        }
        #expect(listed)
        try ws.sendText(#"{"method":"SUBSCRIBE","params":["btcusdt@nonsense"],"id":3}"#)
        var refused = false
        for _ in 0..<200 where !refused {
            refused = String(decoding: try ws.next().payload, as: UTF8.self).contains(#""id":3"#)
        }
        #expect(refused)

        // Trades and aggregate trades on Binance's /market route, decoded as such.
        let trades = try WebSocketClient(port: server.port, path: "/market/stream?streams=btcusdt@aggTrade/btcusdt@trade")
        var kinds: Set<String> = []
        var m = MarketMessage()
        for _ in 0..<400 where kinds.count < 2 {
            let (opcode, payload) = try trades.next()
            guard opcode == 1 else { continue }
            switch try MarketDecoder.decode(payload, into: &m) {
            case .aggTrade: kinds.insert("aggTrade")
            case .trade: kinds.insert("trade")
            default: break
            }
        }
        #expect(kinds == ["aggTrade", "trade"])

        // Trades are on /market, not /public: the stream is accepted there and stays silent.
        let wrongRoute = try WebSocketClient(port: server.port, path: "/public/stream?streams=btcusdt@trade/btcusdt@bookTicker")
        var sawTrade = false
        for _ in 0..<100 {
            let text = String(decoding: try wrongRoute.next().payload, as: UTF8.self)
            if text.contains(#""e":"trade""#) { sawTrade = true }
        }
        #expect(!sawTrade)
        try await server.shutdown()
    }
}
