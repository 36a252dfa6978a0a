import ArgumentParser
import Dispatch
import MMCore
import MMEngine
import MMSim
import MMSimCore

#if canImport(Glibc)
import Glibc
#endif

/// `mm sim`: run the simulated Binance USDⓈ-M venue standalone.
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the simulated Binance USDⓈ-M venue on loopback.",
        discussion: """
            Replays recorded market data (default: the shipped BTCUSDT recording) on Binance's wire protocol, \
            on one port: REST (public, signed and the venue's /sim controls), the WebSocket API on /ws-fapi/v1, \
            market streams routed as Binance routes them (/public/ws|stream for depth and book tickers, \
            /market/ws|stream for the rest; the legacy /ws and /stream carry only /public's) and user data on \
            /private/ws?listenKey=…. Point any Binance client at the printed URLs. Stops on SIGINT or SIGTERM.
            """
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: """
        Venue to simulate: binance-usdm (replayed recordings), binance-spot (synthetic BTCUSDT) or mexc (synthetic \
        QRL/USDT). Repeat for several venues in one process, each on its own port (--port, --port+1, …).
        """)
    var venue: [String] = []

    @Option(help: "Scenario file of a spot venue (price, filters, balances, kline history): FILE, or VENUE=FILE with several venues.")
    var scenario: [String] = []

    @Option(name: .long, help: "Recording to replay (repeat for several files of one session).")
    var recording: [String] = []

    @Flag(help: "Run a seeded synthetic BTCUSDT market instead of the shipped recording.")
    var synthetic = false

    @Option(help: "Seed of the synthetic market.")
    var seed: UInt64 = 1

    @Option(help: "Market speed: 1 is real time, 10 is ten times faster.")
    var speed = 1.0

    @Option(help: """
        Faults to inject: kind[:every=S][:rate=P][:duration=S][:ms=N], comma-separated, optional seed=N. Kinds:         ws_close, gap, stall, http_5xx, rate_limit, clock_skew, listen_key_expire, delay, drop, ws_api_down.         Example: gap:every=30,http_5xx:rate=0.01,rate_limit:every=120:duration=5,seed=7
        """)
    var faults: String?

    @Option(help: "Starting USDT wallet of each account.")
    var balance = "10000"

    @Option(name: .customLong("ping-interval"), help: "Seconds between the venue's pings on every WebSocket (Binance: 180).")
    var pingInterval = 180.0

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve https and wss (with --tls-key).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("api-key"), help: "API key of the account that may trade (or MM_SIM_API_KEY).")
    var apiKey: String?

    @Option(name: .customLong("api-secret"), help: "Its secret (prefer MM_SIM_API_SECRET: flags show in `ps`).")
    var apiSecret: String?

    func validate() throws {
        guard speed > 0 && speed <= 10_000 else { throw ValidationError("--speed must be in (0, 10000], got \(speed)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
    }

    func run() async throws {
        let key = apiKey ?? environment("MM_SIM_API_KEY")
        let secret = apiSecret ?? environment("MM_SIM_API_SECRET")
        if (key == nil) != (secret == nil) {
            throw ValidationError("give both an API key and a secret (MM_SIM_API_KEY and MM_SIM_API_SECRET), or neither for a demo account")
        }
        let accounts = key.map { [SimServer.Credentials(apiKey: $0, secret: secret!)] } ?? []
        let venues = venue.isEmpty ? ["binance-usdm"] : venue
        for v in venues where !["binance-usdm", "mexc", "binance-spot"].contains(v) {
            printError("mm sim: unknown --venue '\(v)'; binance-usdm, binance-spot or mexc")
            throw ExitCode(2)
        }
        guard Set(venues).count == venues.count else {
            printError("mm sim: each --venue once")
            throw ExitCode(2)
        }
        var plan = FaultPlan()
        if let faults {
            do { plan = try FaultPlan.parse(faults) } catch {
                printError("mm sim: \(error)")
                throw ExitCode(2)
            }
        }
        var running: [@Sendable () async throws -> Void] = []
        for (n, v) in venues.enumerated() {
            let p = port == 0 ? 0 : port + n
            switch v {
            case "mexc": running.append(try await startSpot(.mexc, accounts, port: p, faults: plan, alone: venues.count == 1))
            case "binance-spot": running.append(try await startSpot(.binanceSpot, accounts, port: p, faults: plan, alone: venues.count == 1))
            default: running.append(try await startFutures(accounts, port: p, faults: plan))
            }
        }
        await waitForTerminationSignal()
        for stop in running { try await stop() }
    }

    /// The simulated Binance USDⓈ-M venue; returns how to stop it.
    func startFutures(_ accounts: [SimServer.Credentials], port: Int, faults plan: FaultPlan) async throws -> @Sendable () async throws -> Void {
        let files = recording.isEmpty ? (synthetic ? [] : [try shippedRecording()]) : recording
        var configuration = SimServer.Configuration(recordings: files, port: port, speed: speed, accounts: accounts)
        configuration.faults = plan
        guard let wallet = Notional(balance), wallet.raw > 0 else {
            printError("mm sim: --balance \(balance) is not a positive decimal")
            throw ExitCode(2)
        }
        configuration.startingBalance = wallet
        if synthetic { configuration.synthetic = SyntheticMarket.Spec(seed: seed) }
        configuration.tlsCertificatePath = tlsCert
        configuration.tlsKeyPath = tlsKey
        configuration.pingIntervalSeconds = pingInterval
        let server: SimServer
        do {
            server = try await SimServer.start(configuration)
        } catch {
            printError("mm sim: cannot start on 127.0.0.1:\(port): \(error)")
            throw ExitCode(1)
        }
        printLine("simulated Binance USDⓈ-M venue: \(server.symbols.map(\.description).joined(separator: ", ")) at \(speed)x")
        printLine("  REST           \(server.restURL)/fapi/v1/depth?symbol=\(server.symbols[0])")
        printLine("  book streams   \(server.streamURL)/public/stream?streams=\(server.symbols[0].lowercased)@depth@100ms/\(server.symbols[0].lowercased)@bookTicker")
        printLine("  market streams \(server.streamURL)/market/stream?streams=\(server.symbols[0].lowercased)@aggTrade/\(server.symbols[0].lowercased)@markPrice@1s")
        printLine("  raw stream     \(server.streamURL)/public/ws/\(server.symbols[0].lowercased)@depth@0ms")
        printAccount(server.demoAccount)
        printLine("  faults         POST \(server.restURL)/sim/fault?kind=gap   counts: GET \(server.restURL)/sim/faults")
        return {
            let counts = try await server.faultCounts()
            try await server.shutdown()
            let injected = counts.filter { $0.value > 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " ")
            printLine("stopped Binance USDⓈ-M" + (injected.isEmpty ? "" : "; faults injected: " + injected))
        }
    }
}

extension Sim {
    /// The account lines of the banner: the demo account's key and secret, or where the given key came from.
    func printAccount(_ demo: SimServer.Credentials?) {
        if let demo {
            // A throwaway account of this local venue only; printing it is how a person gets to use it.
            printLine("  demo account   API key \(demo.apiKey)")
            printLine("                 secret  \(demo.secret)")
        } else {
            printLine("  account        API key from \(apiKey != nil ? "--api-key" : "MM_SIM_API_KEY")")
        }
    }

    /// The scenario file named for `dialect` (VENUE=FILE), or the only one given without a venue when
    /// `alone` is the only venue.
    func scenarioFile(_ dialect: SpotSimServer.Dialect, alone: Bool) -> String? {
        for s in scenario {
            if s.hasPrefix(dialect.rawValue + "=") { return String(s.dropFirst(dialect.rawValue.count + 1)) }
        }
        return alone || venue.filter({ $0 != "binance-usdm" }).count == 1 ? scenario.first { !$0.contains("=") } : nil
    }

    /// A simulated spot venue, MEXC or Binance spot; returns how to stop it.
    func startSpot(
        _ dialect: SpotSimServer.Dialect, _ accounts: [SimServer.Credentials], port: Int, faults: FaultPlan, alone: Bool
    ) async throws -> @Sendable () async throws -> Void {
        var configuration = SpotSimServer.Configuration(dialect: dialect, port: port, speed: speed, seed: seed, accounts: accounts)
        configuration.faults = faults
        let file = scenarioFile(dialect, alone: alone)
        if let file {
            do { try SpotScenario.load(path: file).apply(to: &configuration) } catch {
                printError("mm sim: --scenario: \(error)")
                throw ExitCode(2)
            }
        }
        let server: SpotSimServer
        do {
            server = try await SpotSimServer.start(configuration)
        } catch {
            printError("mm sim: cannot start on 127.0.0.1:\(port): \(error)")
            throw ExitCode(1)
        }
        let symbol = dialect == .mexc ? "QRLUSDT" : "BTCUSDT"
        let name = dialect == .mexc ? "MEXC" : "Binance"
        printLine("simulated \(name) spot venue: \(symbol) (synthetic, seed \(seed)\(file.map { ", scenario \($0)" } ?? "")) at \(speed)x")
        printLine("  REST           \(server.restURL)/api/v3/depth?symbol=\(symbol)")
        printAccount(server.demoAccount)
        printLine("  faults         POST \(server.restURL)/sim/fault?kind=rate_limit&duration=5   counts: GET \(server.restURL)/sim/faults")
        return {
            try await server.shutdown()
            printLine("stopped \(name) spot")
        }
    }
}

/// The path of this executable (the soak starts it again as the engine under test).
func executablePath() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { throw ValidationError("cannot find this executable (/proc/self/exe)") }
    let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // Rebuilt while running: the path now holds the new build.
    return path.hasSuffix(" (deleted)") ? String(path.dropLast(" (deleted)".count)) : path
}

