import MMBinanceAuth
import MMBinanceWire
import MMCore
import Testing

@Suite("Order request encoding")
struct OrderEncodingTests {
    let request = OrderRequest(
        kind: .placeLimit, symbol: Symbol("BTCUSDT")!, side: .buy, price: Price("9000")!, quantity: Quantity("1")!,
        clientOrderID: ClientOrderID("mmq-1")!)

    @Test func restQueryIsSignedOverItsParameters() {
        let e = OrderRequestEncoder()
        e.encode(request, apiKey: nil, timestamp: 1591702613943, recvWindow: 5000)
        let payload = String(decoding: e.payload, as: UTF8.self)
        #expect(payload == "newClientOrderId=mmq-1&price=9000&quantity=1&recvWindow=5000&side=BUY&symbol=BTCUSDT&timeInForce=GTX&timestamp=1591702613943&type=LIMIT")
        let signer = HMACSigner(secret: "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
        var hex = [UInt8](repeating: 0, count: 64)
        hex.withUnsafeMutableBytes { signer.sign(e.payload, hexInto: $0) }
        #expect(String(decoding: hex, as: UTF8.self) == signer.signature(of: payload))
        let query = hex.withUnsafeBytes { String(decoding: e.restQuery(signature: $0), as: UTF8.self) }
        #expect(query == payload + "&signature=" + signer.signature(of: payload))
        // The documented Binance example, through the encoder's own buffers.
        let doc = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
        var docHex = [UInt8](repeating: 0, count: 64)
        Array(doc.utf8).withUnsafeBytes { p in docHex.withUnsafeMutableBytes { signer.sign(p, hexInto: $0) } }
        #expect(String(decoding: docHex, as: UTF8.self) == "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9")
    }

    @Test func webSocketRequestCarriesSortedParamsAndTheSignature() throws {
        let e = OrderRequestEncoder()
        e.encode(request, apiKey: "KEY", timestamp: 1700000000000, recvWindow: 5000)
        let payload = String(decoding: e.payload, as: UTF8.self)
        let names = payload.split(separator: "&").map { String($0.split(separator: "=")[0]) }
        #expect(names == names.sorted() && names.first == "apiKey", "the WebSocket API signs parameters sorted by name")
        let bytes = Array("p-mmq-1".utf8).withUnsafeBytes { id in
            Array("ab12".utf8).withUnsafeBytes { sig in Array(e.webSocketJSON(id: id, method: request.method, signature: sig)) }
        }
        let json = try JSONValue.parse(bytes)
        #expect(json["id"]?.text == "p-mmq-1" && json["method"]?.text == "order.place")
        let params = try #require(json["params"])
        #expect(params["price"] == .string("9000") && params["timestamp"] == .number("1700000000000") && params["recvWindow"] == .number("5000"))
        #expect(params["signature"]?.text == "ab12" && params["timeInForce"]?.text == "GTX")
    }

    /// One encoder writes bids, asks, cancels, modifies and a reduce-only close in any order, with and without
    /// the API key, exactly as a fresh encoder would (the constant runs of each shape are kept apart).
    @Test func everyShapeInAnyOrderMatchesAFreshEncoder() {
        let symbol = Symbol("BTCUSDT")!
        let shapes: [OrderRequest] = [
            request, OrderRequest(kind: .placeLimit, symbol: symbol, side: .sell, price: Price("9000.5")!, quantity: Quantity("0.002")!, clientOrderID: ClientOrderID("mmq-2")!),
            OrderRequest(kind: .cancel, symbol: symbol, clientOrderID: ClientOrderID("mmq-1")!),
            OrderRequest(kind: .modify, symbol: symbol, side: .sell, price: Price("9001")!, quantity: Quantity("0.004")!, clientOrderID: ClientOrderID("mmq-2")!),
            OrderRequest(kind: .placeMarket, symbol: symbol, side: .sell, quantity: Quantity("0.002")!, clientOrderID: ClientOrderID("mmq-3")!, reduceOnly: true),
            OrderRequest(kind: .placeLimit, symbol: Symbol("ETHUSDT")!, side: .buy, price: Price("3000")!, quantity: Quantity("1")!, clientOrderID: ClientOrderID("mmq-4")!),
            OrderRequest(kind: .query, symbol: symbol, clientOrderID: ClientOrderID("mmq-3")!),
        ]
        let reused = OrderRequestEncoder()
        for round in 0..<3 {
            for (i, r) in (round == 1 ? shapes.reversed() : shapes).enumerated() {
                let key: String? = (i + round) % 2 == 0 ? "KEY" : nil
                let fresh = OrderRequestEncoder()
                fresh.encode(r, apiKey: key, timestamp: 1_700_000_000_000 + Int64(i), recvWindow: round == 2 ? 6000 : 5000)
                reused.encode(r, apiKey: key, timestamp: 1_700_000_000_000 + Int64(i), recvWindow: round == 2 ? 6000 : 5000)
                #expect(Array(reused.payload) == Array(fresh.payload), "\(r.kind) \(r.side) round \(round)")
                let json = { (e: OrderRequestEncoder) in
                    Array("7".utf8).withUnsafeBytes { id in Array("ab".utf8).withUnsafeBytes { Array(e.webSocketJSON(id: id, method: r.method, signature: $0)) } }
                }
                #expect(json(reused) == json(fresh))
            }
        }
    }

    @Test func errorClasses() {
        #expect(VenueErrorClass.classify(code: -5022, httpStatus: 400) == .postOnlyReject)
        #expect(VenueErrorClass.classify(code: -1003, httpStatus: 429) == .rateLimited)
        #expect(VenueErrorClass.classify(code: 0, httpStatus: 418) == .rateLimited)
        #expect(VenueErrorClass.classify(code: -1021, httpStatus: 400) == .clockSkew)
        #expect(VenueErrorClass.classify(code: -2011, httpStatus: 400) == .unknownOrder)
        #expect(VenueErrorClass.classify(code: -1001, httpStatus: 503) == .retryable)
        #expect(VenueErrorClass.classify(code: -2019, httpStatus: 400) == .rejected)
        #expect(!VenueErrorClass.rejected.isRetryable && VenueErrorClass.clockSkew.isRetryable)
    }
}
