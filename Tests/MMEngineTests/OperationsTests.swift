import Foundation
import MMBinance
import MMBinanceWire
import MMCore
import MMEngine
import MMSim
import TestSupport
import Testing

@Suite("Operations: metrics, health, control", .serialized)
struct OperationsTests {
    let t = EngineTests()

    func get(_ port: Int, _ path: String, method: String = "GET", headers: [(String, String)] = []) async throws -> (Int, String) {
        let reply = try await VenueREST.send(method, Endpoint(host: "127.0.0.1", port: port), path: path, headers: headers)
        return (reply.status, String(decoding: reply.body, as: UTF8.self))
    }

    /// The value of a sample line `name{labels} value` (first match).
    func sample(_ text: String, _ prefix: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    /// An engine on the embedded venue, started, once its two quotes are out; and its metrics port.
    func quoting() async throws -> (Engine, Int) {
        let engine = Engine(config: try t.config("venue: sim\nsim:\n  recording: \(EngineTests.recording)\n"), options: RunOptions())
        try await engine.start()
        let port = try #require(engine.metricsPort)
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await t.eventually(15) { gateway.state().openOrders == 2 })
        return (engine, port)
    }

    @Test func metricsMoveAndHealthReports() async throws {
        try Tools.require("promtool", hint: "apt-get install prometheus; .ci/run installs it")
        let (engine, port) = try await quoting()
        let (s1, first) = try await get(port, "/metrics")
        #expect(s1 == 200)
        try await t.ticks(engine, 2)
        let (_, second) = try await get(port, "/metrics")
        let ticks1 = try #require(sample(first, "mm_strategy_ticks_total"))
        let ticks2 = try #require(sample(second, "mm_strategy_ticks_total"))
        #expect(ticks2 > ticks1, "counters move between scrapes")
        #expect((sample(second, "mm_orders_sent_total") ?? 0) >= 2)
        #expect(sample(second, "mm_book_synced{symbol=\"BTCUSDT\"}") == 1)
        #expect(sample(second, "mm_trading_state") == 0)
        #expect(second.contains("mm_rest_calls_total{endpoint=\"GET /fapi/v1/openOrders\"}"))
        #expect(second.contains("# TYPE mm_orders_sent_total counter"))
        do {
            let file = Fixtures.temporaryPath("metrics") + ".txt"
            try second.write(toFile: file, atomically: true, encoding: .utf8)
            let check = try run(["sh", "-c", "promtool check metrics < \(file)"])
            #expect(check.status == 0, "promtool: \(check.output)")
            _ = try? run(["rm", "-f", file])
        }
        // Every metric the shipped alerts and dashboard use exists (the two by-code families appear with
        // their first rejection).
        for file in ["deployments/prometheus/mm-alerts.yml", "deployments/grafana/mm-dashboard.json"] {
            let text = try String(contentsOfFile: Fixtures.packageRoot + "/" + file, encoding: .utf8)
            let names = Set(text.matches(of: /mm_[a-z0-9_]+/).map { String($0.output) })
            #expect(!names.isEmpty)
            for name in names.subtracting(["mm_orders_rejected_total", "mm_risk_rejections_total"]) {
                #expect(second.contains("\n" + name + " ") || second.contains("\n" + name + "{"), "\(file) uses \(name), which is not exported")
            }
        }
        do {
            let rules = try run(["promtool", "check", "rules", Fixtures.packageRoot + "/deployments/prometheus/mm-alerts.yml"])
            #expect(rules.status == 0, "\(rules.output)")
        }
        let (hs, health) = try await get(port, "/health")
        #expect(hs == 200, "\(health)")
        let doc = try JSONValue.parse(health)
        #expect(doc["status"]?.text == "ok" && doc["market_data"]?["status"]?.text == "ok" && doc["gateway"]?["status"]?.text == "ok")
        let (nf, _) = try await get(port, "/nope")
        #expect(nf == 404)
        _ = try await engine.stop()
    }

