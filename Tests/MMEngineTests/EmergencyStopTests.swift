import Foundation
import MMBinance
import MMBinanceAuth
import MMBinanceWire
import MMCore
import MMEngine
import MMSim
import TestSupport
import Testing

/// `scripts/emergency_stop.sh` against an engine running as its own process, quoting on a simulated venue.
@Suite("Emergency stop", .serialized)
struct EmergencyStopTests {
    let t = EngineTests()

    struct Setup {
        var sim: SimServer
        var account: SimServer.Credentials
        var configPath: String
        var dir: String
        var rest: Endpoint
        var env: [String: String]
        var controlPort: Int
        var metricsPort: Int
    }

    /// A port free right now (for the engine's control endpoint, which the script must find).
    func freePort() throws -> Int {
        let r = try run(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        return Int(r.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    func setUp(_ name: String) async throws -> Setup {
        let account = SimServer.Credentials.random()
        let sim = try await SimServer.start(SimServer.Configuration(recordings: [EngineTests.recording], accounts: [account]))
        let dir = Fixtures.temporaryPath(name)
        _ = try run(["mkdir", "-p", dir])
        let controlPort = try freePort()
        let metricsPort = try freePort()
        let yaml = """
            venue: binance
            dryRun: false
            symbol: BTCUSDT
            statusIntervalSeconds: 3600
            gateway:
              heartbeatSeconds: 0
            metrics:
              port: \(metricsPort)
            control:
              port: \(controlPort)
            journal:
              path: \(dir)/journal.jsonl

            """
            + EngineConfig.endpointsYAML(restURL: sim.restURL, streamURL: sim.streamURL)
        let path = dir + "/config.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let env = [
            "BINANCE_API_KEY": account.apiKey, "BINANCE_API_SECRET": account.secret, "MM_BIN": try Tools.mm(),
            "MM_CONTROL_TOKEN": "emergency-token", "MM_CONTROL_PORT": String(controlPort),
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        return Setup(sim: sim, account: account, configPath: path, dir: dir, rest: Endpoint(url: sim.restURL)!, env: env, controlPort: controlPort, metricsPort: metricsPort)
    }

    func signedREST(_ s: Setup, _ method: String, _ path: String, _ query: String) async throws -> JSONValue {
        let q = query + "&timestamp=\(UnixNanos.now().millis)"
        let signed = q + "&signature=" + HMACSigner(secret: s.account.secret).signature(of: q)
        let reply = try await VenueREST.send(method, s.rest, path: path + "?" + signed, headers: [("X-MBX-APIKEY", s.account.apiKey)])
        return try JSONValue.parse(reply.body)
    }

    func openOrders(_ s: Setup) async throws -> Int { try await signedREST(s, "GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").arrayValue?.count ?? -1 }

    func position(_ s: Setup) async throws -> Quantity {
        let list = try await signedREST(s, "GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").arrayValue ?? []
        return list.first { $0["symbol"]?.text == "BTCUSDT" }?["positionAmt"]?.text.flatMap { Quantity($0) } ?? .zero
    }

    /// The running engine's `mm_strategy_ticks_total`.
    func strategyTicks(_ s: Setup) async throws -> Double {
        let reply = try await VenueREST.send("GET", Endpoint(host: "127.0.0.1", port: s.metricsPort), path: "/metrics")
        let line = String(decoding: reply.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("mm_strategy_ticks_total ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
    }

    func startEngine(_ s: Setup) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Tools.mm())
        p.arguments = ["run", "--config", s.configPath, "--live"]
        p.environment = s.env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func emergencyStop(_ s: Setup, _ extra: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Fixtures.packageRoot + "/scripts/emergency_stop.sh")
        p.arguments = ["--config", s.configPath] + extra
        p.environment = s.env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("halts a running engine, cancels everything and flattens")
    func runningEngine() async throws {
        let s = try await setUp("estop-running")
        // A position to close: a market buy before the engine starts.
        _ = try await signedREST(s, "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002")
        #expect(try await position(s) == Quantity("0.002")!)
        let engine = try startEngine(s)
        #expect(try await t.eventually(30) { try await openOrders(s) >= 1 }, "the engine quotes")
        let result = try await onThread { try emergencyStop(s, ["--flatten"]) }
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(#"engine halt: {"action":"halt","trading":"halted""#), "the engine itself was halted first: \(result.output)")
        #expect(result.output.contains(#""open_orders_after":0"#) && result.output.contains(#""position_after":"0""#), "\(result.output)")
        let ticks = try await strategyTicks(s)
        #expect(try await t.eventually(30) { try await strategyTicks(s) >= ticks + 4 }, "the engine runs on, halted")
        #expect(try await openOrders(s) == 0, "and places nothing new")
        #expect(try await openOrders(s) == 0)
        #expect(try await position(s) == .zero)
        engine.terminate()
        engine.waitUntilExit()
        try await s.sim.shutdown()
        _ = try? run(["rm", "-rf", s.dir])
    }

    @Test("works with the engine killed by SIGKILL")
    func killedEngine() async throws {
        let s = try await setUp("estop-killed")
        let engine = try startEngine(s)
        #expect(try await t.eventually(30) { try await openOrders(s) >= 1 })
        kill(engine.processIdentifier, SIGKILL)
        engine.waitUntilExit()
        #expect(try await openOrders(s) >= 1, "a killed engine leaves its orders resting")
        let result = try await onThread { try emergencyStop(s, []) }
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("no engine answering"))
        #expect(try await openOrders(s) == 0)
        try await s.sim.shutdown()
        _ = try? run(["rm", "-rf", s.dir])
    }
}
