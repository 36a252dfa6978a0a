import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: user data stream", .serialized)
struct SimUserStreamTests {
    func openKey(_ port: Int, _ key: String) throws -> String {
        let r = try httpRequest(port: port, method: "POST", path: "/fapi/v1/listenKey", headers: [("X-MBX-APIKEY", key)])
        return try JSONValue.parse(r.body)["listenKey"]!.text!
    }

    /// Next text frames until one has event type `e` (skipping others), as JSON.
    func next(_ ws: WebSocketClient, event: String, limit: Int = 20) throws -> JSONValue? {
        try nextRaw(ws, event: event, limit: limit).map { try JSONValue.parse($0) }
    }

    func nextRaw(_ ws: WebSocketClient, event: String, limit: Int = 20) throws -> [UInt8]? {
        for _ in 0..<limit {
            let (opcode, payload) = try ws.next()
            guard opcode == 1 else { continue }
            if try JSONValue.parse(payload)["e"]?.text == event { return payload }
        }
        return nil
    }

    @Test func orderAndAccountEvents() async throws {
        let account = SimOrderTests.account
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], accounts: [account]))
        let client = SignedClient(port: server.port, credentials: account)
        let listenKey = try openKey(server.port, account.apiKey)
        #expect(listenKey.count == 64)
        #expect(try openKey(server.port, account.apiKey) == listenKey, "one key per account, extended")
        let ws = try WebSocketClient(port: server.port, path: "/private/ws?listenKey=\(listenKey)&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE")
        let ordersOnly = try WebSocketClient(port: server.port, path: "/private/ws?listenKey=\(listenKey)&events=ORDER_TRADE_UPDATE")
        // The legacy path connects, but since 2026-04-23 carries no user data.
        let legacy = try WebSocketClient(port: server.port, path: "/ws/\(listenKey)")

        let depth = try JSONValue.parse(try httpGet(port: server.port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=5").body)
        let bid = Price(depth["bids"]!.arrayValue![0].arrayValue![0].text!)!
        let ask = Price(depth["asks"]!.arrayValue![0].arrayValue![0].text!)!

        let placed = try client.send("POST", "/fapi/v1/order",
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.002&price=\((bid - Price(units: 50)).description)&newClientOrderId=u-1")
        #expect(placed.status == 200)
        let new = try #require(try next(ws, event: "ORDER_TRADE_UPDATE"))
        #expect(new["o"]?["x"]?.text == "NEW" && new["o"]?["X"]?.text == "NEW" && new["o"]?["c"]?.text == "u-1")
        #expect(new["o"]?["i"]?.int64 == placed.json["orderId"]?.int64)
        #expect(try next(ordersOnly, event: "ORDER_TRADE_UPDATE")?["o"]?["c"]?.text == "u-1", "another connection with the same key")
        // The routed connection has its event; the legacy one answers a ping and has nothing before the pong.
        try legacy.sendPing("alive")
        var legacyFrame = try legacy.next()
        while legacyFrame.opcode == 9 { legacyFrame = try legacy.next() }
        #expect(legacyFrame.opcode == 10 && legacyFrame.payload == Array("alive".utf8), "no user event on the legacy path")

        _ = try client.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=u-1")
        let canceled = try #require(try next(ws, event: "ORDER_TRADE_UPDATE"))
        #expect(canceled["o"]?["x"]?.text == "CANCELED" && canceled["o"]?["X"]?.text == "CANCELED")

        _ = try client.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.001&price=\(ask.description)&newClientOrderId=u-2")
        #expect(try next(ws, event: "ORDER_TRADE_UPDATE")?["o"]?["x"]?.text == "NEW")
        let tradeBytes = try #require(try nextRaw(ws, event: "ORDER_TRADE_UPDATE"))
        let trade = try JSONValue.parse(tradeBytes)
        // The engine's decoder reads the venue's event exactly.
        guard case .execution(let report) = try UserStreamDecoder.decode(tradeBytes) else {
            Issue.record("not an execution report")
            return
        }
        #expect(report.execution == .trade && report.status == .filled && report.clientOrderID == "u-2")
        #expect(report.lastQuantity == Quantity("0.001")! && report.lastPrice == ask && !report.isMaker)
        #expect(trade["o"]?["x"]?.text == "TRADE" && trade["o"]?["X"]?.text == "FILLED")
        #expect(trade["o"]?["l"]?.text == "0.001" && Price(trade["o"]?["L"]?.text ?? "") == ask && trade["o"]?["m"] == .bool(false))
        #expect(Notional(trade["o"]?["n"]?.text ?? "")! > .zero, "taker fee")
        let updateBytes = try #require(try nextRaw(ws, event: "ACCOUNT_UPDATE"))
        let update = try JSONValue.parse(updateBytes)
        guard case .account(let account) = try UserStreamDecoder.decode(updateBytes) else {
            Issue.record("not an account update")
            return
        }
        #expect(account.positions.first?.quantity == Quantity("0.001")! && account.positions.first?.entryPrice == ask)
        let position = update["a"]?["P"]?.arrayValue?.first
        #expect(position?["s"]?.text == "BTCUSDT" && position?["pa"]?.text == "0.001")
        #expect(update["a"]?["B"]?.arrayValue?.first?["a"]?.text == "USDT")
        // The orders-only connection gets no ACCOUNT_UPDATE: its next frames are the cancel, the IOC's NEW and
        // TRADE, and then a pong.
        var seen: [String] = []
        try ordersOnly.sendPing("end")
        while true {
            let (opcode, payload) = try ordersOnly.next()
            if opcode == 10 { break }
            if opcode == 1 { seen.append(try JSONValue.parse(payload)["e"]?.text ?? "") }
        }
        #expect(seen == ["ORDER_TRADE_UPDATE", "ORDER_TRADE_UPDATE", "ORDER_TRADE_UPDATE"], "\(seen)")
        try await server.shutdown()
    }

    @Test func venuePingsAndStartingBalance() async throws {
        var config = SimServer.Configuration(recordings: [SimOrderTests.recording], accounts: [SimOrderTests.account])
        config.pingIntervalSeconds = 0.2
        config.startingBalance = Notional(units: 2500)
        let server = try await SimServer.start(config)
        let ws = try WebSocketClient(port: server.port, path: "/ws-fapi/v1")
        #expect(try ws.next().opcode == 9, "a ping from the venue")
        let client = SignedClient(port: server.port, credentials: SimOrderTests.account)
        #expect(try client.send("GET", "/fapi/v2/balance", "").json.arrayValue?.first { $0["asset"]?.text == "USDT" }?["balance"]?.text == "2500.00000000")
        try await server.shutdown()
    }

    @Test func listenKeyExpiresWithoutKeepalive() async throws {
        let account = SimOrderTests.account
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], accounts: [account], listenKeyValiditySeconds: 0.5))
        let listenKey = try openKey(server.port, account.apiKey)
        let ws = try WebSocketClient(port: server.port, path: "/private/ws?listenKey=\(listenKey)")
        let keep = try httpRequest(port: server.port, method: "PUT", path: "/fapi/v1/listenKey", headers: [("X-MBX-APIKEY", account.apiKey)])
        #expect(keep.status == 200)
        let expired = try #require(try next(ws, event: "listenKeyExpired"))
        #expect(expired["listenKey"]?.text == listenKey)
        let late = try httpRequest(port: server.port, method: "PUT", path: "/fapi/v1/listenKey", headers: [("X-MBX-APIKEY", account.apiKey)])
        #expect(late.status == 400 && String(decoding: late.body, as: UTF8.self).contains("-1125"))
        #expect(try openKey(server.port, account.apiKey) != listenKey, "recovery: a new key")
        #expect(throws: (any Error).self) { _ = try WebSocketClient(port: server.port, path: "/ws/\(listenKey)") }
        let noKey = try httpRequest(port: server.port, method: "POST", path: "/fapi/v1/listenKey")
        #expect(noKey.status == 401)
        try await server.shutdown()
    }
}
