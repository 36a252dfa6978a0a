#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MMBinance
import MMBinanceWire
import MMCore
import MMExecution
import MMRisk
import MMSim
import MMStrategy
import Logging
import MMTelemetry
import Synchronization

/// How `mm run` was asked to run.
public struct RunOptions: Sendable {
    /// `--live`: permit real orders on a real venue (with `dryRun: false`).
    public var live = false
    /// Stop after this many seconds (nil: until SIGINT/SIGTERM).
    public var durationSeconds: Double?
    /// Where status lines go (stderr): one-line human status on a terminal, JSON lines otherwise.
    public var statusToTerminal = false
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init() {}
}

/// The composition root of `mm run`: the embedded simulator (venue `sim`), the ingest thread, the strategy
/// thread and the order gateway, started in that order and stopped in reverse with quotes pulled first.
public final class Engine: @unchecked Sendable {
    public let config: EngineConfig
    public let options: RunOptions
    private var sim: SimServer?
    var market: MarketDataClient?
    var gateway: OrderGateway?
    var strategy: StrategyThread?
    var instrument: Instrument?
    let metrics = EngineMetrics()
    var metricsServer: HTTPEndpointServer?
    var controlServer: HTTPEndpointServer?
    /// The file the configuration came from (reloads re-read it).
    public let configPath: String?
    let logger = Logger(label: "mm.engine")
    /// What the control endpoint, reloads and the status loop change, from their several tasks.
    struct Shared {
        var activeConfig: EngineConfig
        var reloads = 0
        var reloadFailures = 0
        var reloading = false
        var controlRefusals = 0
        var worstPnL = Notional.zero
    }
    let shared: Mutex<Shared>
    /// Reloads applied and refused, and control requests refused for a bad token.
    public var reloads: Int { shared.withLock { $0.reloads } }
    public var reloadFailures: Int { shared.withLock { $0.reloadFailures } }
    public var controlRefusals: Int { shared.withLock { $0.controlRefusals } }
    /// The configuration in force (the last one a reload applied).
    public var activeConfig: EngineConfig { shared.withLock { $0.activeConfig } }
    private var startedNanos: Int64 = 0
    private var restEndpoint: Endpoint?
    private var credentials: Credentials?
    private var statusTask: Task<Void, Never>?
    private var latencyHold: CPULatencyHold?
    /// Whether the engine holds the CPU wake-up latency request of `tuning.cpuDmaLatencyUs`.
    public var holdsCPULatency: Bool { latencyHold != nil }
    /// The CPU wake-up latency the kernel allows now (µs, `/dev/cpu_dma_latency`); nil when unreadable.
    public static var cpuLatencyMicros: Int32? { CPULatencyHold.current() }

    public init(config: EngineConfig, options: RunOptions, configPath: String? = nil) {
        self.config = config
        self.options = options
        self.configPath = configPath
        shared = Mutex(Shared(activeConfig: config))
    }

    /// Refuses unsafe combinations before anything starts.
    public static func checkSafety(_ config: EngineConfig, _ options: RunOptions) throws(EngineError) {
        if config.venue != .sim && !config.dryRun && !options.live {
            throw EngineError("live trading on \(config.venue.rawValue) needs both `dryRun: false` in the configuration and --live on the command line; nothing was sent")
        }
        if config.venue != .sim && !config.dryRun {
            let env = options.environment
            if (env["BINANCE_API_KEY"] ?? "").isEmpty || ((env["BINANCE_API_SECRET"] ?? "").isEmpty && (env["BINANCE_API_PRIVATE_KEY_FILE"] ?? "").isEmpty) {
                throw EngineError(
                    "live trading needs BINANCE_API_KEY and either BINANCE_API_SECRET (HMAC) or BINANCE_API_PRIVATE_KEY_FILE (Ed25519 PEM) in the environment (see scripts/env_setup.sh)")
            }
        }
    }

