import ArgumentParser
import Foundation
import MMAccounts
import MMBinance
import MMCore
import MMEngine
import MMRebalance
import MMSim
import MMVenueClients
import MMTelemetry
import MMVenue
import Synchronization

/// `mm rebalance`: the spot rebalancer (MEXC QRL/USDT by default), once or on a schedule.
struct Rebalance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebalance a spot holding toward a target value ratio, once or on a schedule.",
        discussion: """
            Each run reads balances, klines and the book, plans a limit order (or holds with its reason), \
            places it, tracks it with backoff, cancels what is left at the deadline, and updates the average \
            cost from what filled. It prints its events as JSON lines, then the state trail and the result. \
            With `venue: sim` (the default) it trades on an embedded simulated venue; a real venue needs \
            `venue: live`, an account from `mm accounts`, `dryRun: false` AND --live.
            """)

    @Option(name: .long, help: "Configuration file.")
    var config = "configs/rebalance.yaml"
    @Flag(name: .long, help: "One run, then exit (exit status 1 when the run failed).")
    var once = false
    @Flag(name: .long, help: "Allow real orders on a real venue (with dryRun: false).")
    var live = false
    @Option(name: .long, help: "Stop after this many runs (schedule mode).")
    var runs: Int?
    /// `--store`: the account store, which also keeps runs, orders, trades and positions; the simulator's
    /// runs go to a fresh temporary file unless one is named.
    @OptionGroup var accounts: StoreOptions

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let settings: RebalanceConfig
        do { settings = try RebalanceConfig.load(path: config, environment: env) } catch {
            printError("mm rebalance: \(error)")
            throw ExitCode(2)
        }
        var simulator: SpotSimServer?
        let client: SpotRESTClient
        let accountName: String
        let storePath: String
        switch settings.mode {
        case .sim:
            var sim = SpotSimServer.Configuration(dialect: settings.exchange == .mexc ? .mexc : .binanceSpot, speed: settings.simSpeed, seed: settings.simSeed)
            if !settings.simScenario.isEmpty {
                do { try SpotScenario.load(path: settings.simScenario).apply(to: &sim) } catch {
                    printError("mm rebalance: sim.scenario: \(error)")
                    throw ExitCode(2)
                }
            }
            let server: SpotSimServer
            do { server = try await SpotSimServer.start(sim) } catch {
                printError("mm rebalance: cannot start the simulated venue: \(error)")
                throw ExitCode(1)
            }
            simulator = server
            let demo = server.demoAccount!
            client = try SpotRESTClient(venue: settings.exchange.venue, endpoint: Endpoint(url: server.restURL)!, apiKey: demo.apiKey, secret: demo.secret)
            accountName = "sim"
            storePath = accounts.store ?? NSTemporaryDirectory() + "mm-rebalance-sim-\(getpid()).sqlite"
            printError("mm rebalance: simulated \(settings.exchange.rawValue) venue at \(server.restURL)\(settings.simScenario.isEmpty ? "" : " (scenario \(settings.simScenario))"); store \(storePath)")
        case .live:
            if !settings.dryRun && !live {
                printError("mm rebalance: \(config) has dryRun: false on a live venue; add --live to place real orders")
                throw ExitCode(2)
            }
            let (credentials, spot) = try accounts.spotAccount(settings.account, restUrl: settings.restURL.isEmpty ? nil : settings.restURL, command: "mm rebalance", what: "rebalance")
            guard credentials.venue == settings.exchange.venue else {
                printError("mm rebalance: account \(settings.account) is on \(credentials.venue.rawValue), the configuration trades on \(settings.exchange.rawValue)")
                throw ExitCode(2)
            }
            client = spot
            accountName = settings.account
            storePath = accounts.path(env)
        }
        let storage: SQLiteAccountStorage
        do { storage = try SQLiteAccountStorage(path: storePath) } catch {
            printError("mm rebalance: store \(storePath): \(error)")
            await stop(simulator)
            throw ExitCode(2)
        }
        let service = RebalanceService(config: settings, client: client, account: accountName, storage: storage, output: { printLine($0) })
        defer { if simulator != nil && accounts.store == nil { try? FileManager.default.removeItem(atPath: storePath) } }
        if once {
            let result: RebalanceResult
            do { result = try await service.runOnce() } catch {
                printError("mm rebalance: \(error)")
                await stop(simulator)
                throw ExitCode(1)
            }
            report(result)
            await stop(simulator)
            if result.status == .failed { throw ExitCode(1) }
            return
        }
        try await schedule(service, settings, simulator)
    }

    private func report(_ r: RebalanceResult) {
        printLine(r.trail.map(\.rawValue).joined(separator: " → "))
        printLine(r.json)
    }

    private func stop(_ simulator: SpotSimServer?) async {
        try? await simulator?.shutdown()
    }

    /// Runs every `schedule.intervalSeconds` until SIGINT/SIGTERM (a run in progress finishes first), with
    /// the metrics on `metrics.host:metrics.port`.
    private func schedule(_ service: RebalanceService, _ settings: RebalanceConfig, _ simulator: SpotSimServer?) async throws {
        var server: HTTPEndpointServer?
        if settings.metricsEnabled {
            let metrics = service.metrics
            do {
                server = try await HTTPEndpointServer.start(host: settings.metricsHost, port: settings.metricsPort, configKey: "metrics.port") { request in
                    request.path == "/metrics"
                        ? OpsResponse(status: 200, contentType: "text/plain; version=0.0.4", body: metrics.exposition())
                        : OpsResponse(status: 404, body: #"{"error":"not found"}"#)
                }
                printError("mm rebalance: metrics at http://\(settings.metricsHost):\(server!.port)/metrics")
            } catch {
                printError("mm rebalance: \(error)")
                await stop(simulator)
                throw ExitCode(2)
            }
        }
        let stopping = Stopping()
        let watcher = Task {
            await waitForTerminationSignal()
            stopping.flag.store(true, ordering: .releasing)
        }
        var done = 0
        var failed = false
        while !stopping.flag.load(ordering: .acquiring) {
            do {
                let r = try await service.runOnce()
                report(r)
                failed = r.status == .failed
            } catch {
                printError("mm rebalance: \(error)")
                failed = true
            }
            done += 1
            if let runs, done >= runs { break }
            // The wait between runs ends early on a signal.
            var waited = 0
            while waited < settings.intervalSeconds * 1000 && !stopping.flag.load(ordering: .acquiring) {
                try? await Task.sleep(nanoseconds: 200_000_000)
                waited += 200
            }
        }
        watcher.cancel()
        await server?.shutdown()
        await stop(simulator)
        if failed && runs != nil { throw ExitCode(1) }
    }
}

/// Set once a termination signal arrived.
final class Stopping: Sendable {
    let flag = Atomic<Bool>(false)
}
