import Foundation
import MMBinanceWire
import MMCore
@testable import MMSim
import TestSupport
import Testing

/// A signed-REST client of the simulated venue, built the way Binance documents it.
struct SignedClient {
    let port: Int
    let key: String
    let signer: ReferenceSigner
    var clockSkewMillis: Int64 = 0

    init(port: Int, credentials: SimServer.Credentials) {
        self.port = port
        key = credentials.apiKey
        signer = ReferenceSigner(secret: credentials.secret)
    }

    /// Sends `params` signed, in the query (GET/DELETE) or the body (POST), or split across both.
    func send(
        _ method: String, _ path: String, _ params: String, inBody: Bool? = nil, split: Bool = false,
        signature override: String? = nil, apiKey: String? = nil
    ) throws -> (status: Int, json: JSONValue, text: String) {
        let payload = (params.isEmpty ? "" : params + "&") + "timestamp=\(UnixNanos.now().millis + clockSkewMillis)"
        let body = inBody ?? (method == "POST")
        let r: (status: Int, headers: String, body: [UInt8])
        let headers = [("X-MBX-APIKEY", apiKey ?? key)].filter { !$0.1.isEmpty }
        if split {
            // Binance's "mixed" form: part in the query, the rest and the signature in the body.
            let parts = payload.split(separator: "&", maxSplits: 1).map(String.init)
            let sig = override ?? signer.signature(of: parts[0] + parts[1])
            r = try httpRequest(port: port, method: method, path: path + "?" + parts[0], headers: headers, body: parts[1] + "&signature=" + sig)
        } else if body {
            let sig = override ?? signer.signature(of: payload)
            r = try httpRequest(port: port, method: method, path: path, headers: headers, body: payload + "&signature=" + sig)
        } else {
            let sig = override ?? signer.signature(of: payload)
            r = try httpRequest(port: port, method: method, path: path + "?" + payload + "&signature=" + sig, headers: headers)
        }
        let text = String(decoding: r.body, as: UTF8.self)
        return (r.status, (try? JSONValue.parse(r.body)) ?? .null, text)
    }
}

@Suite("Simulated venue: order rules without sockets")
struct SimExchangeRuleTests {
    @Test func minNotionalUnlessReduceOnly() throws {
        var script = try MarketScript.load(paths: [SimOrderTests.recording])[0]
        // The 2021 filter (5 USDT) cannot be missed at BTC prices inside the price band; today's is 100.
        script.instrument = try Instrument(
            symbol: script.instrument.symbol, tickSize: "0.10", stepSize: "0.001", minQuantity: "0.001",
            maxQuantity: "1000", minNotional: "100", percentPriceUp: "1.15", percentPriceDown: "0.85")
        let market = SimMarket(script: script)
        var markets = [market.symbol: market]
        let bid = market.book.topOfBook(isSynced: true).bidPrice
        var exchange = SimExchange(accounts: [SimAccount(id: "k")])
        let price = (bid - Price(units: 10)).description
        let small = ["symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": price]
        #expect(exchange.newOrder(apiKey: "k", small, markets: &markets, nowMillis: 0) == .failure(.minNotional("100")))
        // Open a long, then a small reduce-only sell may rest under the minimum.
        let ask = market.book.topOfBook(isSynced: true).askPrice
        let long = ["symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC", "quantity": "0.002", "price": ask.description]
        #expect((try? exchange.newOrder(apiKey: "k", long, markets: &markets, nowMillis: 0).get())?.status == .filled)
        let reduceOnly = ["symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
            "price": (ask + Price(units: 10)).description, "reduceOnly": "true"]
        guard case .success(let o) = exchange.newOrder(apiKey: "k", reduceOnly, markets: &markets, nowMillis: 0) else {
            Issue.record("reduce-only order under min notional refused")
            return
        }
        #expect(o.status == .new && o.reduceOnly)
        var ioc = small
        ioc["quantity"] = "0.002"
        ioc["timeInForce"] = "IOC"
        #expect((try? exchange.newOrder(apiKey: "k", ioc, markets: &markets, nowMillis: 0).get())?.status == .expired)
        #expect(exchange.openOrders(account: "k", symbol: nil).count == 1)
    }
}

@Suite("Simulated venue: signed orders over REST", .serialized)
struct SimOrderTests {
    static let recording = Fixtures.packageRoot + "/recordings/btcusdt_20240718.gz"
    static let account = SimServer.Credentials(apiKey: "test-key-1", secret: "test-secret-1")
    /// A second account on the same venue.
    static let other = SimServer.Credentials(apiKey: "test-key-2", secret: "test-secret-2")