    /// Starts everything; returns once the gateway thread is running (quoting starts when it is ready).
    public func start() async throws {
        try Self.checkSafety(config, options)
        startedNanos = MonotonicInstant.now().nanos
        do { try await startOperations() } catch let e as OpsServerError { throw EngineError(e.description) }
        var endpoints = config.endpoints
        var creds: Credentials
        if config.venue == .sim {
            var simConfig = SimServer.Configuration(recordings: config.sim.synthetic ? [] : [config.sim.recording], speed: config.sim.speed)
            if config.sim.synthetic { simConfig.synthetic = SyntheticMarket.Spec(seed: config.sim.seed) }
            // A symbol listed on another's shipped book (ETHUSDC on the ETHUSDT recording).
            if let symbol = Symbol(config.symbol), let shipped = SimInstruments.shippedRecording(for: symbol), shipped.recorded != symbol,
                config.sim.recording.hasSuffix(shipped.path.split(separator: "/").last.map(String.init) ?? "-")
            {
                simConfig.listings[symbol] = shipped.recorded
            }
            let account = SimServer.Credentials.random()
            simConfig.accounts = [account]
            simConfig.startingBalance = config.sim.balance
            simConfig.makerFee = Ratio(raw: Int64((config.sim.makerFeeBps * 10_000).rounded()))
            simConfig.takerFee = Ratio(raw: Int64((config.sim.takerFeeBps * 10_000).rounded()))
            simConfig.startAtSeconds = config.sim.startAtSeconds
            if !config.sim.faults.isEmpty {
                do { simConfig.faults = try FaultPlan.parse(config.sim.faults) } catch { throw EngineError("sim.faults: \(error)") }
            }
            let server = try await SimServer.start(simConfig)
            sim = server
            creds = Credentials(apiKey: account.apiKey, secret: account.secret)
            endpoints.restURL = server.restURL
            endpoints.streamURL = server.streamURL
            endpoints.webSocketAPIURL = server.streamURL + "/ws-fapi/v1"
            endpoints.userStreamURL = server.streamURL
        } else {
            var secret = options.environment["BINANCE_API_SECRET"] ?? ""
            if let file = options.environment["BINANCE_API_PRIVATE_KEY_FILE"], !file.isEmpty {
                // An Ed25519 private key (PKCS#8 PEM), as Binance recommends; never logged.
                guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw EngineError("BINANCE_API_PRIVATE_KEY_FILE: cannot read \(file)")
                }
                secret = pem
            }
            creds = Credentials(apiKey: options.environment["BINANCE_API_KEY"] ?? "", secret: secret)
        }
        credentials = creds
        let ca = endpoints.trustedCAFile.isEmpty ? nil : endpoints.trustedCAFile
        func endpoint(_ url: String) -> Endpoint? {
            var e = Endpoint(url: url)
            e?.trustedCAFile = ca
            return e
        }
        guard let rest = endpoint(endpoints.restURL), let stream = endpoint(endpoints.streamURL),
            let userStream = endpoint(endpoints.userStreamURL)
        else { throw EngineError("invalid venue URLs: \(endpoints.restURL), \(endpoints.streamURL)") }
        restEndpoint = rest
        let wsAPI = config.gateway.webSocketAPI ? endpoint(endpoints.webSocketAPIURL) : nil

        let info = try await fetchExchangeInfo(rest)
        let parsed = try ExchangeInfo.instruments(from: info.body, only: [config.symbol])
        guard let instrument = parsed.instruments.first else {
            let why = parsed.rejected.first.map { ": \($0.reason)" } ?? " (not listed)"
            throw EngineError("symbol \(config.symbol) is not tradable on \(config.venue.rawValue)\(why)")
        }
        self.instrument = instrument

