import Foundation
import MMBinance
import MMBinanceWire
import MMCore
import MMEngine
import MMSim

#if canImport(Glibc)
import Glibc
#endif

/// One soak run: the venue in this process, the engine as a child process, the schedule, the auditor.
final class SoakRun {
    let plan: SoakPlan
    let directory: String
    let recording: String
    private let credentials = SimServer.Credentials.random()
    private let controlToken = "ctl-" + SimServer.Credentials.random().secret.prefix(32)
    private var metricsPort = 0
    private var controlPort = 0
    // Tight loss limits, raised after each loss halt, so the halt path is exercised again and again.
    private var dailyMax = Notional("0.5")!
    private var stopLoss = Notional("-0.8")!
    private static let limitStep = Notional("0.5")!
    private let netMax = Quantity("0.006")!
    private let maxBookAgeMillis: Int64 = 1_000
    private var engine: Process?
    private var launches = 0
    private var unexpectedExits = 0
    private var engineExitCodes: [Int32] = []
    private var lossResumes = 0
    private var startupSeconds = 0.0
    private var shutdownSeconds = 0.0

    init(plan: SoakPlan, directory: String, recording: String) {
        self.plan = plan
        self.directory = directory
        self.recording = recording
    }

    func run() async throws -> SoakReport {
        var simConfig = SimServer.Configuration(recordings: [recording], accounts: [credentials])
        simConfig.speed = plan.speed
        simConfig.audit = true
        let sim = try await SimServer.start(simConfig)
        defer { Task { try? await sim.shutdown() } }
        metricsPort = try freePort()
        controlPort = try freePort()
        try writeConfig(sim)
        var auditor = SoakAuditor(apiKey: credentials.apiKey, symbols: sim.symbols, limits: auditLimits())
        var auditIndex = 0
        var lastTracking = 0.0
        func pull() async throws {
            let entries = try await sim.audit(from: auditIndex)
            auditIndex += entries.count
            for e in entries { auditor.observe(e) }
            // What the engine tracks first, then what the venue holds: an order placed in between shows at
            // the venue only, for one sample.
            var tracked: [String]?
            if MonotonicInstant.now().nanos - Int64(lastTracking * 1e9) > 500_000_000 {
                lastTracking = Double(MonotonicInstant.now().nanos) / 1e9
                tracked = await trackedOrders()
            }
            if let s = try await sim.sample(apiKey: credentials.apiKey) {
                auditor.sample(s)
                if lastTracking > 0, tracked != nil || !(engine?.isRunning ?? false) {
                    auditor.tracking(nanos: s.nanos, venueOpen: s.openOrderIDs, clientTracked: tracked)
                }
            }
        }

        let launched = MonotonicInstant.now().nanos
        try launch()
        guard await waitHealthy(seconds: 90) else {
            engine?.terminate()
            throw SoakError("the engine did not become healthy within 90 s; see \(directory)/engine-1.log")
        }
        startupSeconds = Double(MonotonicInstant.now().nanos - launched) / 1e9
        let start = MonotonicInstant.now().nanos
        func elapsed() -> Double { Double(MonotonicInstant.now().nanos - start) / 1e9 }
        var next = 0
        var operatorHalted = false
        var haltedSince: Double?
        var lastHealth = 0.0
        /// One pass of the watch: the venue's audit, an engine that exited on its own, a loss halt to lift.
        func watch() async throws {
            try await pull()
            if let p = engine, !p.isRunning {
                // Not one of ours: the engine must never exit on its own. Started again after a second.
                unexpectedExits += 1
                engineExitCodes.append(p.terminationStatus)
                guard unexpectedExits <= 5 else { throw SoakError("the engine exited on its own 5 times; see the engine-*.log files in \(directory)") }
                try await Task.sleep(for: .seconds(1))
                try launch()
                auditor.engineRestarted(at: MonotonicInstant.now().nanos)
            }
            // A loss halt: once it has held for 3 s, the operator raises the limits and resumes. The limit that
            // binds next alternates between `dailyMax` and `stopLoss` (cumulative, across restarts).
            if elapsed() - lastHealth >= 0.5 {
                lastHealth = elapsed()
                let halted = await tradingHalted()
                if halted && !operatorHalted {
                    if haltedSince == nil { haltedSince = elapsed() }
                    if let since = haltedSince, elapsed() - since >= 3 {
                        let loss = max(.zero, Notional.zero - (try await sim.sample(apiKey: credentials.apiKey)?.pnl ?? .zero))
                        let near = loss + Self.limitStep
                        let far = loss + Self.limitStep + Self.limitStep
                        if lossResumes % 2 == 0 {
                            stopLoss = Notional.zero - near
                            dailyMax = far
                        } else {
                            dailyMax = near
                            stopLoss = Notional.zero - far
                        }
                        try writeConfig(sim)
                        _ = await control("reload")
                        if await control("resume") {
                            lossResumes += 1
                            auditor.operatorResumed(at: MonotonicInstant.now().nanos, limits: auditLimits())
                        }
                        haltedSince = nil
                    }
                } else if !halted {
                    haltedSince = nil
                }
            }
        }
        while elapsed() < plan.wallSeconds {
            try await watch()
            while next < plan.schedule.count, plan.schedule[next].at <= elapsed() {
                switch plan.schedule[next].action {
                case .fault(let rule):
                    try await sim.inject(rule)
                case .kill:
                    try await killAndRestart()
                    auditor.engineRestarted(at: MonotonicInstant.now().nanos)
                case .operatorHalt:
                    auditor.operatorHalted(at: MonotonicInstant.now().nanos)
                    operatorHalted = await control("halt")
                case .operatorResume:
                    if operatorHalted, await control("resume") { auditor.operatorResumed(at: MonotonicInstant.now().nanos) }
                    operatorHalted = false
                }
                next += 1
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        // "Eventually recovered": what happened in the last moments (a loss halt, the recording looping) gets
        // up to 30 s more to be followed by quoting.
        let settleUntil = elapsed() + 30
        while !auditor.unrecovered.isEmpty && elapsed() < settleUntil {
            try await watch()
            try await Task.sleep(for: .milliseconds(100))
        }
        let wall = elapsed()

        // The end: what operators scrape, then a clean shutdown that must leave nothing resting.
        let metrics = (try? await VenueREST.send("GET", metricsEndpoint, path: "/metrics"))
            .map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        let health = (try? await VenueREST.send("GET", metricsEndpoint, path: "/health"))
            .map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        try metrics.write(toFile: directory + "/metrics.txt", atomically: true, encoding: .utf8)
        try health.write(toFile: directory + "/health.json", atomically: true, encoding: .utf8)
        let stopping = MonotonicInstant.now().nanos
        let clean = await stopEngine()
        shutdownSeconds = Double(MonotonicInstant.now().nanos - stopping) / 1e9
        try await pull()
        let left = try await sim.sample(apiKey: credentials.apiKey)?.openOrders ?? 0
        auditor.finished(openOrders: left)
        let faultCounts = try await sim.faultCounts()
        let bans = try await sim.bans()
        let leaks = try secretLeaks(extra: [("metrics", metrics), ("health", health)])
        let malformed = malformedCounted()
        return SoakReport(
            plan: plan, wallSeconds: wall, startupSeconds: startupSeconds, shutdownSeconds: shutdownSeconds, auditor: auditor,
            faultCounts: faultCounts, restarts: launches - 1 - unexpectedExits, unexpectedExits: unexpectedExits,
            engineExitCodes: engineExitCodes, cleanShutdown: clean, openAfterShutdown: left, lossResumes: lossResumes,
            finalDailyMax: dailyMax, finalStopLoss: stopLoss, netMax: netMax, secretLeaks: leaks, malformedMarketFrames: malformed.market,
            malformedUserEvents: malformed.user, ipBans: bans)
    }

    private func auditLimits() -> SoakAuditor.Limits {
        SoakAuditor.Limits(netMax: netMax, dailyMax: dailyMax, stopLoss: stopLoss, maxBookAgeNanos: maxBookAgeMillis * 1_000_000)
    }

    // MARK: The engine

    private func writeConfig(_ sim: SimServer) throws {
        let yaml = """
            # Written by mm soak: the engine under test.
            venue: binance
            dryRun: false
            quoteIntervalMs: 100
            statusIntervalSeconds: 5
            strategy:
              baseSize: 0.002
              levels: 1
            risk:
              netMax: \(netMax)
              dailyMax: \(dailyMax)
              stopLoss: \(stopLoss)
              maxDrawdown: 1000
              maxBookAgeMs: \(maxBookAgeMillis)
              maxOrdersPerSecond: 20
            gateway:
              heartbeatSeconds: 5
            logging:
              level: info
              errorFile: \(directory)/errors.log
            journal:
              path: \(directory)/journal.jsonl
            metrics:
              host: 127.0.0.1
              port: \(metricsPort)
            control:
              port: \(controlPort)

            """
            + EngineConfig.endpointsYAML(restURL: sim.restURL, streamURL: sim.streamURL)
        try yaml.write(toFile: directory + "/config.yaml", atomically: true, encoding: .utf8)
    }

    private func launch() throws {
        launches += 1
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try executablePath())
        p.arguments = ["run", "--config", directory + "/config.yaml", "--live"]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MM_") && !$0.key.hasPrefix("BINANCE_") }
        env["BINANCE_API_KEY"] = credentials.apiKey
        env["BINANCE_API_SECRET"] = credentials.secret
        env["MM_CONTROL_TOKEN"] = controlToken
        p.environment = env
        p.standardOutput = try logFile("summary-\(launches).json")
        p.standardError = try logFile("engine-\(launches).log")
        try p.run()
        engine = p
    }

    private func logFile(_ name: String) throws -> FileHandle {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let h = FileHandle(forWritingAtPath: path) else { throw SoakError("cannot write \(path)") }
        return h
    }

    private func killAndRestart() async throws {
        guard let p = engine else { return }
        kill(p.processIdentifier, SIGKILL)
        await blocking { p.waitUntilExit() }
        try await Task.sleep(for: .seconds(1))
        try launch()
    }

    /// SIGINT, then up to 60 s for the engine to cancel everything and exit.
    private func stopEngine() async -> Bool {
        guard let p = engine, p.isRunning else { return false }
        kill(p.processIdentifier, SIGINT)
        let deadline = MonotonicInstant.now().nanos + 60_000_000_000
        while p.isRunning && MonotonicInstant.now().nanos < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            await blocking { p.waitUntilExit() }
            return false
        }
        engineExitCodes.append(p.terminationStatus)
        return p.terminationStatus == 0
    }

