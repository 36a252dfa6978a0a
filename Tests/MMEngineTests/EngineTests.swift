import Foundation
import MMBinance
import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMEngine
import MMSim
import TestSupport
import Testing

/// The whole engine against the simulated venue over real sockets on 127.0.0.1.
@Suite("Engine against the simulated venue", .serialized)
struct EngineTests {
    static let recording = Fixtures.packageRoot + "/recordings/btcusdt_20240718.gz"

    /// Polls until `condition` holds or `seconds` pass.
    func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = MonotonicInstant.now().nanos + Int64(seconds * 1e9)
        while MonotonicInstant.now().nanos < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// Waits until the strategy has run `count` more ticks: the positive signal before a check that
    /// nothing happened.
    func ticks(_ engine: Engine, _ count: Int) async throws {
        let from = engine.strategyTicks
        let ran = try await eventually(30) { engine.strategyTicks >= from + count }
        #expect(ran, "the strategy ran \(count) ticks")
    }

    func config(_ yaml: String) throws -> EngineConfig {
        let journal = yaml.contains("journal:") ? "" : "journal:\n  path: \"\"\n"
        // Any free ports: tests run engines side by side with whatever else is on the machine.
        let ports = "metrics:\n  port: 0\ncontrol:\n  port: 0\n"
        return try EngineConfig.parse(yaml: journal + ports + "statusIntervalSeconds: 3600\n" + yaml, environment: [:])
    }

    /// An engine on the embedded simulator.
    func embedded(_ extra: String = "") throws -> Engine {
        Engine(config: try config("venue: sim\nsim:\n  recording: \(Self.recording)\n" + extra), options: RunOptions())
    }

    /// Open orders of the account at the venue, over signed REST.
    func venueOpenOrders(_ rest: Endpoint, _ c: Credentials) async throws -> [JSONValue] {
        let q = "symbol=BTCUSDT&timestamp=\(UnixNanos.now().millis)"
        let signed = q + "&signature=" + HMACSigner(secret: c.secret).signature(of: q)
        let reply = try await VenueREST.send("GET", rest, path: "/fapi/v1/openOrders?" + signed, headers: [("X-MBX-APIKEY", c.apiKey)])
        #expect(reply.status == 200)
        return try JSONValue.parse(reply.body).arrayValue ?? []
    }