        // One request-weight budget for the ingest thread's snapshots and the gateway's requests.
        let budget = RequestBudget()
        var mdConfig = MarketDataClient.Configuration(rest: rest, stream: stream, instruments: [instrument])
        // Signals only where a model reads them: the book's on every applied diff, the trades' over another
        // connection (Binance's /market route).
        let alpha = config.strategy.model == "alpha"
        mdConfig.signalLevels = alpha ? config.strategy.imbalanceLevels : 0
        mdConfig.flowHalfLifeSeconds = config.strategy.flowHalfLifeSeconds
        if alpha && config.strategy.flowTicks != 0 { mdConfig.tradeRoute = "/market/stream" }
        mdConfig.budget = budget
        mdConfig.depthStream = config.venue == .sim ? "@depth@0ms" : config.endpoints.depthStream
        mdConfig.levelChangeCapacity = 1 << 16
        let market = MarketDataClient(mdConfig)
        self.market = market
        let symbol = instrument.symbol
        let read: @Sendable () -> PublishedTop = { market.published(symbol) ?? PublishedTop(top: .empty, receivedNanos: 0) }

        let r = config.risk
        let limits = r.limits
        var gw = GatewayConfiguration(
            rest: rest, webSocketAPI: wsAPI, userStream: userStream, instrument: instrument, credentials: creds, limits: limits,
            reconciler: QuoteReconciler(
                tickSize: instrument.tickSize, priceToleranceTicks: config.strategy.repriceToleranceTicks, useModify: config.strategy.useModify))
        gw.dryRun = config.dryRun
        gw.recvWindowMillis = config.gateway.recvWindowMillis
        gw.heartbeatSeconds = config.gateway.heartbeatSeconds
        gw.listenKeyKeepaliveSeconds = config.gateway.listenKeyKeepaliveSeconds
        gw.clientIDPrefix = config.gateway.clientIDPrefix
        gw.flattenOnHalt = r.flattenOnHalt
        gw.journalPath = config.journalPath
        gw.journalSync = config.journalSync
        gw.leverage = config.gateway.leverage
        gw.marginType = config.gateway.marginType
        gw.stopLossSinceMillis = r.stopLossSinceMillis
        gw.orderTimeoutMillis = config.gateway.orderTimeoutMillis
        gw.settlementAsset = instrument.symbol.description.hasSuffix("USDC") ? "USDC" : "USDT"
        gw.budget = budget
        let gateway = try OrderGateway(gw, market: read)
        self.gateway = gateway

        func thread<M: Strategy>(_ model: M) -> StrategyThread {
            StrategyLoop(
                model: model, intervalMillis: config.quoteIntervalMillis, maxBookAgeMillis: r.maxBookAgeMillis,
                requoteOnMoveBps: config.requoteOnMoveBps, market: read, gateway: gateway, levelChanges: market.levelChanges,
                onGatewayLoop: config.strategy.thread == "gateway")
        }
        let loop: StrategyThread
        switch Self.model(config.strategy, fees: config.fees, instrument: instrument, maxPosition: r.netMax) {
        case .fixedSpread(let q): loop = thread(q)
        case .avellanedaStoikov(let q): loop = thread(q)
        case .glft(let q): loop = thread(q)
        case .alpha(let q): loop = thread(q)
        }
        strategy = loop

