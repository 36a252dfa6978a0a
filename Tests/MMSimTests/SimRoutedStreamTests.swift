import Foundation
import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

/// The routed market streams of the change notice: what `/public` and `/market` carry, in the documented
/// shapes, and silence for a stream on the wrong route.
@Suite("Simulated venue: routed market streams", .serialized)
struct SimRoutedStreamTests {
    /// Reads a combined-stream connection until every named stream has delivered; the data by stream.
    func collect(_ ws: WebSocketClient, _ names: Set<String>, limit: Int = 5000) throws -> [String: JSONValue] {
        var got: [String: JSONValue] = [:]
        var frames = 0
        while Set(got.keys) != names && frames < limit {
            let (opcode, payload) = try ws.next()
            frames += 1
            guard opcode == 1 else { continue }
            let envelope = try JSONValue.parse(payload)
            if let stream = envelope["stream"]?.text, let data = envelope["data"] { got[stream] = got[stream] ?? data }
        }
        return got
    }

    @Test func marketAndPublicStreamsInTheDocumentedShapes() async throws {
        let server = try await SimServer.start(.init(recordings: [SimMarketDataTests.recording], speed: 20))
        let marketStreams: [(String, String)] = [
            ("btcusdt@markPrice@1s", "Mark-Price-Stream.md"), ("!markPrice@arr@1s", "Mark-Price-Stream-for-All-market.md"),
            ("btcusdt@kline_1m", "Kline-Candlestick-Streams.md"), ("btcusdt@miniTicker", "Individual-Symbol-Mini-Ticker-Stream.md"),
            ("!miniTicker@arr", "All-Market-Mini-Tickers-Stream.md"), ("btcusdt@ticker", "Individual-Symbol-Ticker-Streams.md"),
            ("!ticker@arr", "All-Market-Tickers-Streams.md"), ("btcusdt@aggTrade", "Aggregate-Trade-Streams.md"),
        ]
        let publicStreams: [(String, String)] = [
            ("btcusdt@depth5@100ms", "Partial-Book-Depth-Streams.md"), ("!bookTicker", "All-Book-Tickers-Stream.md"),
            ("btcusdt@bookTicker", "Individual-Symbol-Book-Ticker-Streams.md"), ("btcusdt@depth@100ms", "Diff-Book-Depth-Streams.md"),
        ]
        var problems: [String] = []
        for (route, streams) in [("market", marketStreams), ("public", publicStreams)] {
            let names = streams.map(\.0)
            let ws = try WebSocketClient(port: server.port, path: "/\(route)/stream?streams=" + names.joined(separator: "/"))
            let got = try collect(ws, Set(names))
            #expect(Set(got.keys) == Set(names), "\(route): \(Set(names).subtracting(got.keys)) never arrived")
            for (name, page) in streams {
                guard let data = got[name] else { continue }
                let example = try #require(try DocScrape.eventExamples(page, folder: "websocket-market-streams").first, "\(page)")
                problems += ShapeCheck().differences(example, data).map { "\(name): \($0)" }
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        try await server.shutdown()
    }

    @Test func aStreamOnTheWrongRouteStaysSilent() async throws {
        let server = try await SimServer.start(.init(recordings: [SimMarketDataTests.recording], speed: 20))
        for path in ["/public/stream?streams=btcusdt@markPrice@1s/btcusdt@depth5@100ms", "/stream?streams=btcusdt@markPrice@1s/btcusdt@depth5@100ms"] {
            let ws = try WebSocketClient(port: server.port, path: path)
            // Twelve partial-depth pushes (1.2 s) without one mark price, pushed at once and every second on
            // /market.
            var depth = 0
            var marks = 0
            while depth < 12 {
                let (opcode, payload) = try ws.next()
                guard opcode == 1 else { continue }
                let stream = try JSONValue.parse(payload)["stream"]?.text
                if stream == "btcusdt@depth5@100ms" { depth += 1 }
                if stream == "btcusdt@markPrice@1s" { marks += 1 }
            }
            #expect(marks == 0, "\(path): mark price on a book route")
        }
        let market = try WebSocketClient(port: server.port, path: "/market/stream?streams=btcusdt@depth5@100ms/btcusdt@markPrice@1s")
        let got = try collect(market, ["btcusdt@markPrice@1s"])
        #expect(got.keys.contains("btcusdt@markPrice@1s"))
        try await server.shutdown()
    }

    @Test func onePrivateConnectionWithTwoListenKeysAndTheirOwnEvents() async throws {
        let (a, b) = (SimServer.Credentials.random(), SimServer.Credentials.random())
        let server = try await SimServer.start(.init(recordings: [SimMarketDataTests.recording], accounts: [a, b]))
        let (ca, cb) = (SignedClient(port: server.port, credentials: a), SignedClient(port: server.port, credentials: b))
        let ka = try #require(try ca.send("POST", "/fapi/v1/listenKey", "").json["listenKey"]?.text)
        let kb = try #require(try cb.send("POST", "/fapi/v1/listenKey", "").json["listenKey"]?.text)
        let ws = try WebSocketClient(
            port: server.port, path: "/private/stream?listenKey=\(ka)&events=ORDER_TRADE_UPDATE&listenKey=\(kb)&events=ACCOUNT_UPDATE")
        let depth = try JSONValue.parse(try httpGet(port: server.port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=5").body)
        let bid = Price(depth["bids"]!.arrayValue![0].arrayValue![0].text!)!
        _ = try ca.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.002&price=\(bid - Price(units: 50))&newClientOrderId=from-a")
        _ = try cb.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&newClientOrderId=from-b")
        var types: [String] = []
        var clients: [String] = []
        while !(types.contains("ORDER_TRADE_UPDATE") && types.contains("ACCOUNT_UPDATE")) {
            let (opcode, payload) = try ws.next()
            guard opcode == 1 else { continue }
            let event = try JSONValue.parse(payload)
            let data = event["data"] ?? event
            types.append(data["e"]?.text ?? "?")
            if let c = data["o"]?["c"]?.text { clients.append(c) }
        }
        // Then a ping's pong: everything sent before it has arrived.
        try ws.sendPing("end")
        while true {
            let (opcode, payload) = try ws.next()
            if opcode == 10 { break }
            guard opcode == 1 else { continue }
            let data = (try JSONValue.parse(payload))["data"]
            types.append(data?["e"]?.text ?? "?")
            if let c = data?["o"]?["c"]?.text { clients.append(c) }
        }
        #expect(Set(clients) == ["from-a"], "order updates of the first key only: \(clients)")
        #expect(Set(types) == ["ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"], "\(types)")
        try await server.shutdown()
    }
}
