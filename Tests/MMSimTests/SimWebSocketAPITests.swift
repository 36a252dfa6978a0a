import Foundation
import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

/// A WebSocket API connection signing as Binance documents it, with `ReferenceSigner`.
final class WSAPIClient {
    let ws: WebSocketClient
    let apiKey: String
    let signer: ReferenceSigner?
    private var nextID = 0

    init(port: Int, apiKey: String, secret: String?, query: String = "") throws {
        ws = try WebSocketClient(port: port, path: "/ws-fapi/v1" + query)
        self.apiKey = apiKey
        signer = secret.map(ReferenceSigner.init)
    }

    /// Sends `method` with `params` (JSON literals by name); `sign` adds apiKey, timestamp and signature.
    func call(_ method: String, _ params: [(String, String)], sign: Bool = true, signature: String? = nil) throws -> JSONValue {
        var all = params
        if sign {
            all.append(("apiKey", #""\#(apiKey)""#))
            if !all.contains(where: { $0.0 == "timestamp" }) { all.append(("timestamp", String(UnixNanos.now().millis))) }
            // Signed over name=value sorted by name, strings without their quotes.
            let payload = all.sorted { $0.0 < $1.0 }.map { k, v in
                "\(k)=" + (v.hasPrefix("\"") ? String(v.dropFirst().dropLast()) : v)
            }.joined(separator: "&")
            all.append(("signature", #""\#(signature ?? signer?.signature(of: payload) ?? "")""#))
        }
        nextID += 1
        let fields = all.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",")
        try ws.sendText(#"{"id":\#(nextID),"method":"\#(method)","params":{\#(fields)}}"#)
        while true {
            let (opcode, payload) = try ws.next()
            if opcode == 1 { return try JSONValue.parse(payload) }
        }
    }
}

@Suite("Simulated venue: the WebSocket API", .serialized)
struct SimWebSocketAPITests {
    @Test func documentedMethodsAnswerInTheDocumentedShapes() async throws {
        let venue = try await ConformanceTests.Venue()
        let api = try WSAPIClient(port: venue.server.port, apiKey: venue.account.apiKey, secret: venue.account.secret)
        let s = #""BTCUSDT""#
        let order = String(venue.resting[2])
        // Each documented method with the parameters its page shows.
        let calls: [(page: String, method: String, params: [(String, String)], sign: Bool)] = [
            ("trade/websocket-api.md", "order.place", [
                ("symbol", s), ("side", #""BUY""#), ("type", #""LIMIT""#), ("timeInForce", #""GTX""#), ("positionSide", #""BOTH""#),
                ("quantity", "0.002"), ("price", venue.price(140)),
            ], true),
            ("trade/websocket-api/Query-Order.md", "order.status", [("symbol", s), ("orderId", order)], true),
            ("trade/websocket-api/Modify-Order.md", "order.modify", [
                ("symbol", s), ("orderId", order), ("side", #""BUY""#), ("quantity", #""0.003""#), ("price", #""\#(venue.price(141))""#),
            ], true),
            ("trade/websocket-api/Cancel-Order.md", "order.cancel", [("symbol", s), ("orderId", order)], true),
            ("account/websocket-api/Account-Information.md", "account.status", [], true),
            ("account/websocket-api/Account-Information-V2.md", "v2/account.status", [], true),
            ("account/websocket-api/Futures-Account-Balance.md", "account.balance", [], true),
            ("account/websocket-api.md", "v2/account.balance", [], true),
            ("trade/websocket-api/Position-Information.md", "account.position", [("symbol", s)], true),
            ("trade/websocket-api/Position-Info-V2.md", "v2/account.position", [("symbol", s)], true),
            ("market-data/websocket-api.md", "depth", [("symbol", s), ("limit", "5")], false),
            ("market-data/websocket-api/Symbol-Order-Book-Ticker.md", "ticker.book", [("symbol", s)], false),
            ("market-data/websocket-api/Symbol-Price-Ticker.md", "ticker.price", [("symbol", s)], false),
            ("user-data-streams/Start-User-Data-Stream-Wsp.md", "userDataStream.start", [("apiKey", #""\#(venue.account.apiKey)""#)], false),
            ("user-data-streams/Keepalive-User-Data-Stream-Wsp.md", "userDataStream.ping", [("apiKey", #""\#(venue.account.apiKey)""#)], false),
            ("user-data-streams/Close-User-Data-Stream-Wsp.md", "userDataStream.stop", [("apiKey", #""\#(venue.account.apiKey)""#)], false),
        ]
        var problems: [String] = []
        for c in calls {
            let reply = try api.call(c.method, c.params, sign: c.sign)
            guard reply["status"]?.int64 == 200, let result = reply["result"] else {
                problems.append("\(c.method): \(reply)")
                continue
            }
            let text = try String(contentsOfFile: Fixtures.path(DocScrape.root + "/" + c.page), encoding: .utf8)
            let documented = DocScrape.jsonBlocks(text).compactMap { try? JSONValue.parse(Array($0.utf8)) }
                .filter { $0["result"] != nil }
            guard let example = documented.first(where: { ShapeCheck.kind($0["result"]!) == ShapeCheck.kind(result) }) ?? documented.first else {
                problems.append("\(c.method): no documented response in \(c.page)")
                continue
            }
            var check = ConformanceTests.check(c.method.hasPrefix("order.") ? "GET /fapi/v1/order" : "")
            check.mayLack["activatePrice"] = "trailing stops only"
            check.mayLack["priceRate"] = "trailing stops only"
            check.mayAdd["avgPrice"] = "in REST's Cancel-Order example of the same object"
            check.mayAdd["feeBurn"] = "in REST's v2 account example"
            problems += check.differences(example["result"]!, result).map { "\(c.method): \($0)" }
            // The envelope: id, status, result and the rate limits.
            problems += ShapeCheck().differences(example["rateLimits"] ?? .null, reply["rateLimits"] ?? .null).map { "\(c.method) rateLimits: \($0)" }
        }
        print("conformance: \(calls.count) WebSocket API methods compared with the documentation")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        try await venue.server.shutdown()
    }

    @Test func parametersMustHaveTheDocumentedTypes() async throws {
        let venue = try await ConformanceTests.Venue()
        let api = try WSAPIClient(port: venue.server.port, apiKey: venue.account.apiKey, secret: venue.account.secret)
        let base: [(String, String)] = [("symbol", #""BTCUSDT""#), ("side", #""BUY""#), ("type", #""LIMIT""#), ("timeInForce", #""GTX""#)]
        let good = try api.call("order.place", base + [("quantity", "0.002"), ("price", #""\#(venue.price(160))""#)])
        #expect(good["status"]?.int64 == 200, "decimals as numbers or strings: \(good)")
        let cases: [([(String, String)], Int64)] = [
            (base + [("quantity", "0.002"), ("price", venue.price(161)), ("timestamp", #""\#(UnixNanos.now().millis)""#)], -1102),
            (base + [("quantity", "0.002"), ("price", #""abc""#)], -1130),
            (base + [("quantity", "0.002"), ("price", venue.price(162)), ("reduceOnly", "true")], -1130),
            (base + [("quantity", "0.002"), ("price", venue.price(163)), ("recvWindow", "5000.5")], -1130),
            ([("symbol", #""BTCUSDT""#), ("orderId", #""\#(venue.resting[0])""#)], -1130),
        ]
        for (params, code) in cases {
            let method = params.contains { $0.0 == "orderId" } ? "order.status" : "order.place"
            let reply = try api.call(method, params)
            #expect(reply["status"]?.int64 == 400 && reply["error"]?["code"]?.int64 == code, "\(params.map(\.0)): \(reply)")
        }
        // The rate limits of an order request show the order counts; `returnRateLimits=false` hides them.
        let kinds = good["rateLimits"]?.arrayValue?.map { "\($0["rateLimitType"]?.text ?? "") \($0["interval"]?.text ?? "")" }
        #expect(kinds == ["REQUEST_WEIGHT MINUTE", "ORDERS SECOND", "ORDERS MINUTE"], "\(kinds ?? [])")
        let quiet = try WSAPIClient(port: venue.server.port, apiKey: venue.account.apiKey, secret: venue.account.secret, query: "?returnRateLimits=false")
        let hidden = try quiet.call("ticker.price", [("symbol", #""BTCUSDT""#)], sign: false)
        #expect(hidden["status"]?.int64 == 200 && hidden["rateLimits"] == nil)
        let shown = try quiet.call("ticker.price", [("symbol", #""BTCUSDT""#), ("returnRateLimits", "true")], sign: false)
        #expect(shown["rateLimits"]?.arrayValue?.isEmpty == false)
        try await venue.server.shutdown()
    }

    @Test func sessionLogonWithAnEd25519Key() async throws {
        try Tools.require("openssl", hint: "apt-get install openssl; .ci/run installs it")
        let dir = Fixtures.temporaryPath("ed25519-session")
        _ = try run(["mkdir", "-p", dir])
        let key = dir + "/key.pem"
        #expect(try run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key]).status == 0)
        let publicKey = try run(["openssl", "pkey", "-in", key, "-pubout"]).output
        let ed = SimServer.Credentials(apiKey: "ed-key-0123456789abcdef0123456789abcdef0123456789abcdef", secret: publicKey)
        let hmac = SimServer.Credentials.random()
        let server = try await SimServer.start(.init(recordings: [SimMarketDataTests.recording], accounts: [ed, hmac]))
        // Signed by openssl, which shares nothing with the engine's signer.
        func sign(_ payload: String) throws -> String {
            try payload.write(toFile: dir + "/payload", atomically: true, encoding: .utf8)
            return try run(["sh", "-c", "openssl pkeyutl -sign -inkey \(key) -rawin -in \(dir)/payload | base64 -w0"]).output
        }
        let api = try WSAPIClient(port: server.port, apiKey: ed.apiKey, secret: nil)
        let now = UnixNanos.now().millis
        let logon = try api.call(
            "session.logon", [("apiKey", #""\#(ed.apiKey)""#), ("timestamp", String(now)), ("signature", #""\#(try sign("apiKey=\(ed.apiKey)&timestamp=\(now)"))""#)],
            sign: false)
        #expect(logon["status"]?.int64 == 200 && logon["result"]?["apiKey"]?.text == ed.apiKey, "\(logon)")
        // Authenticated: no key or signature on the requests that need them.
        let status = try api.call("account.balance", [("timestamp", String(UnixNanos.now().millis))], sign: false)
        #expect(status["status"]?.int64 == 200, "\(status)")
        let session = try api.call("session.status", [], sign: false)
        #expect(session["result"]?["apiKey"]?.text == ed.apiKey && session["result"]?["authorizedSince"]?.int64 == now)
        let out = try api.call("session.logout", [], sign: false)
        #expect(out["result"]?["apiKey"] == .null)
        let after = try api.call("account.balance", [("timestamp", String(UnixNanos.now().millis))], sign: false)
        #expect(after["status"]?.int64 == 400 && after["error"]?["code"]?.int64 == -1102, "logged out: \(after)")
        // An HMAC key cannot log on.
        let other = try WSAPIClient(port: server.port, apiKey: hmac.apiKey, secret: hmac.secret)
        let refused = try other.call("session.logon", [])
        #expect(refused["error"]?["code"]?.int64 == -4056, "\(refused)")
        try await server.shutdown()
        _ = try? run(["rm", "-rf", dir])
    }
}
