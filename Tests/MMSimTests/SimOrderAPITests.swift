import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: WebSocket order API", .serialized)
struct SimOrderAPITests {
    /// Builds a signed `order.*` request the way Binance documents it: params sorted by name, signed as a
    /// query string, sent as JSON (numbers as numbers, decimals as strings).
    func request(_ id: Int, _ method: String, _ params: [(String, String, Bool)], signer: ReferenceSigner, apiKey: String, signature: String? = nil) -> String {
        var all = params
        all.append(("apiKey", apiKey, false))
        all.append(("timestamp", String(UnixNanos.now().millis), true))
        let payload = all.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        all.append(("signature", signature ?? signer.signature(of: payload), false))
        let fields = all.map { #""\#($0.0)":"# + ($0.2 ? $0.1 : #""\#($0.1)""#) }.joined(separator: ",")
        return #"{"id":\#(id),"method":"\#(method)","params":{\#(fields)}}"#
    }

    func reply(_ ws: WebSocketClient) throws -> JSONValue {
        while true {
            let (opcode, payload) = try ws.next()
            if opcode == 1 { return try JSONValue.parse(payload) }
        }
    }

    @Test func placeStatusModifyCancel() async throws {
        let account = SimOrderTests.account
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], accounts: [account]))
        let signer = ReferenceSigner(secret: account.secret)
        let ws = try WebSocketClient(port: server.port, path: "/ws-fapi/v1")
        let depth = try JSONValue.parse(try httpGet(port: server.port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=5").body)
        let bid = Price(depth["bids"]!.arrayValue![0].arrayValue![0].text!)!
        let price = (bid - Price(units: 100)).description

        try ws.sendText(request(1, "order.place", [
            ("symbol", "BTCUSDT", false), ("side", "BUY", false), ("type", "LIMIT", false), ("timeInForce", "GTX", false),
            ("quantity", "0.003", false), ("price", price, false), ("newClientOrderId", "ws-1", false), ("recvWindow", "5000", true),
        ], signer: signer, apiKey: account.apiKey))
        let placed = try reply(ws)
        #expect(placed["id"]?.int64 == 1 && placed["status"]?.int64 == 200)
        #expect(placed["result"]?["status"]?.text == "NEW" && placed["result"]?["clientOrderId"]?.text == "ws-1")
        #expect(placed["rateLimits"]?.arrayValue?.first?["rateLimitType"]?.text == "REQUEST_WEIGHT")
        let orderID = placed["result"]!["orderId"]!.text!

        try ws.sendText(request(2, "order.status", [("symbol", "BTCUSDT", false), ("orderId", orderID, true)], signer: signer, apiKey: account.apiKey))
        #expect(try reply(ws)["result"]?["status"]?.text == "NEW")

        let newPrice = (bid - Price(units: 150)).description
        try ws.sendText(request(3, "v1/order.modify", [
            ("symbol", "BTCUSDT", false), ("orderId", orderID, true), ("side", "BUY", false), ("quantity", "0.004", false),
            ("price", newPrice, false),
        ], signer: signer, apiKey: account.apiKey))
        let modified = try reply(ws)
        #expect(modified["status"]?.int64 == 200, "\(modified)")
        #expect(modified["result"]?["origQty"]?.text == "0.004" && Price(modified["result"]?["price"]?.text ?? "") == Price(newPrice))
        #expect(modified["result"]?["orderId"]?.text == orderID)

        try ws.sendText(request(4, "order.cancel", [("symbol", "BTCUSDT", false), ("origClientOrderId", "ws-1", false)], signer: signer, apiKey: account.apiKey))
        #expect(try reply(ws)["result"]?["status"]?.text == "CANCELED")

        try ws.sendText(request(5, "order.cancel", [("symbol", "BTCUSDT", false), ("orderId", orderID, true)], signer: signer, apiKey: account.apiKey, signature: String(repeating: "a", count: 64)))
        let bad = try reply(ws)
        #expect(bad["status"]?.int64 == 400 && bad["error"]?["code"]?.int64 == -1022)

        try ws.sendText(#"{"id":"x","method":"order.explode","params":{}}"#)
        #expect(try reply(ws)["error"] != nil)
        try ws.sendText("not json")
        #expect(try reply(ws)["error"]?["code"]?.int64 == -1000)
        try await server.shutdown()
    }
}
