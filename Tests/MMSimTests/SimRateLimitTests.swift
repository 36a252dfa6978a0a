import MMBinanceWire
import MMCore
@testable import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: rate limits", .serialized)
struct SimRateLimitTests {
    func header(_ name: String, in headers: String) -> String? {
        headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters() }
    }

    @Test func bansScaleFromTwoMinutesToThreeDays() {
        var limits = RateLimits(weightPerMinute: 2400, ordersPer10s: 300, ordersPerMinute: 1200)
        var now: Int64 = 1_000_000
        var lengths: [Int64] = []
        for _ in 0..<14 {
            limits.noteRefused(untilMillis: now + 1000)
            var ban: RateLimits.Ban?
            for _ in 0...RateLimits.toleratedAfterRefusal { ban = limits.admit(nowMillis: now) }
            lengths.append(limits.bannedUntil - now)
            #expect(ban?.error.status == .imATeapot && ban?.error.code == -1003)
            now = limits.bannedUntil
            #expect(limits.admit(nowMillis: now) == nil, "lifted when its time is up")
        }
        #expect(lengths.prefix(4) == [120_000, 240_000, 480_000, 960_000])
        #expect(lengths.last.map { $0 == 259_200_000 } == true, "at most three days: \(lengths)")
        // Requests after the back-off window are not held against the client.
        limits.noteRefused(untilMillis: now + 1000)
        for _ in 0..<20 { #expect(limits.admit(nowMillis: now + 1000) == nil) }
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
