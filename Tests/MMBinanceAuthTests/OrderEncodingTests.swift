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