    @Test func aFailedCancelAllIsTriedAgainAtShutdown() async throws {
        let engine = try embedded()
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().openOrders == 2 && gateway.state().ordersAcked >= 2 }, "a bid and an ask rest")
        // The next cancel-all (the shutdown's) gets a 503; other REST requests before it pass.
        try await engine.simHandle!.inject(FaultRule(kind: .http5xx, path: "/fapi/v1/allOpenOrders"))
        let summary = try await engine.stop()
        let calls = summary.report?.restCallsByEndpoint ?? [:]
        #expect(calls["DELETE /fapi/v1/allOpenOrders"] == 2, "the 503, then the retry: \(calls)")
        #expect(summary.openOrdersAtExit == 0, "the second attempt cancelled them: \(summary.json)")
    }

    @Test func quotesOverTheWebSocketAPIAndPullsQuotesOnStop() async throws {
        let engine = try embedded()
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().openOrders == 2 && gateway.state().ordersAcked >= 2 }, "a bid and an ask rest")
        let rest = try #require(Endpoint(url: engine.simHandle!.restURL))
        let open = try await venueOpenOrders(rest, engine.credentialsInUse!)
        #expect(open.count == 2)
        #expect(Set(open.compactMap { $0["side"]?.text }) == ["BUY", "SELL"])
        #expect(open.allSatisfy { $0["timeInForce"]?.text == "GTX" && $0["clientOrderId"]?.text?.hasPrefix("mmq-") == true })
        let report = try await gateway.report()
        #expect(report.snapshot.restFallbacks == 0)
        #expect(report.restCallsByEndpoint["POST /fapi/v1/order"] == nil, "orders go over the WebSocket API")
        let summary = try await engine.stop()
        #expect(summary.openOrdersAtExit == 0 && summary.isClean)
        #expect(summary.steadyStateRESTCalls == 0)
        #expect(summary.json.contains(#""open_at_exit":0"#))
    }

    @Test func ticksOnTheGatewaysLoopQuoteAndStopAsOnTheirOwnThread() async throws {
        let engine = try embedded("strategy:\n  thread: gateway\n")
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().openOrders == 2 && gateway.state().ordersAcked >= 2 }, "a bid and an ask rest")
        let report = try await gateway.report()
        #expect(report.tickToGateway.total > 0 && report.gatewayWork.total > 0, "ticks reached the gateway and sent orders")
        #expect(report.socketWrite.total == report.gatewayWork.total, "each batch that sent timed its socket write")
        #expect(report.gatewayDecision.total == report.gatewayWork.total && report.gatewaySend.total == report.gatewayWork.total,
                "each batch that sent timed its decision and its send")
        #expect(report.gatewayDecision.quantile(1) <= report.gatewayWork.quantile(1) && report.gatewaySend.quantile(1) <= report.gatewayWork.quantile(1),
                "the parts are within the whole")
        let summary = try await engine.stop()
        #expect(summary.openOrdersAtExit == 0 && summary.isClean)
        #expect(summary.strategyTicks > 0)
        #expect(summary.json.contains(#""gateway_decision_p50_us":"#) && summary.json.contains(#""gateway_send_p50_us":"#))
    }

    @Test func fallsBackToRESTWhileTheWebSocketAPIIsDown() async throws {
        let engine = try embedded("  synthetic: true\n  seed: 3\nstrategy:\n  halfSpreadBps: 0\n  allowNegativeEdge: true\n  repriceToleranceTicks: 0\n")
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().ready && gateway.state().webSocketAPIUp && gateway.state().ordersSent > 0 })
        try await engine.simHandle!.inject(FaultRule(kind: .wsAPIDown, durationSeconds: 4))
        #expect(try await eventually(10) { gateway.state().restFallbacks > 0 }, "orders keep flowing over REST")
        let during = try await gateway.report()
        #expect((during.restCallsByEndpoint["POST /fapi/v1/order"] ?? 0) + (during.restCallsByEndpoint["DELETE /fapi/v1/order"] ?? 0) > 0)
        #expect(try await eventually(20) { gateway.state().webSocketAPIUp }, "and the WebSocket API comes back")
        let fallbacks = gateway.state().restFallbacks
        let sentBefore = gateway.state().ordersSent
        #expect(try await eventually(20) { gateway.state().ordersSent >= sentBefore + 4 }, "orders keep coming")
        #expect(gateway.state().restFallbacks == fallbacks, "over the WebSocket API, none over REST once it is back")
        let summary = try await engine.stop()
        #expect(summary.openOrdersAtExit == 0)
    }

    @Test func haltsOnTheLossLimitAndCancelsEverything() async throws {
        // Any fill pays a fee, which is more than this daily loss limit.
        let engine = try embedded("  synthetic: true\n  seed: 5\n  speed: 2\nstrategy:\n  halfSpreadBps: 0\n  allowNegativeEdge: true\nrisk:\n  dailyMax: 0.00000001\n")
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(60) { gateway.state().tradingState == 2 }, "halted after the first fill")
        let report = try await gateway.report()
        #expect(report.haltReason == RiskRejectionCode.dailyLoss)
        #expect(report.snapshot.fills >= 1)
        let rest = try #require(Endpoint(url: engine.simHandle!.restURL))
        #expect(try await eventually(5) { try await venueOpenOrders(rest, engine.credentialsInUse!).isEmpty }, "everything cancelled at the venue")
        let sent = gateway.state().ordersSent
        try await ticks(engine, 4)
        #expect(gateway.state().ordersSent == sent, "and nothing new is sent while halted")
        let summary = try await engine.stop()
        #expect(summary.json.contains(#""halt_reason":"DAILY_LOSS_LIMIT""#))
    }

    @Test func haltCanFlattenThePositionReduceOnly() async throws {
        let engine = try embedded("  synthetic: true\n  seed: 5\n  speed: 2\nstrategy:\n  halfSpreadBps: 0\n  allowNegativeEdge: true\nrisk:\n  dailyMax: 0.00000001\n  flattenOnHalt: true\n")
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(60) { gateway.state().tradingState == 2 })
        #expect(try await eventually(10) { gateway.state().position == .zero }, "closed with a reduce-only market order")
        let report = try await gateway.report()
        #expect(report.snapshot.fills >= 2 && report.snapshot.makerFills < report.snapshot.fills, "a maker fill, then the taker close")
        let rest = try #require(Endpoint(url: engine.simHandle!.restURL))
        #expect(try await venueOpenOrders(rest, engine.credentialsInUse!).isEmpty)
        _ = try await engine.stop()
    }

    @Test func keepsTradingThroughAClockSkew() async throws {
        let engine = try embedded("  synthetic: true\n  seed: 9\nstrategy:\n  halfSpreadBps: 0\n  allowNegativeEdge: true\n  repriceToleranceTicks: 0\n")
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().ordersAcked > 0 })
        // The venue's clock jumps 7 s back: our timestamps are now ahead of it (-1021) until the offset is measured again.
        try await engine.simHandle!.inject(FaultRule(kind: .clockSkew, milliseconds: -7000))
        #expect(try await eventually(15) { try await gateway.report().rejectsByCode["-1021", default: 0] > 0 })
        #expect(try await eventually(10) { try await gateway.report().clockResyncs >= 2 }, "the offset was measured again")
        let skewed = try await gateway.report()
        let acked = gateway.state().ordersAcked
        #expect(try await eventually(15) { gateway.state().ordersAcked > acked + 2 }, "orders are accepted again")
        let after = try await gateway.report()
        #expect(after.rejectsByCode["-1021", default: 0] <= skewed.rejectsByCode["-1021", default: 0] + 2, "no -1021 storm")
        _ = try await engine.stop()
    }

    @Test func restartTakesOverAndCancelsTheEarlierRunsOrders() async throws {
        let account = SimServer.Credentials.random()
        var simConfig = SimServer.Configuration(recordings: [Self.recording], accounts: [account])
        simConfig.speed = 1
        let sim = try await SimServer.start(simConfig)
        let journal = Fixtures.temporaryPath("journal") + "/journal.jsonl"
        let yaml = """
            venue: binance
            dryRun: false
            symbol: BTCUSDT
            journal:
              path: \(journal)
            gateway:
              heartbeatSeconds: 0

            """
            + EngineConfig.endpointsYAML(restURL: sim.restURL, streamURL: sim.streamURL)
        var options = RunOptions()
        options.live = true
        options.environment = ["BINANCE_API_KEY": account.apiKey, "BINANCE_API_SECRET": account.secret]
        let rest = try #require(Endpoint(url: sim.restURL))
        let creds = Credentials(apiKey: account.apiKey, secret: account.secret)

        let first = Engine(config: try config(yaml), options: options)
        try await first.start()
        #expect(try await eventually(15) { first.gatewayHandle!.state().openOrders == 2 })
        _ = try await first.stop(cancelOrders: false)  // as if it died
        let resting = try await venueOpenOrders(rest, creds).compactMap { $0["clientOrderId"]?.text }.sorted()
        #expect(resting.count == 2)

        // The restarted engine finds the earlier run's orders at the venue: it takes them over and cancels
        // them (they were quoted on an old market), then quotes under new IDs.
        let second = Engine(config: try config(yaml), options: options)
        try await second.start()
        let gateway = try #require(second.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().ready })
        #expect(try await eventually(10) {
            let ids = try await venueOpenOrders(rest, creds).compactMap { $0["clientOrderId"]?.text }
            return ids.count == 2 && Set(ids).isDisjoint(with: resting)
        }, "the old orders gone, two new ones resting")
        let report = try await gateway.report()
        #expect(report.adoptedOrders == 2)
        #expect(report.journalOpenAtStart == 2 && report.journalResolvedWhileDown == 0, "the journal knew both, and both were still there")
        #expect(report.snapshot.ordersSent == 2)
        let summary = try await second.stop()
        #expect(summary.openOrdersAtExit == 0)
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        let sent = lines.filter { $0.contains(#""e":"sent""#) }.compactMap { $0.split(separator: #""c":""#).dropFirst().first?.prefix { $0 != "\"" } }
        #expect(sent.count == 4 && Set(sent).count == 4, "four orders over both runs, no client order ID used twice")
        #expect(lines.filter { $0.contains(#""e":"reconciled""#) }.count >= 2)
        try await sim.shutdown()
        _ = try? run(["rm", "-rf", Fixtures.temporaryPath("journal")])
    }

    @Test func tradesWithAnEd25519Key() async throws {
        var seed = [UInt8](repeating: 0, count: 32)
        for i in seed.indices { seed[i] = UInt8.random(in: 0...255) }
        let pem = try #require(Ed25519Signer.pem(seed: seed))
        let dir = Fixtures.temporaryPath("ed25519")
        _ = try run(["mkdir", "-p", dir])
        let keyFile = dir + "/key.pem"
        try pem.privateKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
        // The venue knows the account by its public key, as Binance does.
        let account = SimServer.Credentials(apiKey: "ed25519-account", secret: pem.publicKey)
        let sim = try await SimServer.start(SimServer.Configuration(recordings: [Self.recording], accounts: [account]))
        let yaml = """
            venue: binance
            dryRun: false
            gateway:
              heartbeatSeconds: 1

            """
            + EngineConfig.endpointsYAML(restURL: sim.restURL, streamURL: sim.streamURL)
        var options = RunOptions()
        options.live = true
        options.environment = ["BINANCE_API_KEY": "ed25519-account", "BINANCE_API_PRIVATE_KEY_FILE": keyFile]
        let engine = Engine(config: try config(yaml), options: options)
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().ready }, "signed REST (reconciliation) accepted")
        #expect(try await eventually(15) { gateway.state().ordersAcked >= 2 }, "signed WebSocket API orders accepted")
        let report = try await gateway.report()
        #expect(report.snapshot.venueRejects == 0)
        let summary = try await engine.stop()
        #expect(summary.openOrdersAtExit == 0)
        try await sim.shutdown()
        _ = try? run(["rm", "-rf", dir])
    }

    @Test func recoversFromAnExpiredListenKey() async throws {
        let engine = try embedded()
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await eventually(15) { gateway.state().ready })
        try await engine.simHandle!.inject(FaultRule(kind: .listenKeyExpire))
        #expect(try await eventually(15) { try await gateway.report().listenKeyRenewals >= 1 })
        #expect(try await eventually(15) {
            let r = try await gateway.report()
            return gateway.state().ready && r.reconciliations >= 2
        }, "new key, new stream, reconciled")
        #expect(try await eventually(10) { gateway.state().openOrders == 2 }, "quoting again")
        _ = try await engine.stop()
    }
}

