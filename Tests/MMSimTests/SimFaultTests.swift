import MMBinanceWire
import MMBook
import MMCore
import MMReplay
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: fault injection", .serialized)
struct SimFaultTests {
    @Test func specParsing() throws {
        let plan = try FaultPlan.parse("gap:every=10, http_5xx:rate=0.01,rate_limit:every=60:duration=5,clock_skew:ms=2000,seed=7")
        #expect(plan.seed == 7 && plan.rules.count == 4)
        #expect(plan.rules[2] == FaultRule(kind: .rateLimit, everySeconds: 60, durationSeconds: 5))
        let narrowed = try FaultPlan.parse("http_5xx:rate=1:path=/fapi/v1/order")
        #expect(narrowed.rules == [FaultRule(kind: .http5xx, rate: 1, path: "/fapi/v1/order")])
        var state = FaultState(plan: narrowed)
        #expect(state.roll(.http5xx, path: "/fapi/v1/openOrders") == nil && state.roll(.http5xx, path: "/fapi/v1/order") != nil)
        do {
            _ = try FaultPlan.parse("gap,boom:every=1,stall:every=5,delay:rate=2:ms=1,http_5xx:every=x,gap:every=1:path=/x")
            Issue.record("accepted a bad spec")
        } catch {
            // Every problem at once, each naming its item.
            #expect(error.problems.count == 7, "\(error.problems)")
            #expect(error.problems.contains { $0.hasPrefix("'gap:every=1:path=/x'") && $0.contains("only http_5xx, delay and drop") })
            #expect(error.problems.contains { $0.hasPrefix("'gap'") && $0.contains("every=") })
            #expect(error.problems.contains { $0.contains("unknown fault 'boom'") })
            #expect(error.problems.contains { $0.hasPrefix("'stall:every=5'") && $0.contains("duration") })
            #expect(error.problems.contains { $0.contains("rate must be between 0 and 1") })
        }
    }

    func inject(_ port: Int, _ query: String) throws {
        #expect(try httpRequest(port: port, method: "POST", path: "/sim/fault?\(query)").status == 200)
    }

