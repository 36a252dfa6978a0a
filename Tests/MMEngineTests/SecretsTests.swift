import Foundation
import MMBinance
import MMCore
import MMEngine
import MMSim
import TestSupport
import Testing

/// Nothing the engine writes — logs, status lines, the summary, the journal, the error file, /metrics,
/// /health — may contain the API key or secret.
@Suite("Secrets stay secret", .serialized)
struct SecretsTests {
    @Test("no key or secret in any output of a run with faults")
    func noSecretsInOutputs() async throws {
        let account = SimServer.Credentials.random()
        var simConfig = SimServer.Configuration(recordings: [EngineTests.recording], accounts: [account])
        simConfig.speed = 5
        let sim = try await SimServer.start(simConfig)
        let dir = Fixtures.temporaryPath("secrets")
        _ = try run(["mkdir", "-p", dir])
        let metricsPort = try EmergencyStopTests().freePort()
        let yaml = """
            venue: binance
            dryRun: false
            statusIntervalSeconds: 1
            logging:
              level: debug
              errorFile: \(dir)/errors.log
            metrics:
              port: \(metricsPort)
            control:
              port: 0
            journal:
              path: \(dir)/journal.jsonl

            """
            + EngineConfig.endpointsYAML(restURL: sim.restURL, streamURL: sim.streamURL)
        try yaml.write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Tools.mm())
        p.arguments = ["run", "--config", dir + "/config.yaml", "--live", "--duration", "120s"]
        p.environment = [
            "BINANCE_API_KEY": account.apiKey, "BINANCE_API_SECRET": account.secret, "MM_CONTROL_TOKEN": "control-secret-token",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Drained from the start: a full pipe would block the engine's log writes.
        // On threads of their own: blocking reads on the cooperative pool (two threads on two cores) would
        // starve the test's own requests.
        let stdoutText = drain(out)
        let logs = OutputWatcher(err)
        // Faults while it runs: gaps, a closed stream, an expired listen key, a refused request.
        let endpoint = Endpoint(host: "127.0.0.1", port: metricsPort)
        // Generous: on a loaded 2-core machine the process may take a while to start and sync.
        let up = try await EngineTests().eventually(60) {
            (try? await VenueREST.send("GET", endpoint, path: "/health"))?.status == 200
        }
        guard up else {
            p.terminate()
            Issue.record("the engine did not come up: \(await logs.finished().suffix(2000))")
            try await sim.shutdown()
            return
        }
        try await sim.inject(FaultRule(kind: .gap))
        #expect(try await logs.waitFor(#""event":"resync""#), "the gap was seen")
        // A refused reload is an error line (for the error file).
        try (yaml + "risk:\n  netMax: nonsense\n").write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        try await sim.inject(FaultRule(kind: .listenKeyExpire))
        // The expiry notice travels on the user stream: closing the streams before it arrives would lose it.
        #expect(try await logs.waitFor(#""event":"listen_key.expired""#), "the listen key expired")
        try await sim.inject(FaultRule(kind: .wsClose))
        try await sim.inject(FaultRule(kind: .http5xx))
        #expect(try await logs.waitFor(#""applied":"false""#), "the reload was refused")
        #expect(try await logs.waitFor(#""state":"lost""#), "the streams were closed")
        let metrics = try await VenueREST.send("GET", endpoint, path: "/metrics")
        let health = try await VenueREST.send("GET", endpoint, path: "/health")
        kill(p.processIdentifier, SIGINT)
        let stdout = await stdoutText.value
        let stderr = await logs.finished()
        p.waitUntilExit()
        let journal = (try? String(contentsOfFile: dir + "/journal.jsonl", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: dir + "/errors.log", encoding: .utf8)) ?? ""
        let texts = [
            ("summary", stdout), ("logs", stderr), ("journal", journal), ("error file", errors),
            ("metrics", String(decoding: metrics.body, as: UTF8.self)), ("health", String(decoding: health.body, as: UTF8.self)),
        ]
        #expect(stdout.contains(#""open_at_exit":0"#), "the run completed: \(stdout.prefix(300))")
        #expect(stderr.contains(#""event":"order.submitted""#) && stderr.contains(#""event":"resync""#), "the logs saw orders and the injected gap")
        for (name, text) in texts {
            #expect(!text.isEmpty, "\(name) is empty")
            for (what, secret) in [("API key", account.apiKey), ("secret", account.secret), ("control token", "control-secret-token")] {
                #expect(!text.contains(secret), "\(name) contains the \(what)")
            }
        }
        try await sim.shutdown()
        _ = try? run(["rm", "-rf", dir])
    }
}
