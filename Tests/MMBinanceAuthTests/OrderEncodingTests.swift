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
        var e = OrderRequestEncoder()
        e.encode(request, apiKey: nil, timestamp: 1591702613943, recvWindow: 5000)
        let payload = String(decoding: e.payload, as: UTF8.self)
        #expect(payload == "newClientOrderId=mmq-1&price=9000&quantity=1&recvWindow=5000&side=BUY&symbol=BTCUSDT&timeInForce=GTX&timestamp=1591702613943&type=LIMIT")
        let signer = HMACSigner(secret: "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
        var hex: [UInt8] = []
        signer.sign(e.payload, into: &hex)
        #expect(String(decoding: hex, as: UTF8.self) == signer.signature(of: payload))
        let query = String(decoding: e.restQuery(signature: hex), as: UTF8.self)
        #expect(query == payload + "&signature=" + signer.signature(of: payload))
    }

    @Test func webSocketRequestCarriesSortedParamsAndTheSignature() throws {
        var e = OrderRequestEncoder()
        e.encode(request, apiKey: "KEY", timestamp: 1700000000000, recvWindow: 5000)
        let payload = String(decoding: e.payload, as: UTF8.self)
        let names = payload.split(separator: "&").map { String($0.split(separator: "=")[0]) }
        #expect(names == names.sorted() && names.first == "apiKey", "the WebSocket API signs parameters sorted by name")
        let json = try JSONValue.parse(e.webSocketJSON(id: "p-mmq-1", method: request.method, signature: Array("ab12".utf8)))
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