    @Test func gapForcesAResync() async throws {
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], speed: 20))
        let ws = try WebSocketClient(port: server.port, path: "/ws/btcusdt@depth@0ms")
        let instrument = EmbeddedInstruments.all.first { $0.symbol.description == "BTCUSDT" }!
        var book = SyncedBook(instrument: instrument)
        var m = MarketMessage()
        var injected = false
        var resynced = false
        for _ in 0..<5000 where !resynced {
            let (opcode, payload) = try ws.next()
            guard opcode == 1, try MarketDecoder.decode(payload, into: &m) == .depthUpdate else { continue }
            switch book.onDiff(m.depth) {
            case .buffered(requestSnapshot: true), .resync:
                try loadSnapshot(port: server.port, into: &book)
            case .applied:
                if !injected && book.counters.applied > 50 {
                    try inject(server.port, "kind=gap")
                    injected = true
                } else if injected && book.counters.gaps > 0 && book.isSynced {
                    resynced = true
                }
            default: break
            }
        }
        #expect(book.counters.gaps == 1, "the left-out diff shows as exactly one gap")
        #expect(resynced)
        #expect(try await server.faultCounts()[.gap] == 1)
        try await server.shutdown()
    }

    @Test func ignoringRetryAfterEarnsABan() async throws {
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], speed: 20))
        let port = server.port
        // Sending on inside a 429's window: 418 with the time the ban ends, 2 minutes.
        try inject(port, "kind=rate_limit&duration=5")
        var statuses: [Int] = []
        for _ in 0..<8 { statuses.append(try httpGet(port: port, path: "/fapi/v1/ping").status) }
        #expect(statuses.prefix(6).allSatisfy { $0 == 429 } && statuses.last == 418, "\(statuses)")
        let banned = try httpGet(port: port, path: "/fapi/v1/time")
        let text = String(decoding: banned.body, as: UTF8.self)
        #expect(banned.status == 418 && text.contains(#""code":-1003"#) && text.contains("IP banned until"), "\(text)")
        let retry = banned.headers.split(separator: "\r\n").first { $0.hasPrefix("Retry-After: ") }.flatMap { Int($0.dropFirst(13)) } ?? 0
        #expect((115...120).contains(retry), "\(banned.headers)")
        try await server.shutdown()
    }

    @Test func restAndStreamFaults() async throws {
        let account = SimOrderTests.account
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], speed: 20, accounts: [account]))
        let port = server.port

        try inject(port, "kind=http_5xx")
        let failed = try httpGet(port: port, path: "/fapi/v1/ping")
        #expect(failed.status == 503 && String(decoding: failed.body, as: UTF8.self).contains("-1001"))
        #expect(try httpGet(port: port, path: "/fapi/v1/ping").status == 200, "one-off: the next request only")
        // Narrowed to a route: requests elsewhere pass, and the first one to it takes the fault.
        try inject(port, "kind=http_5xx&path=/fapi/v1/time")
        #expect(try httpGet(port: port, path: "/fapi/v1/ping").status == 200)
        #expect(try httpGet(port: port, path: "/fapi/v1/time?x=1").status == 503)
        #expect(try httpGet(port: port, path: "/fapi/v1/time").status == 200)

        try inject(port, "kind=rate_limit&duration=1")
        let limited = try httpGet(port: port, path: "/fapi/v1/ping")
        #expect(limited.status == 429 && limited.headers.contains("Retry-After: 1"))

        // A client that waits as Retry-After says is served again.
        try await Task.sleep(for: .seconds(1))
        #expect(try httpGet(port: port, path: "/fapi/v1/ping").status == 200, "the window closed")
        try inject(port, "kind=clock_skew&ms=10000")
        let serverTime = try JSONValue.parse(try httpGet(port: port, path: "/fapi/v1/time").body)["serverTime"]!.int64!
        #expect(serverTime - UnixNanos.now().millis > 9000)
        let client = SignedClient(port: port, credentials: account)
        #expect(try client.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").json["code"]?.int64 == -1021)
        var synced = client
        synced.clockSkewMillis = 10_000
        #expect(try synced.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").status == 200, "a client that keeps a clock offset recovers")
        try inject(port, "kind=clock_skew&ms=0")

        try inject(port, "kind=delay&ms=300")
        let start = MonotonicInstant.now()
        #expect(try httpGet(port: port, path: "/fapi/v1/ping").status == 200)
        #expect(MonotonicInstant.now().nanos(since: start) >= 290_000_000)

        try inject(port, "kind=drop")
        #expect(throws: (any Error).self) { _ = try httpRequest(port: port, method: "GET", path: "/fapi/v1/ping", timeoutSeconds: 1) }

        // Streams: stall, listen key expiry, and closing every connection.
        let listenKey = try JSONValue.parse(try httpRequest(port: port, method: "POST", path: "/fapi/v1/listenKey", headers: [("X-MBX-APIKEY", account.apiKey)]).body)["listenKey"]!.text!
        let user = try WebSocketClient(port: port, path: "/ws/\(listenKey)")
        try inject(port, "kind=listen_key_expire")
        #expect(String(decoding: try user.next().payload, as: UTF8.self).contains("listenKeyExpired"))

        let market = try WebSocketClient(port: port, path: "/ws/btcusdt@bookTicker")
        _ = try market.next()
        try inject(port, "kind=stall&duration=2")
        // Book tickers flow every few milliseconds at 20×; across the stall the longest silence is ~2 s.
        var longest: Int64 = 0
        var last = MonotonicInstant.now()
        let began = last
        while MonotonicInstant.now().nanos(since: began) < 3_000_000_000 {
            _ = try market.next()
            let now = MonotonicInstant.now()
            longest = max(longest, now.nanos(since: last))
            last = now
        }
        #expect(longest >= 1_500_000_000, "longest silence \(longest / 1_000_000) ms")
        try inject(port, "kind=ws_close")
        var closed = false
        for _ in 0..<1000 where !closed {
            do {
                let (opcode, _) = try market.next()
                closed = opcode == 8
            } catch {
                closed = true
            }
        }
        #expect(closed)

        let counts = try JSONValue.parse(try httpGet(port: port, path: "/sim/faults").body)
        for kind in ["http_5xx", "rate_limit", "clock_skew", "delay", "drop", "listen_key_expire", "stall", "ws_close"] {
            #expect((counts[kind]?.int64 ?? 0) > 0, "\(kind) counted")
        }
        #expect(try httpRequest(port: port, method: "POST", path: "/sim/fault?kind=meteor").status == 400)
        try await server.shutdown()
    }
}