    /// Every thread of the shared cooperative pool is held by a blocked task while `curl` scrapes `/metrics` and
    /// `/health`; both must answer before the pool is let go (they run on the operations server's own thread).
    @Test func scrapesAnswerWhileTheSharedPoolIsBlocked() async throws {
        try Tools.require("curl", hint: "apt-get install curl; .ci/run installs it")
        let (engine, port) = try await quoting()
        let width = ProcessInfo.processInfo.activeProcessorCount
        let gate = PoolGate()
        Thread.detachNewThread {
            let allHeld = gate.waitUntilHeld(by: width, seconds: 30)
            var answers: [String] = []
            for path in ["/metrics", "/health"] {
                let r = try? run(["curl", "-s", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)\(path)"])
                answers.append(r?.output ?? "curl failed")
            }
            gate.release(answers: answers, allHeld: allHeld)
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<width { group.addTask { gate.holdAThread() } }
        }
        let (answers, allHeld) = gate.outcome
        #expect(allHeld, "all \(width) threads of the pool were held while scraping")
        #expect(answers == ["200", "200"], "\(answers)")
        _ = try await engine.stop()
    }

    /// `tuning.cpuDmaLatencyUs: 0` holds the machine's CPU wake-up latency at 0 µs while the engine runs and
    /// lets it go at stop. Where `/dev/cpu_dma_latency` cannot be written, the engine runs without it.
    @Test func theCPULatencyRequestIsHeldWhileRunningOnly() async throws {
        let writable = access("/dev/cpu_dma_latency", W_OK) == 0
        let before = Engine.cpuLatencyMicros
        let engine = Engine(
            config: try t.config("venue: sim\nsim:\n  recording: \(EngineTests.recording)\ntuning:\n  cpuDmaLatencyUs: 0\n"), options: RunOptions())
        try await engine.start()
        #expect(engine.holdsCPULatency == writable)
        if writable {
            #expect(Engine.cpuLatencyMicros == 0, "held at 0 µs while running")
        }
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await t.eventually(15) { gateway.state().openOrders == 2 }, "quoting either way")
        _ = try await engine.stop()
        #expect(!engine.holdsCPULatency)
        #expect(Engine.cpuLatencyMicros == before, "let go at stop")
        #expect(throws: ConfigError.self) { try EngineConfig.parse(yaml: "tuning:\n  cpuDmaLatencyUs: 20000\n", environment: [:]) }
    }

    @Test func controlNeedsItsTokenAndHaltsAndResumes() async throws {
        var options = RunOptions()
        options.environment = ["MM_CONTROL_TOKEN": "s3cret-token"]
        let engine = Engine(config: try t.config("venue: sim\nsim:\n  recording: \(EngineTests.recording)\n"), options: options)
        try await engine.start()
        let control = try #require(engine.controlPort)
        let metricsPort = try #require(engine.metricsPort)
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await t.eventually(15) { gateway.state().openOrders == 2 })

        let (noToken, _) = try await get(control, "/control/halt", method: "POST")
        let (badToken, body) = try await get(control, "/control/halt", method: "POST", headers: [("Authorization", "Bearer wrong")])
        #expect(noToken == 401 && badToken == 401 && body.contains("MM_CONTROL_TOKEN"))
        #expect(!body.contains("s3cret-token"))
        #expect(gateway.state().tradingState == 0 && gateway.state().openOrders == 2, "a refused request changes nothing")