        market.start()
        do {
            try await gateway.start()
        } catch {
            // The account cannot be traded as configured: nothing was quoted; stop what started.
            _ = try? await gateway.shutdown(cancelOrders: false)
            try? await market.shutdown()
            try? await sim?.shutdown()
            await metricsServer?.shutdown()
            await controlServer?.shutdown()
            self.gateway = nil
            self.market = nil
            throw EngineError("\(error)")
        }
        // Last, so that a start that fails leaves no request behind.
        if config.cpuDmaLatencyMicros >= 0 {
            let hold = CPULatencyHold(micros: Int32(config.cpuDmaLatencyMicros))
            if let failure = hold.failure {
                logger.warning("cpu_latency.not_held", metadata: ["wanted_us": "\(config.cpuDmaLatencyMicros)", "reason": "\(failure)"])
            } else {
                latencyHold = hold
                logger.info("cpu_latency.held", metadata: ["us": "\(config.cpuDmaLatencyMicros)"])
            }
        }
        loop.start()
        logger.info("engine.started", metadata: [
            "venue": "\(config.venue.rawValue)", "symbol": "\(instrument.symbol)", "dry_run": "\(config.dryRun)",
            "model": "\(config.strategy.model)", "metrics_port": "\(metricsPort ?? -1)", "control_port": "\(controlPort ?? -1)",
            "depth_levels": MarketMessage.vectorLevelsAvailable ? "avx2" : "swift",
        ])
        statusTask = Task { [weak self] in await self?.statusLoop() }
    }

    /// The quoting model the configuration names.
    public static func model(
        _ s: EngineConfig.StrategySettings, fees: EngineConfig.FeeSettings = EngineConfig.FeeSettings(), instrument: Instrument, maxPosition: Quantity
    ) -> QuoterModel {
        var ladder = QuoteLadder(
            instrument: instrument, baseSize: s.baseSize, levels: s.levels, levelSpacingTicks: s.levelSpacingTicks, maxPosition: maxPosition)
        ladder.makerFee = fees.makerBps / 10_000
        ladder.minEdge = s.minEdgeBps / 10_000
        ladder.feeCoverage = s.feeCoverage
        ladder.allowNegativeEdge = s.allowNegativeEdge
        let vol = VolatilityEstimator(halfLifeSeconds: s.volatilityHalfLifeSeconds, initialTicksPerSqrtSecond: s.initialVolatilityTicks)
        switch s.model {
        case "avellaneda-stoikov":
            return .avellanedaStoikov(AvellanedaStoikovQuoter(
                ladder: ladder, gamma: s.gamma, kappa: s.kappa, horizonSeconds: s.horizonSeconds, minHalfSpreadTicks: s.minHalfSpreadTicks,
                volatility: vol))
        case "glft":
            return .glft(GLFTQuoter(
                ladder: ladder, gamma: s.gamma, kappa: s.kappa, arrivalRate: s.arrivalRate, minHalfSpreadTicks: s.minHalfSpreadTicks,
                volatility: vol))
        case "alpha":
            let glft = GLFTQuoter(
                ladder: ladder, gamma: s.gamma, kappa: s.kappa, arrivalRate: s.arrivalRate, minHalfSpreadTicks: s.minHalfSpreadTicks, volatility: vol)
            return .alpha(AlphaQuoter(glft: glft, imbalanceTicks: s.imbalanceTicks, flowTicks: s.flowTicks, micropriceWeight: s.micropriceWeight))
        default:
            var q = FixedSpreadQuoter(
                instrument: instrument, halfSpreadBps: s.halfSpreadBps, baseSize: s.baseSize, levels: s.levels,
                levelSpacingTicks: s.levelSpacingTicks, skewBps: s.skewBps, maxPosition: maxPosition)
            q.ladder = ladder
            return .fixedSpread(q)
        }
    }

    /// The running parts, for tests and operators.
    public var gatewayHandle: OrderGateway? { gateway }
    public var marketHandle: MarketDataClient? { market }
    public var simHandle: SimServer? { sim }
    public var instrumentInUse: Instrument? { instrument }
    public var credentialsInUse: Credentials? { credentials }
    /// Strategy ticks run so far (0 before the strategy thread starts).
    public var strategyTicks: Int { strategy?.counts.ticks ?? 0 }
    /// Bound ports of `/metrics` + `/health` and of the control endpoint.
    public var metricsPort: Int? { metricsServer?.port }
    public var controlPort: Int? { controlServer?.port }

    /// Stops in order: strategy thread, gateway (cancel all, heartbeat off, streams closed), market data,
    /// simulator. Returns the run summary, with open orders counted at the venue after the cancel.
    /// - Parameter cancelOrders: false leaves orders resting, as a crash would (for restart tests).
    public func stop(cancelOrders: Bool = true) async throws -> RunSummary {
        statusTask?.cancel()
        strategy?.stop()
        var openAtExit = -1
        var report: GatewayReport?
        if let gateway {
            report = try await gateway.shutdown(cancelOrders: cancelOrders)
            if !config.dryRun, let rest = restEndpoint, let creds = credentials, let instrument {
                openAtExit = (try? await Self.openOrderCount(rest: rest, credentials: creds, symbol: instrument.symbol)) ?? -1
            } else {
                openAtExit = 0
            }
        }
        let md = try await market?.stats()
        try await market?.shutdown()
        try await sim?.shutdown()
        await metricsServer?.shutdown()
        await controlServer?.shutdown()
        latencyHold?.release()
        latencyHold = nil
        logger.info("engine.stopped", metadata: ["open_orders_at_exit": "\(openAtExit)"])
        return RunSummary.make(
            config: config, seconds: Double(MonotonicInstant.now().nanos - startedNanos) / 1e9, report: report, market: md,
            strategy: strategy?.counts, openOrdersAtExit: openAtExit, worstPnL: shared.withLock { $0.worstPnL }, levelChangesSeen: strategy?.levelChangesSeen ?? 0)
    }

    /// Counts open orders over signed REST (the venue's view, independent of the engine's).
    static func openOrderCount(rest: Endpoint, credentials: Credentials, symbol: Symbol) async throws -> Int {
        let query = "symbol=\(symbol)&timestamp=\(UnixNanos.now().millis)&recvWindow=10000"
        let signed = query + "&signature=" + MMBinanceAuthBridge.sign(query, secret: credentials.secret)
        let reply = try await VenueREST.send("GET", rest, path: "/fapi/v1/openOrders?" + signed, headers: [("X-MBX-APIKEY", credentials.apiKey)])
        guard reply.status == 200, let list = (try JSONValue.parse(reply.body)).arrayValue else { return -1 }
        return list.count
    }

    /// `GET /fapi/v1/exchangeInfo`, tried again on what passes (no answer, 5xx, 429/418 with their
    /// `Retry-After`) with backoff for up to a minute: a restart must not fail on one lost request.
    private func fetchExchangeInfo(_ rest: Endpoint) async throws -> HTTPReply {
        let deadline = MonotonicInstant.now().nanos + 60_000_000_000
        var delayMillis: Int64 = 250
        while true {
            var why: String
            do {
                let reply = try await VenueREST.send("GET", rest, path: "/fapi/v1/exchangeInfo")
                if reply.status == 200 { return reply }
                why = "HTTP \(reply.status)"
                guard reply.status >= 500 || reply.status == 429 || reply.status == 418 else { throw EngineError("exchangeInfo answered \(why)") }
                if let after = reply.headers.first(name: "Retry-After").flatMap(Int64.init) { delayMillis = max(delayMillis, after * 1000) }
            } catch let e as EngineError {
                throw e
            } catch {
                why = "\(error)"
            }
            guard MonotonicInstant.now().nanos + delayMillis * 1_000_000 < deadline else {
                throw EngineError("exchangeInfo failed for a minute, last: \(why)")
            }
            logger.warning("venue.retry", metadata: ["request": "exchangeInfo", "error": "\(why)", "retry_in_ms": "\(delayMillis)"])
            try await Task.sleep(for: .milliseconds(delayMillis))
            delayMillis = min(delayMillis * 2, 8_000)
        }
    }

    private func statusLoop() async {
        let interval = config.statusIntervalSeconds
        var lastStatus = MonotonicInstant.now().nanos
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard !Task.isCancelled, let gateway, let market, let instrument else { continue }
            if config.metricsEnabled { await refreshMetrics() }
            let g = gateway.state()
            shared.withLock { if g.pnl < $0.worstPnL { $0.worstPnL = g.pnl } }
            let now = MonotonicInstant.now().nanos
            guard Double(now - lastStatus) / 1e9 >= interval else { continue }
            lastStatus = now
            let top = market.top(instrument.symbol) ?? .empty
            StatusLine.emit(g: g, top: top, symbol: instrument.symbol, terminal: options.statusToTerminal, strategy: strategy?.counts)
        }
    }
}

/// A start-up or safety refusal.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
