import MMBinanceWire
import MMCore
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: rate limits", .serialized)
struct SimRateLimitTests {
    func header(_ name: String, in headers: String) -> String? {
        headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters() }
    }

    @Test func requestWeightAndOrderCounts() async throws {
        let account = SimOrderTests.account
        var config = SimServer.Configuration(recordings: [SimOrderTests.recording], accounts: [account])
        config.requestWeightPerMinute = 50
        config.ordersPer10Seconds = 3
        let server = try await SimServer.start(config)
        let port = server.port

        let first = try httpGet(port: port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
        #expect(first.status == 200)
        #expect(Int(header("X-MBX-USED-WEIGHT-1M", in: first.headers) ?? "") ?? 0 >= 20, "limit=1000 weighs 20")
        var refused: (status: Int, headers: String, body: [UInt8])?
        for _ in 0..<10 where refused == nil {
            let r = try httpGet(port: port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
            if r.status == 429 { refused = r }
        }
        let r = try #require(refused)
        #expect(try JSONValue.parse(r.body)["code"]?.int64 == -1003)
        let retry = Int(header("Retry-After", in: r.headers) ?? "") ?? 0
        #expect((1...60).contains(retry))

        // New orders per 10 s: the fourth in a window is refused with -1015, and counts ride on the headers.
        try await server.shutdown()
        var config2 = config
        config2.requestWeightPerMinute = 2400
        let server3 = try await SimServer.start(config2)
        let client = SignedClient(port: server3.port, credentials: account)
        let depth = try JSONValue.parse(try httpGet(port: server3.port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=5").body)
        let bid = Price(depth["bids"]!.arrayValue![0].arrayValue![0].text!)!
        var codes: [Int64] = []
        for i in 0..<8 {
            let o = try client.send("POST", "/fapi/v1/order",
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.002&price=\((bid - Price(units: 100 + Int64(i))).description)")
            codes.append(o.status == 200 ? 0 : o.json["code"]?.int64 ?? 0)
        }
        #expect(codes.contains(-1015), "\(codes)")
        #expect(codes.filter { $0 == 0 }.count >= 3)
        let raw = try httpRequest(port: server3.port, method: "GET", path: "/fapi/v1/ping")
        #expect(header("X-MBX-USED-WEIGHT-1M", in: raw.headers) != nil)
        try await server3.shutdown()
    }
}