    func withVenue(_ body: (SimServer, SignedClient, (bid: Price, ask: Price)) async throws -> Void) async throws {
        let server = try await SimServer.start(.init(recordings: [Self.recording], accounts: [Self.account, Self.other]))
        do {
            let depth = try JSONValue.parse(try httpGet(port: server.port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=5").body)
            let bid = Price(depth["bids"]!.arrayValue![0].arrayValue![0].text!)!
            let ask = Price(depth["asks"]!.arrayValue![0].arrayValue![0].text!)!
            try await body(server, SignedClient(port: server.port, credentials: Self.account), (bid, ask))
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    @Test func orderRoundTrip() async throws {
        try await withVenue { server, client, top in
            let price = (top.bid - Price(units: 100)).formatted(minFractionDigits: 1)
            let placed = try client.send("POST", "/fapi/v1/order",
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.010&price=\(price)&newClientOrderId=mm-1")
            #expect(placed.status == 200, "\(placed.text)")
            #expect(placed.json["status"]?.text == "NEW" && placed.json["clientOrderId"]?.text == "mm-1")
            #expect(placed.json["origQty"]?.text == "0.010" && placed.json["side"]?.text == "BUY")
            let id = placed.json["orderId"]!.int64!

            let status = try client.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=mm-1")
            #expect(status.json["orderId"]?.int64 == id && status.json["status"]?.text == "NEW")
            let open = try client.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT")
            #expect(open.json.arrayValue?.count == 1)

            let canceled = try client.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&orderId=\(id)")
            #expect(canceled.json["status"]?.text == "CANCELED")
            #expect(try client.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").json.arrayValue?.isEmpty == true)
            let again = try client.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&orderId=\(id)")
            #expect(again.status == 400 && again.json["code"]?.int64 == -2011)
            #expect(try client.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&orderId=\(id)").json["status"]?.text == "CANCELED")

            // Mixed query + body signing, and cancel-all.
            let mixed = try client.send("POST", "/fapi/v1/order",
                "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.002&price=\((top.ask + Price(units: 2000)).description)",
                split: true)
            #expect(mixed.status == 200, "\(mixed.text)")
            let all = try client.send("DELETE", "/fapi/v1/allOpenOrders", "symbol=BTCUSDT")
            #expect(all.json["code"]?.int64 == 200)
            #expect(try client.send("GET", "/fapi/v1/openOrders", "").json.arrayValue?.isEmpty == true)
        }
    }

    @Test func everyRuleRejectsWithItsCode() async throws {
        try await withVenue { server, client, top in
            let below = (top.bid - Price(units: 100)).description
            let base = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
            let cases: [(String, String, Int64)] = [
                ("missing symbol", "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(below)", -1102),
                ("unknown symbol", "symbol=NOPEUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(below)", -1121),
                ("bad side", "symbol=BTCUSDT&side=UP&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(below)", -1117),
                ("bad type", "symbol=BTCUSDT&side=BUY&type=BEST&timeInForce=GTC&quantity=0.01&price=\(below)", -1116),
                ("missing price", "\(base)&quantity=0.01", -1102),
                ("off tick", "\(base)&quantity=0.01&price=\((top.bid - Price(units: 100)).formatted(minFractionDigits: 2))5", -4014),
                ("off step", "\(base)&quantity=0.0105&price=\(below)", -4023),
                ("below min qty", "\(base)&quantity=0&price=\(below)", -4003),
                ("above max qty", "\(base)&quantity=5000&price=\(below)", -4005),
                ("price above cap", "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\((top.ask + Price(units: 20000)).description)", -4016),
                ("price below floor", "\(base)&quantity=0.01&price=\((top.bid - Price(units: 20000)).description)", -4024),
                ("post-only would take", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.01&price=\(top.ask.description)", -5022),
                ("client id too long", "\(base)&quantity=0.01&price=\(below)&newClientOrderId=\(String(repeating: "x", count: 37))", -4015),
                ("client id with a quote", "\(base)&quantity=0.01&price=\(below)&newClientOrderId=a%22b", -4015),
            ]
            for (name, params, code) in cases {
                let r = try client.send("POST", "/fapi/v1/order", params)
                #expect(r.status == 400 && r.json["code"]?.int64 == code, "\(name): \(r.text)")
            }
            let first = try client.send("POST", "/fapi/v1/order", "\(base)&quantity=0.01&price=\(below)&newClientOrderId=dup")
            #expect(first.status == 200)
            let dup = try client.send("POST", "/fapi/v1/order", "\(base)&quantity=0.01&price=\(below)&newClientOrderId=dup")
            #expect(dup.json["code"]?.int64 == -4116)
            #expect(try client.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&orderId=1").json["code"]?.int64 == -2013)
        }
    }

    @Test func fillsAndPositionsOverREST() async throws {
        try await withVenue { server, client, top in
            let buy = try client.send("POST", "/fapi/v1/order",
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.001&price=\(top.ask.description)")
            #expect(buy.json["status"]?.text == "FILLED", "\(buy.text)")
            #expect(Price(buy.json["avgPrice"]?.text ?? "") == top.ask)
            #expect(Notional(buy.json["cumQuote"]?.text ?? "") == Notional(price: top.ask, quantity: Quantity("0.001")!))
            let positions = try client.send("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT")
            let row = positions.json.arrayValue?.first
            #expect(row?["positionAmt"]?.text == "0.001" && Price(row?["entryPrice"]?.text ?? "") == top.ask)
            let sell = try client.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001&reduceOnly=true")
            #expect(sell.json["status"]?.text == "FILLED", "\(sell.text)")
            let after = try client.send("GET", "/fapi/v3/positionRisk", "symbol=BTCUSDT").json.arrayValue?.first
            #expect(Quantity(after?["positionAmt"]?.text ?? "x")?.isZero == true)
            let balance = try client.send("GET", "/fapi/v2/balance", "").json.arrayValue?.first { $0["asset"]?.text == "USDT" }
            let wallet = Notional(balance?["balance"]?.text ?? "")
            #expect(wallet != nil && wallet! < Notional(units: 10_000), "paid the spread and two taker fees")
            let account = try client.send("GET", "/fapi/v2/account", "")
            #expect(account.json["totalWalletBalance"]?.text == balance?["balance"]?.text)
        }
    }

    @Test func batchOrdersAndDeadManSwitch() async throws {
        try await withVenue { server, client, top in
            func encode(_ s: String) -> String {
                s.unicodeScalars.map { c -> String in
                    (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "." || c == "-" || c == "_")
                        ? String(c) : String(format: "%%%02X", c.value)
                }.joined()
            }
            let p1 = (top.bid - Price(units: 100)).description
            let p2 = (top.bid - Price(units: 101)).description
            let batch = #"[{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTX","quantity":"0.002","price":"\#(p1)"},{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTX","quantity":"0.0025","price":"\#(p2)"},{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTX","quantity":"0.002","price":"\#(p2)"}]"#
            let r = try client.send("POST", "/fapi/v1/batchOrders", "batchOrders=" + encode(batch))
            let replies = r.json.arrayValue ?? []
            #expect(replies.count == 3, "\(r.text)")
            #expect(replies[0]["status"]?.text == "NEW" && replies[2]["status"]?.text == "NEW")
            #expect(replies[1]["code"]?.int64 == -4023, "the bad entry is answered in place")

            // Dead-man switch over the wire: left alone it cancels every order on the symbol. (Refresh timing is
            // tested on `DeadManTimers` with explicit clocks: blocking clients make wall-clock margins unreliable.)
            func openCount() throws -> Int { try client.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").json.arrayValue?.count ?? -1 }
            #expect(try openCount() == 2)
            #expect(try client.send("POST", "/fapi/v1/countdownCancelAll", "symbol=BTCUSDT&countdownTime=300").json["countdownTime"]?.text == "300")
            var cancelled = false
            for _ in 0..<100 where !cancelled {
                try await Task.sleep(for: .milliseconds(100))
                cancelled = try openCount() == 0
            }
            #expect(cancelled, "left alone, it cancels every order on the symbol")
            // Zero stops the timer: another account's longer one fires, ours (disarmed) does not.
            _ = try client.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.002&price=\(p1)")
            _ = try client.send("POST", "/fapi/v1/countdownCancelAll", "symbol=BTCUSDT&countdownTime=300")
            _ = try client.send("POST", "/fapi/v1/countdownCancelAll", "symbol=BTCUSDT&countdownTime=0")
            let other = SignedClient(port: server.port, credentials: Self.other)
            _ = try other.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.002&price=\(p1)")
            _ = try other.send("POST", "/fapi/v1/countdownCancelAll", "symbol=BTCUSDT&countdownTime=600")
            var otherCancelled = false
            for _ in 0..<100 where !otherCancelled {
                try await Task.sleep(for: .milliseconds(100))
                otherCancelled = try other.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").json.arrayValue?.count == 0
            }
            #expect(otherCancelled, "the other account's timer fired")
            #expect(try openCount() == 1, "ours, disarmed, did not")
        }
    }

    @Test func authenticationRules() async throws {
        try await withVenue { server, client, top in
            let params = "symbol=BTCUSDT"
            let noKey = try client.send("GET", "/fapi/v1/openOrders", params, apiKey: "")
            #expect(noKey.status == 401 && noKey.json["code"]?.int64 == -2014)
            let badKey = try client.send("GET", "/fapi/v1/openOrders", params, apiKey: "not-a-key")
            #expect(badKey.status == 401 && badKey.json["code"]?.int64 == -2015)
            let badSig = try client.send("GET", "/fapi/v1/openOrders", params, signature: String(repeating: "0", count: 64))
            #expect(badSig.json["code"]?.int64 == -1022)
            var ahead = client
            ahead.clockSkewMillis = 5_000
            #expect(try ahead.send("GET", "/fapi/v1/openOrders", params).json["code"]?.int64 == -1021)
            var behind = client
            behind.clockSkewMillis = -10_000
            #expect(try behind.send("GET", "/fapi/v1/openOrders", params).json["code"]?.int64 == -1021)
            #expect(try behind.send("GET", "/fapi/v1/openOrders", params + "&recvWindow=20000").status == 200)
            // Unsigned requests to signed endpoints.
            let unsigned = try httpRequest(port: server.port, method: "GET", path: "/fapi/v1/openOrders?symbol=BTCUSDT&timestamp=1", headers: [("X-MBX-APIKEY", client.key)])
            #expect(unsigned.status == 400 && String(decoding: unsigned.body, as: UTF8.self).contains("signature"))
        }
    }
}
