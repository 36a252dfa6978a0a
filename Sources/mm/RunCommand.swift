import ArgumentParser
import Dispatch
import Foundation
import Logging
import MMCore
import MMEngine
import MMSim
import MMTelemetry

#if canImport(Glibc)
import Glibc
#endif

/// `mm run`: quote with the configured strategy; by default against the embedded simulated venue.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the market maker (default: against the embedded simulated Binance venue).",
        discussion: """
            Starts the ingest thread, the strategy loop and the order gateway. With the default configuration \
            it quotes BTCUSDT against the embedded simulator over its real network protocol. Stops on SIGINT or \
            SIGTERM (or after --duration): cancels every order, closes cleanly and prints a JSON summary on stdout. \
            Real venues need `dryRun: false` in the configuration AND --live, and the API key and secret in \
            BINANCE_API_KEY and BINANCE_API_SECRET.
            """
    )

    @Option(name: .long, help: "Configuration file (default: configs/config.yaml when present, else built-in defaults).")
    var config: String?

    @Option(help: "Stop after this long: 90, 90s, 5m or 1h.")
    var duration: String?

    @Flag(help: "Permit real orders on a real venue (the configuration must also say dryRun: false).")
    var live = false

    func run() async throws {
        let seconds = try duration.map(parseDuration)
        var engineConfig: EngineConfig
        let path = config ?? (FileManager.default.fileExists(atPath: "configs/config.yaml") ? "configs/config.yaml" : nil)
        do {
            if let path {
                engineConfig = try EngineConfig.load(path: path)
            } else {
                engineConfig = try EngineConfig.parse(yaml: "")
            }
        } catch {
            printError("mm run: \(error)")
            throw ExitCode(2)
        }
        if engineConfig.venue == .sim && !engineConfig.sim.synthetic {
            if engineConfig.sim.recording.isEmpty {
                // The shipped recording of the symbol's base asset.
                guard let symbol = Symbol(engineConfig.symbol), let shipped = SimInstruments.shippedRecording(for: symbol) else {
                    printError("mm run: sim.recording: no shipped recording of \(engineConfig.symbol); give one, or set sim.synthetic: true")
                    throw ExitCode(2)
                }
                engineConfig.sim.recording = try shippedRecording(shipped.path)
            } else if !FileManager.default.fileExists(atPath: engineConfig.sim.recording) {
                printError("mm run: sim.recording: \(engineConfig.sim.recording) not found")
                throw ExitCode(2)
            }
        }
        if !engineConfig.errorLogPath.isEmpty {
            let dir = (engineConfig.errorLogPath as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }
        JSONLogging.bootstrap(
            level: Logger.Level(rawValue: engineConfig.logLevel) ?? .info,
            errorFile: engineConfig.errorLogPath.isEmpty ? nil : engineConfig.errorLogPath)
        var options = RunOptions()
        options.live = live
        options.durationSeconds = seconds
        options.statusToTerminal = isatty(2) != 0
        for w in engineConfig.warnings { printError("mm run: warning: \(w)") }
        let engine = Engine(config: engineConfig, options: options, configPath: path)
        engine.installAsMetricsBackend()
        // Caught from before the start: a SIGHUP sent once the engine logs `engine.started` is never lost
        // (its default action would end the process); one that arrives during the start waits for it.
        let hangups = catchHangups()
        do {
            try await engine.start()
        } catch {
            printError("mm run: \(error)")
            _ = try? await engine.stop()
            throw ExitCode(1)
        }
        let reloads = watchForReload(engine, path: path, hangups: hangups)
        await waitForStop(seconds: seconds)
        reloads.cancel()
        let summary = try await engine.stop()
        printLine(summary.json)
        if !summary.isClean { throw ExitCode(3) }
    }
}

/// `mm validate-config`: checks a configuration and prints every problem.
struct ValidateConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate-config",
        abstract: "Check a configuration file; exit non-zero with every problem (key and line) if it is invalid.")

    @Argument(help: "The file to check.")
    var path = "configs/config.yaml"

    func run() throws {
        do {
            let c = try EngineConfig.load(path: path)
            printLine("\(path): ok (venue \(c.venue.rawValue), \(c.symbol), strategy \(c.strategy.model), dryRun \(c.dryRun))")
            for w in c.warnings { printLine("\(path): warning: \(w)") }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

/// Seconds from `90`, `90s`, `5m` or `1h`.
func parseDuration(_ text: String) throws -> Double {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        if let v = Double(text.dropLast(suffix.count)), v > 0 { return v * scale }
    }
    if let v = Double(text), v > 0 { return v }
    throw ValidationError("--duration \(text): expected a positive number of seconds, or 30s, 5m, 1h")
}

/// Returns after `seconds` (if given) or on SIGINT/SIGTERM, whichever comes first.
func waitForStop(seconds: Double?) async {
    let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let queue = DispatchQueue(label: "signals")
    for sig in [SIGINT, SIGTERM] {
        let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
        source.setEventHandler { continuation.yield() }
        source.resume()
        SignalSources.keep(source)
    }
    if let seconds {
        Task {
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            continuation.yield()
        }
    }
    for await _ in stream { break }
}

/// Routes SIGHUP into a stream instead of its default action.
func catchHangups() -> (AsyncStream<Void>, AsyncStream<Void>.Continuation) {
    let (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    signal(SIGHUP, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "sighup"))
    source.setEventHandler { continuation.yield() }
    source.resume()
    SignalSources.keep(source)
    return (signals, continuation)
}

/// SIGHUP, or a change of the configuration file's modification time, reloads the strategy and risk
/// parameters; each attempt is logged as a JSON line with what changed (or why it was refused).
func watchForReload(_ engine: Engine, path: String?, hangups: (AsyncStream<Void>, AsyncStream<Void>.Continuation)) -> Task<Void, Never> {
    let (signals, continuation) = hangups
    let modified: @Sendable () -> Date? = {
        path.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date }
    }
    return Task {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { _ = await engine.reload() }
            }
            group.addTask {
                var last = modified()
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    let now = modified()
                    if now != nil && now != last {
                        last = now
                        _ = await engine.reload()
                    }
                }
            }
            // Cancelling the watcher cancels both children: the stream's iteration and the sleep end.
            await group.waitForAll()
            continuation.finish()
        }
    }
}