    private var metricsEndpoint: Endpoint { Endpoint(host: "127.0.0.1", port: metricsPort) }

    private func waitHealthy(seconds: Double) async -> Bool {
        let deadline = MonotonicInstant.now().nanos + Int64(seconds * 1e9)
        while MonotonicInstant.now().nanos < deadline {
            if let r = try? await VenueREST.send("GET", metricsEndpoint, path: "/health", timeoutSeconds: 2),
                r.status == 200
            {
                return true
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// Whether the engine reports itself halted (`/health`).
    private func tradingHalted() async -> Bool {
        guard let r = try? await VenueREST.send("GET", metricsEndpoint, path: "/health", timeoutSeconds: 2),
            let doc = try? JSONValue.parse(r.body)
        else { return false }
        return doc["trading"]?["status"]?.text == "halted"
    }

    /// The orders the engine tracks (`GET /control/orders`); nil when it does not answer.
    private func trackedOrders() async -> [String]? {
        guard let reply = try? await VenueREST.send(
            "GET", Endpoint(host: "127.0.0.1", port: controlPort), path: "/control/orders", headers: [("Authorization", "Bearer " + controlToken)],
            timeoutSeconds: 2), reply.status == 200, let doc = try? JSONValue.parse(reply.body)
        else { return nil }
        return doc["tracked"]?.arrayValue?.compactMap(\.text)
    }

    /// `POST /control/<action>`; whether the engine accepted it.
    private func control(_ action: String) async -> Bool {
        let reply = try? await VenueREST.send(
            "POST", Endpoint(host: "127.0.0.1", port: controlPort), path: "/control/" + action,
            headers: [("Authorization", "Bearer " + controlToken)], timeoutSeconds: 10)
        return reply?.status == 200
    }

    /// Malformed frames and user events the engine counted, over the summaries of every run that ended
    /// cleanly (a killed engine prints none).
    private func malformedCounted() -> (market: Int, user: Int) {
        var market = 0
        var user = 0
        for n in 1...max(1, launches) {
            guard let data = FileManager.default.contents(atPath: directory + "/summary-\(n).json"),
                let line = data.split(separator: 0x0A).last, let doc = try? JSONValue.parse(Array(line))
            else { continue }
            market += Int(doc["market_data"]?["malformed"]?.int64 ?? 0)
            user += Int(doc["rejects_by_code"]?["MALFORMED_USER_EVENT"]?.int64 ?? 0)
        }
        return (market, user)
    }

    // MARK: Secrets

    /// Every file of the run plus what was scraped, searched for the key, the secret and the control token.
    private func secretLeaks(extra: [(String, String)]) throws -> [String] {
        var leaks: [String] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        var texts = extra
        for f in files where f != "report.json" {
            if let data = FileManager.default.contents(atPath: directory + "/" + f) { texts.append((f, String(decoding: data, as: UTF8.self))) }
        }
        for (name, text) in texts {
            for (what, secret) in [("API key", credentials.apiKey), ("API secret", credentials.secret), ("control token", controlToken)]
            where text.contains(secret) {
                leaks.append("\(what) in \(name)")
            }
        }
        return leaks
    }
}

struct SoakError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Blocking work on a thread of its own, off the cooperative pool.
func blocking(_ work: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            work()
            done.resume()
        }
    }
}

/// A TCP port free on 127.0.0.1 right now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SoakError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard bound else { throw SoakError("bind: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