/// A recording shipped in the repository (the BTCUSDT one by default), found from the working directory or
/// the executable's place in `.build`.
func shippedRecording(_ name: String = "recordings/btcusdt_20240718.gz") throws -> String {
    var candidates = [name]
    if let path = try? executablePath() {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // Up to five directories up, as far as the path goes (a binary copied to `/tmp/x/mm` has three).
        for _ in 0..<5 where parts.count > 1 {
            parts.removeLast()
            candidates.append(parts.joined(separator: "/") + "/" + name)
        }
    }
    for c in candidates where access(c, R_OK) == 0 { return c }
    throw ValidationError("cannot find \(name); pass --recording FILE")
}

func environment(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    let s = String(cString: v)
    return s.isEmpty ? nil : s
}

/// Suspends until SIGINT or SIGTERM.
func waitForTerminationSignal() async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let queue = DispatchQueue(label: "signals")
        let once = OnceFlag()
        for sig in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                if once.take() { continuation.resume() }
            }
            source.resume()
            SignalSources.keep(source)
        }
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
    static func keep(_ s: DispatchSourceSignal) { sources.append(s) }
}

/// True exactly once. Touched only on the signal queue.
final class OnceFlag: @unchecked Sendable {
    private var taken = false
    func take() -> Bool {
        if taken { return false }
        taken = true
        return true
    }
}
