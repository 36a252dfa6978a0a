import Foundation
import MMCore
@testable import MMBinance
@testable import MMNet
import MMSim
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOConcurrencyHelpers
import NIOPosix
import NIOWebSocket
import TestSupport
import Testing

/// The shell's network parts, each on its own: keep-alive REST, the shared weight budget, the socket
/// watchdog, snapshot retries under the venue's limits.
@Suite("Network parts of the Binance shell", .serialized)
struct NetworkTests {
    @Test func restGoesOverOneWarmConnectionAndATimeoutReplacesIt() async throws {
        let server = try await SimServer.start(.init(recordings: [MarketDataClientTests.recording]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let client = try await loop.submit { KeepAliveHTTPClient(endpoint: Endpoint(host: "127.0.0.1", port: server.port), loop: loop) }.get()
        try await loop.submit { client.prewarm() }.get()
        for _ in 0..<20 {
            let reply = try await loop.flatSubmit { client.send(.GET, path: "/fapi/v1/time", headers: [], timeout: .seconds(5)) }.get()
            #expect(reply.status == 200)
        }
        #expect(try await loop.submit { client.connects }.get() == 1, "twenty requests, one connection")
        // An answer held back past the timeout: the request fails, its connection goes, the next one works.
        try await server.inject(FaultRule(kind: .delay, milliseconds: 1500))
        await #expect(throws: HTTPTimeoutError.self) {
            _ = try await loop.flatSubmit { client.send(.GET, path: "/fapi/v1/time", headers: [], timeout: .milliseconds(500)) }.get()
        }
        let after = try await loop.flatSubmit { client.send(.GET, path: "/fapi/v1/time", headers: [], timeout: .seconds(5)) }.get()
        let connects = try await loop.submit { client.connects }.get()
        #expect(after.status == 200 && connects == 2)
        // Concurrent requests open more connections, up to the cap.
        let many = try await loop.flatSubmit {
            EventLoopFuture.whenAllSucceed((0..<8).map { _ in client.send(.GET, path: "/fapi/v1/ping", headers: [], timeout: .seconds(5)) }, on: loop)
        }.get()
        let total = try await loop.submit { client.connects }.get()
        #expect(many.allSatisfy { $0.status == 200 } && total <= 2 + 4)
        try await loop.submit { client.shutdown() }.get()
        try await group.shutdownGracefully()
        try await server.shutdown()
    }

    @Test func theBudgetFollowsTheVenuesHeadersAndWaits() {
        let budget = RequestBudget(weightPerMinute: 100)
        var headers = HTTPHeaders()
        headers.add(name: "X-MBX-USED-WEIGHT-1M", value: "85")
        #expect(budget.observe(status: 200, headers: headers, nowNanos: 1_000) == 0)
        #expect(budget.allows(weight: 5, nowNanos: 2_000) && !budget.allows(weight: 6, nowNanos: 2_000), "90 % for what can wait")
        #expect(budget.allows(weight: 15, essential: true, nowNanos: 2_000), "the rest for what reduces risk")
        var limited = HTTPHeaders()
        limited.add(name: "Retry-After", value: "7")
        #expect(budget.observe(status: 429, headers: limited, nowNanos: 10_000) == 7_000)
        #expect(!budget.allows(weight: 1, essential: true, nowNanos: 10_000 + 6_999_000_000))
        #expect(budget.closedUntilNanos == 10_000 + 7_000_000_000)
        var absurd = HTTPHeaders()
        absurd.add(name: "Retry-After", value: "99999999999999")
        #expect(budget.observe(status: 418, headers: absurd, nowNanos: 0) == 86_400_000, "held to a day, never an overflow")
        #expect(budget.observe(status: 418, headers: HTTPHeaders(), nowNanos: 0) == 60_000, "a ban without a wait: a minute")
    }

    @Test func theWatchdogPingsAndClosesASilentConnection() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let silent = NIOLockedValueBox(0)
        try channel.pipeline.syncOperations.addHandler(
            WatchdogHandler(Watchdog(pingEvery: .seconds(1), readTimeout: .seconds(3)) { silent.withLockedValue { $0 += 1 } }))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        loop.advanceTime(by: .seconds(1))
        let ping = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(ping.opcode == .ping)
        // Anything read keeps it alive.
        for _ in 0..<5 {
            loop.advanceTime(by: .seconds(1))
            try channel.writeInbound(WebSocketFrame(fin: true, opcode: .pong, data: ByteBuffer()))
            _ = try channel.readInbound(as: WebSocketFrame.self)
        }
        #expect(channel.isActive && silent.withLockedValue { $0 } == 0)
        // Then nothing for longer than the read timeout: closed.
        loop.advanceTime(by: .seconds(4))
        #expect(!channel.isActive && silent.withLockedValue { $0 } == 1)
    }

    /// A snapshot refused with a 429 is asked for again after the venue's wait, not on every diff.
    @Test func snapshotRetriesBackOffAndHonourRetryAfter() async throws {
        let server = try await SimServer.start(.init(recordings: [MarketDataClientTests.recording], speed: 5))
        let btc = MarketDataClientTests().btc
        var config = MarketDataClient.Configuration(host: "127.0.0.1", port: server.port, instruments: [btc])
        config.snapshotBackoff = .milliseconds(200)
        let client = MarketDataClient(config)
        try await server.inject(FaultRule(kind: .rateLimit, durationSeconds: 3))
        let started = MonotonicInstant.now().nanos
        client.start()
        #expect(try await MarketDataClientTests().eventually(15) { client.top(btc.symbol)?.isSynced == true }, "synced once the window ended")
        let synced = MonotonicInstant.now().nanos
        let stats = try await client.stats()
        #expect(stats.snapshotFailures <= 2, "\(stats.snapshotFailures) refused snapshot requests in a 3 s window of diffs")
        #expect(synced - started >= 2_500_000_000, "not before the venue's wait")
        #expect(config.budget.closedUntilNanos > 0, "the wait is in the budget the gateway shares")
        try await client.shutdown()
        try await server.shutdown()
    }
}
