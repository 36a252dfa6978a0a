import ArgumentParser
import Foundation
import MMBinance
import MMEngine

/// `mm cancel-all` and `mm flatten`: straight to the venue's REST API, whatever state the engine is in.
struct CancelAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel-all",
        abstract: "Cancel every open order of the configured symbol directly through the venue's REST API.",
        discussion: "Works when the engine is hung or dead. Prints one JSON line per symbol; exits 1 if any order remains open.")

    @Option(name: .long, help: "Configuration file (venue, endpoints, symbol).")
    var config = "configs/config.yaml"

    @Option(name: .long, help: "Symbol (default: the configuration's).")
    var symbol: String?

    @Flag(help: "Also close the position with a reduce-only market order.")
    var flatten = false

    func run() async throws {
        try await runEmergencyStop(configPath: config, symbol: symbol, flatten: flatten)
    }
}

struct Flatten: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel every open order and close the position reduce-only, directly through the venue's REST API.",
        discussion: "Works when the engine is hung or dead. Exits 1 if an order or a position remains.")

    @Option(name: .long, help: "Configuration file (venue, endpoints, symbol).")
    var config = "configs/config.yaml"

    @Option(name: .long, help: "Symbol (default: the configuration's).")
    var symbol: String?

    func run() async throws {
        try await runEmergencyStop(configPath: config, symbol: symbol, flatten: true)
    }
}

func runEmergencyStop(configPath: String, symbol: String?, flatten: Bool) async throws {
    let env = ProcessInfo.processInfo.environment
    let admin: VenueAdmin
    let target: String
    do {
        let c = try EngineConfig.load(path: configPath, environment: env)
        admin = try VenueAdmin(config: c, environment: env)
        target = symbol ?? c.symbol
    } catch {
        printError("mm: \(error)")
        throw ExitCode(2)
    }
    let outcome = await admin.emergencyStop(symbol: target, flatten: flatten)
    printLine(outcome.json)
    if !outcome.clean { throw ExitCode(1) }
}

/// `mm health`: asks a running engine's `/health` and exits 0 when healthy.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a running engine's /health and exit 0 if healthy, 1 if not, 2 if unreachable.")

    @Option(help: "Engine host.")
    var host = "127.0.0.1"

    @Option(help: "The engine's metrics.port.")
    var port = 9100

    func run() async throws {
        do {
            let reply = try await VenueREST.send("GET", Endpoint(host: host, port: port), path: "/health", timeoutSeconds: 5)
            printLine(String(decoding: reply.body, as: UTF8.self))
            if reply.status != 200 { throw ExitCode(1) }
        } catch let e as ExitCode {
            throw e
        } catch {
            printError("mm health: no engine answering on \(host):\(port) (\(error))")
            throw ExitCode(2)
        }
    }
}
