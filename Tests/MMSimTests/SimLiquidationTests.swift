import Foundation
import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: margin calls and liquidations over the wire", .serialized)
struct SimLiquidationTests {
    /// The next text frame whose event type is `type`.
    func next(_ ws: WebSocketClient, _ type: String) throws -> JSONValue {
        while true {
            let (opcode, payload) = try ws.next()
            guard opcode == 1 else { continue }
            let event = try JSONValue.parse(payload)
            if (event["data"]?["e"] ?? event["e"])?.text == type { return event }
        }
    }

    @Test func aFallingMarkWarnsThenLiquidatesAndTheEventsMatchTheDocumentation() async throws {
        let account = SimServer.Credentials.random()
        var configuration = SimServer.Configuration(recordings: [SimOrderTests.recording], accounts: [account])
        configuration.startingBalance = Notional(units: 100)
        let server = try await SimServer.start(configuration)
        let client = SignedClient(port: server.port, credentials: account)
        let key = try JSONValue.parse(
            try httpRequest(port: server.port, method: "POST", path: "/fapi/v1/listenKey", headers: [("X-MBX-APIKEY", account.apiKey)]).body)["listenKey"]!.text!
        let user = try WebSocketClient(port: server.port, path: "/private/ws?listenKey=\(key)")
        let liquidations = try WebSocketClient(port: server.port, path: "/market/stream?streams=btcusdt@forceOrder/!forceOrder@arr")
        // 0.02 BTC long (about 1,280 USDT at 20×) on a 100 USDT wallet.
        let bought = try client.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.020")
        #expect(bought.status == 200, "\(bought.text)")
        let entry = try #require(Double(try client.send("GET", "/fapi/v3/positionRisk", "symbol=BTCUSDT").json.arrayValue?.first?["entryPrice"]?.text ?? ""))
        let rows = try client.send("GET", "/fapi/v2/balance", "").json.arrayValue ?? []
        let wallet = try #require(Double(rows.first { $0["asset"]?.text == "USDT" }?["balance"]?.text ?? ""))
        // Equity = wallet + 0.02 (m − entry); maintenance = 0.4% × 0.02 m. The mark where equity is `ratio` × it:
        func mark(_ ratio: Double) -> String { String(format: "%.1f", (0.02 * entry - wallet) / (0.02 - ratio * 0.004 * 0.02)) }
        #expect(try httpRequest(port: server.port, method: "POST", path: "/sim/mark?symbol=BTCUSDT&price=\(mark(1.1))").status == 200)
        let call = try next(user, "MARGIN_CALL")
        #expect(call["p"]?.arrayValue?.first?["pa"]?.text.flatMap(Double.init) == 0.02 && call["p"]?.arrayValue?.first?["ps"]?.text == "BOTH")
        #expect(try httpRequest(port: server.port, method: "POST", path: "/sim/mark?symbol=BTCUSDT&price=\(mark(0.9))").status == 200)
        var liquidation: JSONValue?
        while liquidation == nil {
            let update = try next(user, "ORDER_TRADE_UPDATE")
            if update["o"]?["o"]?.text == "LIQUIDATION" && update["o"]?["X"]?.text == "FILLED" { liquidation = update }
        }
        #expect(liquidation?["o"]?["S"]?.text == "SELL" && liquidation?["o"]?["z"]?.text == "0.020")
        let forced = [try next(liquidations, "forceOrder"), try next(liquidations, "forceOrder")]
        #expect(Set(forced.compactMap { $0["stream"]?.text }) == ["btcusdt@forceOrder", "!forceOrder@arr"])
        let position = try client.send("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").json.arrayValue?.first?["positionAmt"]?.text
        #expect(position.flatMap(Double.init) == 0, "the position is gone")

        var problems: [String] = []
        let marginExample = try #require(try DocScrape.eventExamples("Event-Margin-Call.md").first)
        problems += ShapeCheck().differences(marginExample, call).map { "MARGIN_CALL: \($0)" }
        let forceExample = try #require(try DocScrape.eventExamples("Liquidation-Order-Streams.md", folder: "websocket-market-streams").first)
        problems += ShapeCheck().differences(forceExample, forced[0]["data"]!).map { "forceOrder: \($0)" }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        try await server.shutdown()
    }
}
