import MMBinanceWire
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: hostile input", .serialized)
struct SimBadInputTests {
    @Test func survivesAndAnswersBinanceStyle() async throws {
        let account = SimOrderTests.account
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], accounts: [account]))
        let port = server.port

        // Not HTTP at all.
        let garbage = try LoopbackSocket(port: port)
        try garbage.send(Array("\u{1}\u{2}GARBAGE\r\n\r\n".utf8))
        _ = try? garbage.readHeaders()

        // A body over 1 MiB is refused, not buffered.
        let big = String(repeating: "a", count: 2 << 20)
        let huge = try httpRequest(port: port, method: "POST", path: "/fapi/v1/order", headers: [("X-MBX-APIKEY", account.apiKey)], body: big)
        #expect(huge.status == 413)

        // Wrong types and missing parameters on a signed call.
        let client = SignedClient(port: port, credentials: account)
        let wrongType = try client.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=abc&price=1")
        #expect(wrongType.status == 400 && wrongType.json["code"]?.int64 == -1111)
        let badTimestamp = try httpRequest(port: port, method: "GET", path: "/fapi/v1/openOrders?timestamp=soon&signature=00", headers: [("X-MBX-APIKEY", account.apiKey)])
        #expect(badTimestamp.status == 400 && String(decoding: badTimestamp.body, as: UTF8.self).contains("-1102"))

        // Malformed WebSocket requests on both JSON endpoints.
        let market = try WebSocketClient(port: port, path: "/ws")
        try market.sendText("{\"method\":")
        #expect(String(decoding: try market.next().payload, as: UTF8.self).contains("error"))
        let api = try WebSocketClient(port: port, path: "/ws-fapi/v1")
        try api.sendText(#"{"id":1,"method":"order.place","params":{"symbol":["nested"]}}"#)
        #expect(String(decoding: try api.next().payload, as: UTF8.self).contains("-1130"))
        // Unknown stream names close the connection rather than serve nothing forever.
        #expect(throws: (any Error).self) {
            let ws = try WebSocketClient(port: port, path: "/stream?streams=btcusdt@nonsense")
            for _ in 0..<10 { _ = try ws.next() }
        }

        // Still serving.
        #expect(try httpGet(port: port, path: "/fapi/v1/ping").status == 200)
        try await server.shutdown()
    }
}
