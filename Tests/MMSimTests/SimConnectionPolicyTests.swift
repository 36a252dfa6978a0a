import Foundation
import MMBinanceWire
import MMCore
@testable import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: the WebSocket connection policy", .serialized)
struct SimConnectionPolicyTests {
    @Test func policyRules() {
        let policy = ConnectionPolicy()
        var c = ConnectionPolicy.Connection(openedAtMillis: 0)
        for i in 0..<10 { #expect(policy.inbound(&c, isControl: false, isPong: false, nowMillis: 100 + Int64(i)) == nil) }
        #expect(policy.inbound(&c, isControl: false, isPong: false, nowMillis: 500) == .tooManyMessages, "the 11th in one second")
        var d = ConnectionPolicy.Connection(openedAtMillis: 0)
        for t in stride(from: Int64(0), to: 5000, by: 100) { #expect(policy.inbound(&d, isControl: false, isPong: false, nowMillis: t) == nil) }
        // The WebSocket API counts pings and pongs only, five a second.
        var api = ConnectionPolicy.Connection(openedAtMillis: 0, isOrderAPI: true)
        for _ in 0..<50 { #expect(policy.inbound(&api, isControl: false, isPong: false, nowMillis: 10) == nil) }
        for _ in 0..<5 { #expect(policy.inbound(&api, isControl: true, isPong: true, nowMillis: 10) == nil) }
        #expect(policy.inbound(&api, isControl: true, isPong: false, nowMillis: 10) == .tooManyMessages)
        // Pong timeout and lifetime.
        var e = ConnectionPolicy.Connection(openedAtMillis: 0)
        #expect(policy.check(e, nowMillis: 599_999) == nil)
        #expect(policy.check(e, nowMillis: 600_000) == .pongTimeout)
        _ = policy.inbound(&e, isControl: true, isPong: true, nowMillis: 590_000)
        #expect(policy.check(e, nowMillis: 1_000_000) == nil)
        #expect(policy.check(e, nowMillis: 86_400_000) == .maxAge)
        // 300 attempts per 5 minutes per IP.
        var a = ConnectionPolicy.Attempts()
        for i in 0..<300 { #expect(policy.admit(&a, nowMillis: Int64(i))) }
        #expect(!policy.admit(&a, nowMillis: 1000))
        #expect(policy.admit(&a, nowMillis: 300_000), "the window slid past the first attempt")
    }

    func venue(_ adjust: (inout ConnectionPolicy) -> Void, ping: Double = 180) async throws -> SimServer {
        var config = SimServer.Configuration(recordings: [SimMarketDataTests.recording], speed: 5)
        adjust(&config.connectionPolicy)
        config.pingIntervalSeconds = ping
        return try await SimServer.start(config)
    }

    /// Reads frames, answering pings when `pong`, until a close frame (its code) or `pings` pings.
    func run(_ ws: WebSocketClient, pong: Bool, pings: Int) throws -> (closeCode: Int?, pings: Int) {
        var seen = 0
        while seen < pings {
            let (opcode, payload) = try ws.next()
            if opcode == 8 { return (payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 0, seen) }
            if opcode == 9 {
                seen += 1
                if pong { try ws.sendPong(payload) }
            }
        }
        return (nil, seen)
    }

    @Test func silentClientsAreDroppedAndAnsweringOnesKept() async throws {
        let server = try await venue({ $0.pongTimeoutMillis = 600 }, ping: 0.1)
        let answering = try WebSocketClient(port: server.port, path: "/public/ws/btcusdt@bookTicker")
        let silent = try WebSocketClient(port: server.port, path: "/public/ws/btcusdt@bookTicker")
        let kept = try run(answering, pong: true, pings: 15)
        #expect(kept.closeCode == nil && kept.pings == 15, "answered every ping for 1.5 s: still open")
        let dropped = try run(silent, pong: false, pings: 1000)
        #expect(dropped.closeCode == 1001, "closed for its missing pongs")
        try await server.shutdown()
    }

    @Test func lifetimeMessageRateAndConnectionRate() async throws {
        let server = try await venue({
            $0.maxAgeMillis = 800
            $0.connectionsPerWindow = 4
        })
        let old = try WebSocketClient(port: server.port, path: "/public/ws/btcusdt@bookTicker")
        let aged = try run(old, pong: true, pings: 1000)
        #expect(aged.closeCode == 1001, "disconnected at the end of its lifetime")
        // 11 messages within a second: the connection goes.
        let chatty = try WebSocketClient(port: server.port, path: "/public/ws")
        for i in 0..<11 { try chatty.sendText(#"{"method":"LIST_SUBSCRIPTIONS","id":\#(i)}"#) }
        var code: Int?
        while code == nil {
            let (opcode, payload) = try chatty.next()
            if opcode == 8 { code = Int(payload[0]) << 8 | Int(payload[1]) }
        }
        #expect(code == 1008)
        // Two connections so far, and two more fit; the fifth attempt in the window is refused.
        _ = try WebSocketClient(port: server.port, path: "/public/ws")
        _ = try WebSocketClient(port: server.port, path: "/public/ws")
        #expect(throws: (any Error).self) { _ = try WebSocketClient(port: server.port, path: "/public/ws") }
        try await server.shutdown()
    }
}