enum RiskRejectionCode {
    static let dailyLoss = "DAILY_LOSS_LIMIT"
}

/// Risk rules the gateway applies to what the strategy asks, seen end to end.
@Suite("Risk rules in the running engine", .serialized)
struct EngineRiskTests {
    @Test("refuses with its code", arguments: [
        ("risk:\n  maxOrderNotional: 50\n", "ORDER_NOTIONAL"),
        ("strategy:\n  halfSpreadBps: 5\nrisk:\n  priceBandBps: 1\n", "PRICE_BAND"),
        ("risk:\n  maxOpenOrders: 1\n", "OPEN_ORDERS"),
        ("risk:\n  maxOrdersPerSecond: 1\n", "ORDER_RATE"),
        // REST only, and the venue answers 429 with Retry-After from the second second on.
        ("gateway:\n  webSocketApi: false\nsim:\n  synthetic: true\n  faults: rate_limit:every=2:duration=30\nstrategy:\n  halfSpreadBps: 0\n  allowNegativeEdge: true\n  repriceToleranceTicks: 0\n", "GATEWAY_BACKPRESSURE"),
    ])
    func rule(yaml: String, code: String) async throws {
        let base = yaml.contains("sim:") ? "" : "sim:\n  recording: \(EngineTests.recording)\n"
        let config = try EngineConfig.parse(
            yaml: "venue: sim\njournal:\n  path: \"\"\nstatusIntervalSeconds: 3600\nmetrics:\n  port: 0\ncontrol:\n  port: 0\n" + base + yaml,
            environment: [:])
        let engine = Engine(config: config, options: RunOptions())
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        let t = EngineTests()
        #expect(try await t.eventually(20) { try await gateway.report().rejectsByCode[code, default: 0] > 0 }, "\(code)")
        let report = try await gateway.report()
        if code == "GATEWAY_BACKPRESSURE" {
            #expect(report.rejectsByCode["-1003", default: 0] > 0, "it backed off after the venue's 429")
        } else if code != "OPEN_ORDERS" && code != "ORDER_RATE" {
            #expect(report.snapshot.ordersSent == 0, "nothing the rule refused reached the venue")
        } else {
            #expect(report.snapshot.openOrders <= 1)
        }
        _ = try await engine.stop()
    }
}