        let auth = [("Authorization", "Bearer s3cret-token")]
        let (ok, reply) = try await get(control, "/control/halt", method: "POST", headers: auth)
        #expect(ok == 200 && reply.contains(#""trading":"halted""#))
        let rest = try #require(Endpoint(url: engine.simHandle!.restURL))
        #expect(try await t.eventually(5) { try await t.venueOpenOrders(rest, engine.credentialsInUse!).isEmpty }, "halt cancels everything")
        let (hs, health) = try await get(metricsPort, "/health")
        #expect(hs == 503 && health.contains(#""trading":{"status":"halted""#))
        let (unknown, _) = try await get(control, "/control/explode", method: "POST", headers: auth)
        #expect(unknown == 404)
        let (resumed, _) = try await get(control, "/control/resume", method: "POST", headers: auth)
        #expect(resumed == 200)
        #expect(try await t.eventually(10) { gateway.state().openOrders == 2 }, "quoting again")
        _ = try await engine.stop()
    }

    @Test func controlWithoutATokenIsDisabledAndLoopbackOnlyInConfig() async throws {
        let engine = Engine(config: try t.config("venue: sim\nsim:\n  recording: \(EngineTests.recording)\n"), options: {
            var o = RunOptions()
            o.environment = [:]
            return o
        }())
        try await engine.start()
        let (status, body) = try await get(try #require(engine.controlPort), "/control/halt", method: "POST", headers: [("Authorization", "Bearer x")])
        #expect(status == 503 && body.contains("MM_CONTROL_TOKEN"))
        _ = try await engine.stop()
        #expect(throws: ConfigError.self) { try EngineConfig.parse(yaml: "control:\n  host: 0.0.0.0\n", environment: [:]) }
    }

    @Test("hostile requests to the operations ports are refused and survived")
    func hostileRequests() async throws {
        try Tools.require("curl", hint: "apt-get install curl; .ci/run installs it")
        var options = RunOptions()
        options.environment = ["MM_CONTROL_TOKEN": "tok"]
        let engine = Engine(config: try t.config("venue: sim\nsim:\n  recording: \(EngineTests.recording)\n"), options: options)
        try await engine.start()
        let control = try #require(engine.controlPort)
        let metrics = try #require(engine.metricsPort)
        let big = Fixtures.temporaryPath("big-body")
        _ = try run(["sh", "-c", "head -c 2097152 /dev/zero | tr '\\0' 'x' > \(big)"])
        let huge = try await onThread {
            try run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer tok",
                     "--data-binary", "@\(big)", "http://127.0.0.1:\(control)/control/halt"])
        }
        #expect(huge.output == "413", "\(huge.output)")
        let garbage = try await onThread {
            try run(["sh", "-c", "printf 'NOT HTTP AT ALL\\r\\n\\r\\n\\x00\\xff' | timeout 3 bash -c 'cat > /dev/tcp/127.0.0.1/\(control)'; echo done"])
        }
        #expect(garbage.output.contains("done"))
        let badToken = try await onThread {
            try run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer \u{1}\u{7f}", "http://127.0.0.1:\(control)/control/halt"])
        }
        #expect(badToken.output == "401" || badToken.output == "400", "\(badToken.output)")
        let (status, _) = try await get(metrics, "/health")
        #expect(try await t.eventually(10) { try await get(metrics, "/health").0 == 200 }, "still healthy (first: \(status))")
        #expect(engine.gatewayHandle?.state().tradingState == 0, "and not halted by any of it")
        _ = try await engine.stop()
        _ = try? run(["rm", "-f", big])
    }

    @Test func aTakenPortStopsTheStartWithTheKeyToChange() async throws {
        let first = Engine(config: try t.config("venue: sim\nsim:\n  recording: \(EngineTests.recording)\n"), options: RunOptions())
        try await first.start()
        let taken = try #require(first.metricsPort)
        #expect(try await t.eventually(15) { first.gatewayHandle?.state().openOrders == 2 })
        let second = Engine(
            config: try EngineConfig.parse(
                yaml: "venue: sim\nsim:\n  recording: \(EngineTests.recording)\nmetrics:\n  port: \(taken)\ncontrol:\n  port: 0\njournal:\n  path: \"\"\n",
                environment: [:]),
            options: RunOptions())
        do {
            try await second.start()
            Issue.record("started on a taken port")
        } catch {
            #expect("\(error)".contains("port \(taken)") && "\(error)".contains("metrics.port"), "\(error)")
        }
        _ = try? await second.stop()
        let (status, _) = try await get(taken, "/health")
        #expect(status == 200, "the first engine is untouched and still answers")
        #expect(first.gatewayHandle?.state().openOrders == 2)
        _ = try await first.stop()
    }
}

/// Holds threads of the cooperative pool until a scrape made from another thread has finished.
private final class PoolGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var held = 0
    private var released = false
    private var answers: [String] = []
    private var allHeld = false

    /// Called on a pool thread: blocks it (on purpose) until `release`.
    func holdAThread() {
        condition.lock()
        held += 1
        condition.broadcast()
        while !released { condition.wait() }
        condition.unlock()
    }

    func waitUntilHeld(by count: Int, seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while held < count && condition.wait(until: deadline) {}
        return held >= count
    }

    func release(answers: [String], allHeld: Bool) {
        condition.lock()
        self.answers = answers
        self.allHeld = allHeld
        released = true
        condition.broadcast()
        condition.unlock()
    }

    var outcome: ([String], Bool) {
        condition.lock()
        defer { condition.unlock() }
        return (answers, allHeld)
    }
}
