import Foundation
import MMBinance
import MMCore
import MMEngine
import TestSupport
import Testing

@Suite("Hot reload", .serialized)
struct ReloadTests {
    let t = EngineTests()

    func yaml(netMax: String = "0.01", halfSpread: String = "0.5", extra: String = "") -> String {
        """
        venue: sim
        statusIntervalSeconds: 3600
        metrics:
          port: 0
        control:
          port: 0
        journal:
          path: ""
        sim:
          recording: \(EngineTests.recording)
        strategy:
          halfSpreadBps: \(halfSpread)
        risk:
          netMax: \(netMax)
        \(extra)
        """
    }

    /// A reload once accepted keys it then ignored (e.g. `strategy.useModify`): every key is now either applied
    /// or refused as needing a restart.
    @Test func everyKeyIsReloadableOrRestartOnly() {
        let schema = Set(EngineConfig.schemaKeys)
        #expect(schema.count == EngineConfig.schemaKeys.count, "no key read twice")
        #expect(Set(EngineConfig().values.keys) == schema, "every key has a value to compare: \(schema.symmetricDifference(EngineConfig().values.keys))")
        #expect(Engine.reloadableKeys.isSubset(of: schema))
        #expect(Engine.restartOnlyKeys.isDisjoint(with: Engine.reloadableKeys) && Engine.restartOnlyKeys.union(Engine.reloadableKeys) == schema)
        #expect(Engine.restartOnlyKeys.isSuperset(of: ["venue", "symbol", "strategy.model", "gateway.clientIdPrefix", "risk.stopLossSince", "journal.path"]))
        #expect(Engine.reloadableKeys.isSuperset(of: ["strategy.useModify", "strategy.repriceToleranceTicks", "risk.flattenOnHalt"]))
    }

    @Test func appliesNewParametersAndRefusesBadOnesKeepingTheOld() async throws {
        let dir = Fixtures.temporaryPath("reload")
        _ = try run(["mkdir", "-p", dir])
        let path = dir + "/config.yaml"
        try yaml().write(toFile: path, atomically: true, encoding: .utf8)
        let engine = Engine(config: try EngineConfig.load(path: path, environment: [:]), options: {
            var o = RunOptions()
            o.environment = ["MM_CONTROL_TOKEN": "tok"]
            return o
        }(), configPath: path)
        try await engine.start()
        let gateway = try #require(engine.gatewayHandle)
        #expect(try await t.eventually(15) { gateway.state().openOrders == 2 })

        try yaml(netMax: "0.02", halfSpread: "3").write(toFile: path, atomically: true, encoding: .utf8)
        let applied = await engine.reload()
        #expect(applied.applied && applied.errors.isEmpty)
        #expect(applied.changes.contains("risk.netMax: 0.01 → 0.02") && applied.changes.contains("strategy.halfSpreadBps: 0.5 → 3.0"), "\(applied.changes)")
        #expect(engine.reloads == 1)
        // The wider spread moves the quotes: the gateway replaces both orders.
        let sent = gateway.state().ordersSent
        #expect(try await t.eventually(10) { gateway.state().ordersSent >= sent + 2 && gateway.state().openOrders == 2 })

        try yaml(netMax: "lots").write(toFile: path, atomically: true, encoding: .utf8)
        let refused = await engine.reload()
        #expect(!refused.applied && refused.errors.contains { $0.contains("risk.netMax") && $0.contains("line 14") }, "\(refused.errors)")
        try yaml(extra: "symbol: ETHUSDT").write(toFile: path, atomically: true, encoding: .utf8)
        let restart = await engine.reload()
        #expect(!restart.applied && restart.errors == ["symbol: BTCUSDT → ETHUSDT needs a restart"])
        try yaml(extra: "quoteIntervalMs: 100\nlogging:\n  level: debug").write(toFile: path, atomically: true, encoding: .utf8)
        let ignoredBefore = await engine.reload()
        #expect(!ignoredBefore.applied && Set(ignoredBefore.errors) == ["quoteIntervalMs: 250 → 100 needs a restart", "logging.level: info → debug needs a restart"], "\(ignoredBefore.errors)")
        #expect(engine.reloads == 1 && engine.reloadFailures == 3)
        #expect(gateway.state().openOrders == 2 && gateway.state().tradingState == 0, "the engine runs on with the last good parameters")

        // Through the control endpoint too.
        try yaml(netMax: "0.03", halfSpread: "3").write(toFile: path, atomically: true, encoding: .utf8)
        let reply = try await VenueREST.send(
            "POST", Endpoint(host: "127.0.0.1", port: try #require(engine.controlPort)), path: "/control/reload", headers: [("Authorization", "Bearer tok")])
        #expect(reply.status == 200 && String(decoding: reply.body, as: UTF8.self).contains("risk.netMax: 0.02 → 0.03"))
        _ = try await engine.stop()
        _ = try? run(["rm", "-rf", dir])
    }

    @Test("SIGHUP reloads a running mm and logs what changed")
    func sighup() async throws {
        let dir = Fixtures.temporaryPath("sighup")
        _ = try run(["mkdir", "-p", dir])
        let path = dir + "/config.yaml"
        let logging = "logging:\n  errorFile: \(dir)/errors.log"
        try yaml(extra: logging).write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Tools.mm())
        p.arguments = ["run", "--config", path, "--duration", "300s"]
        p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let logs = OutputWatcher(err)
        #expect(try await logs.waitFor(#""event":"engine.started""#), "\(logs.text.suffix(600))")
        // The start line says which depth level reader runs.
        #expect(logs.text.contains(#""depth_levels":"avx2""#) || logs.text.contains(#""depth_levels":"swift""#), "\(logs.text.suffix(600))")
        try yaml(netMax: "0.02", extra: logging).write(toFile: path, atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        #expect(try await logs.waitFor(#""event":"reload""#), "\(logs.text.suffix(600))")
        try yaml(netMax: "-1", extra: logging).write(toFile: path, atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        #expect(try await logs.waitFor(#""applied":"false""#), "\(logs.text.suffix(600))")
        kill(p.processIdentifier, SIGINT)
        let output = await logs.finished()
        await onThread { p.waitUntilExit() }
        #expect(p.terminationStatus == 0)
        let line = output.split(separator: "\n").first { $0.contains(#""event":"reload""#) }.map(String.init) ?? ""
        #expect(line.contains(#""label":"mm.engine""#) && line.contains(#""applied":"true""#), "\(output.suffix(600))")
        #expect(line.contains(#""changes":["risk.netMax: 0.01 → 0.02"]"#), "\(line)")
        // The refused one is an error: on stderr and in the error file, naming the key and line.
        let errors = (try? String(contentsOfFile: dir + "/errors.log", encoding: .utf8)) ?? ""
        #expect(errors.contains(#""event":"reload""#) && errors.contains("risk.netMax") && errors.contains(#""applied":"false""#), "\(errors)")
        #expect(!errors.contains("order.submitted"), "only errors go to the file")
        _ = try? run(["rm", "-rf", dir])
    }
}
