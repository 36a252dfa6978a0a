import Foundation
import MMBinanceWire
import MMCore
import MMSim
import MMSimCore
import TestSupport
import Testing

/// The simulated spot venues' rate limits, injected faults and market orders by quote amount.
@Suite("Simulated spot venues: limits, faults, quote-sized market orders", .serialized)
struct SpotLimitsTests {
    @Test func mexcGivesEachEndpointFiveHundredWeightPerTenSeconds() async throws {
        let server = try await SpotSimServer.start(.init(dialect: .mexc))
        // exchangeInfo weighs 10: the 51st in one window is refused, with Retry-After; other endpoints still answer.
        var statuses: [Int] = []
        var refusal: (status: Int, headers: String, body: [UInt8])?
        let windowStart = UnixNanos.now().millis / 10_000
        for _ in 0..<51 {
            let r = try httpGet(port: server.port, path: "/api/v3/exchangeInfo")
            statuses.append(r.status)
            if r.status != 200 { refusal = r }
        }
        let sameWindow = UnixNanos.now().millis / 10_000 == windowStart
        if sameWindow {
            #expect(statuses.prefix(50).allSatisfy { $0 == 200 } && statuses[50] == 429, "\(statuses)")
            let r = try #require(refusal)
            #expect(String(decoding: r.body, as: UTF8.self) == #"{"code":429,"msg":"Too many requests"}"#)
            #expect(r.headers.lowercased().contains("retry-after: "))
            #expect(try httpGet(port: server.port, path: "/api/v3/time").status == 200, "a separate budget per endpoint")
        } else {
            #expect(statuses.filter { $0 == 429 }.count <= 1, "the window turned over mid-burst: \(statuses)")
        }
        try await server.shutdown()
    }

    @Test func binanceSpotCountsWeightAndAnInjectedRateLimitRefusesWithRetryAfter() async throws {
        let server = try await SpotSimServer.start(.init(dialect: .binanceSpot))
        let first = try httpGet(port: server.port, path: "/api/v3/exchangeInfo")
        #expect(first.headers.contains("X-MBX-USED-WEIGHT-1M: "), "\(first.headers)")
        #expect(try httpRequest(port: server.port, method: "POST", path: "/sim/fault?kind=rate_limit&duration=3").status == 200)
        let limited = try httpGet(port: server.port, path: "/api/v3/depth?symbol=BTCUSDT")
        #expect(limited.status == 429)
        #expect(String(decoding: limited.body, as: UTF8.self).contains(#""code":-1003"#))
        #expect(limited.headers.contains("Retry-After: 3") || limited.headers.contains("Retry-After: 2"), "\(limited.headers)")
        // Ignoring the back-off five more times is a ban (418).
        var last = 0
        for _ in 0..<7 { last = try httpGet(port: server.port, path: "/api/v3/time").status }
        #expect(last == 418)
        #expect((try await server.faultCounts())[.rateLimit] ?? 0 >= 1)
        try await server.shutdown()
    }

    @Test func serverErrorsAndClockSkewAreInjectedOnSpotVenuesToo() async throws {
        let account = SimServer.Credentials.random()
        var configuration = SpotSimServer.Configuration(dialect: .binanceSpot, accounts: [account])
        configuration.faults = try FaultPlan.parse("http_5xx:rate=1")
        let server = try await SpotSimServer.start(configuration)
        let failed = try httpGet(port: server.port, path: "/api/v3/time")
        #expect(failed.status == 503 && String(decoding: failed.body, as: UTF8.self).contains("-1001"))
        try await server.shutdown()

        let skewed = try await SpotSimServer.start(.init(dialect: .mexc, accounts: [account]))
        #expect(try httpRequest(port: skewed.port, method: "POST", path: "/sim/fault?kind=clock_skew&ms=-30000").status == 200)
        let asked = UnixNanos.now().millis
        let time = try JSONValue.parse(try httpGet(port: skewed.port, path: "/api/v3/time").body)["serverTime"]?.int64 ?? 0
        let answered = UnixNanos.now().millis
        #expect(asked - 1 <= time + 30_000 && time + 30_000 <= answered + 1, "the venue's clock runs 30 s behind")
        try await skewed.shutdown()
    }

    @Test func aMarketBuyByQuoteAmountSpendsAtMostIt() async throws {
        let account = SimServer.Credentials.random()
        let server = try await SpotSimServer.start(.init(dialect: .binanceSpot, accounts: [account]))
        let client = SignedClient(port: server.port, credentials: account)
        let bought = try client.send("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100")
        #expect(bought.json["status"]?.text == "FILLED", "\(bought.text)")
        let spent = try Notional(parsing: bought.json["cummulativeQuoteQty"]?.text ?? "")
        #expect(spent <= Notional(units: 100) && spent > Notional(units: 99), "\(spent)")
        let missing = try client.send("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET")
        #expect(missing.text.contains("-1102"), "\(missing.text)")
        try await server.shutdown()
    }
}
