import Logging
import MMBinanceAuth
import MMBinanceWire
import MMBook
import MMCore
import MMExecution
import MMRing
import MMRisk
import MMStrategy
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The Binance USDⓈ-M order gateway: the I/O shell (`VenueGateway`) of the `OrderManager` on one thread (a
/// one-thread event loop). Every decision — what to place, cancel or query, when to halt, what an
/// unanswered request means — is the manager's; this carries out its actions over Binance's WebSocket API
/// (REST while that is down, over pre-warmed keep-alive connections), feeds back replies, user-stream
/// events, reconciliations and time, and writes the journal before each batch of requests leaves.
///
/// Start-up checks the account before anything is quoted: one-way position mode (hedge mode is refused),
/// the BNB fee discount (commissions in BNB cannot be counted against the limits; refused), leverage and
/// margin type as configured.
public final class OrderGateway: VenueGateway, @unchecked Sendable {
    public let configuration: GatewayConfiguration
    let group: MultiThreadedEventLoopGroup
    /// The gateway thread's loop.
    public let loop: EventLoop
    /// Strategy ticks (one producer: the strategy thread).
    public let ticks = SPSCRing<StrategyTick>(capacity: 64)
    private let published = SeqLock(GatewaySnapshot())
    let market: @Sendable () -> PublishedTop
    /// Prebuilt so that waking the gateway allocates nothing.
    private var drainTask: (@Sendable () -> Void)!
    private var warmTask: (@Sendable () -> Void)!

    // State below is confined to `loop`.
    var session: OrderSession
    let encoder = OrderRequestEncoder()
    let signer: RequestSigner
    var rest: KeepAliveHTTPClient!
    var journal: Journal?
    let recovery: JournalRecovery?
    var snapshot = GatewaySnapshot()
    var sequence: UInt64 = 0
    // Venue connections.
    var webSocketAPI: Channel?
    /// A newer WebSocket API connection being opened to replace the current one before the 24 h limit.
    var rotatingAPI = false
    var pending: [UInt64: PendingRequest] = [:]
    var nextRequestID: UInt64 = 0
    /// The order ID of the send path's rehearsals (never sent).
    let warmUpID = ClientOrderID("warm-up")!
    var userStream: Channel?
    var listenKey: String?
    var clockOffsetMillis: Int64 = 0
    var stopping = false
    var webSocketAPIBackoff: TimeAmount = .milliseconds(200)
    var userStreamBackoff: TimeAmount = .milliseconds(200)
    var timers: [RepeatedTask] = []
    /// REST requests of the current batch: sent once its journal records are written.
    var deferredREST: [() -> Void] = []
    /// Inside a batch: WebSocket API writes are flushed once at its end.
    var batchHasWrites = false
    /// The batch's WebSocket API requests, framed and masked, written as one buffer at its end (kept and
    /// reused from batch to batch).
    var batchFrames = ByteBuffer()
    /// The WebSocket API channel's frame encoder's context, below which `batchFrames` is written.
    var framesContext = FrameEncoderContext()
    /// `warmSendPath()` has written a pong that no flush has sent yet.
    var warmPongWritten = false
    /// When the last `warmPongsPerSecond` warm-up pongs were written (a ring; the oldest at `warmPongNext`).
    var warmPongTimes = [Int64](repeating: .min / 2, count: OrderGateway.warmPongsPerSecond)
    var warmPongNext = 0
    var batchTickNanos: Int64 = 0
    var batchOrders = 0
    // Counters.
    public internal(set) var rejectsByCode: [String: Int] = [:]
    var restCallsByEndpoint: [String: Int] = [:]
    var tickToSend = LatencyHistogram()
    var roundTrip = LatencyHistogram()
    /// From the strategy tick to the gateway thread picking it up (the cross-thread wake).
    var tickToGateway = LatencyHistogram()
    /// The gateway's own work on a tick that sends orders: from picking it up to handing its writes to the
    /// kernel (the flush's system call).
    var gatewayWork = LatencyHistogram()
    /// That flush: the kernel's send of the batch's writes (on loopback it also runs the receiving side's
    /// TCP work).
    var socketWrite = LatencyHistogram()
    /// The two parts of `gatewayWork`: the decision (the market read, the manager's tick and risk checks, up
    /// to its first action) and the send (the actions carried out: encoded, signed, framed, journaled, and
    /// written down the channel's pipeline).
    var gatewayDecision = LatencyHistogram()
    var gatewaySend = LatencyHistogram()
    /// When the gateway picked up the tick of the current batch, and when it began carrying out the tick's
    /// actions (monotonic; 0 outside a tick's batch).
    var batchPickedNanos: Int64 = 0
    var batchDecidedNanos: Int64 = 0
    /// The last tick's intent, which the warm-up before the next tick rehearses.
    var lastIntent: QuoteIntent?
    /// A halt came in this batch: the journal is synced after its writes are flushed.
    var journalSyncAfterBatch = false
    let logger = Logger(label: "mm.gateway")
    /// Log events of the current batch, written after its orders are on the wire.
    var pendingLogs: [PendingLog] = []
    var maskingKeys = MaskingKeys()
    var listenKeyRenewals = 0
    /// When the listen key was last created or kept alive (monotonic).
    var listenKeySince: Int64?
    var clockResyncs = 0
    var restClockSyncNanos: Int64 = .min / 2
    var incomeFetchedNanos: Int64 = .min / 2
    var watchdogCloses = 0
    /// When the WebSocket API connection last sent an answer (or connected).
    var webSocketAPIHeardNanos: Int64 = 0
    var rotations = 0
    var haltCount = 0
    /// Orders the journal shows sent and never closed when the engine started, and how many of them the
    /// first reconciliation found gone.
    var journalOpenAtStart: Set<String> = []
    var journalResolvedWhileDown = 0
    /// Orders of the dry run, acknowledged locally.
    var dryOrders: [ClientOrderID: VenueOrder] = [:]
    /// Account settings read at start.
    public internal(set) var accountSettings = AccountSettings()

    struct PendingRequest {
        var clientOrderID: ClientOrderID
        var kind: RequestKind
        var sentNanos: Int64
    }

    /// What start-up read from the account.
    public struct AccountSettings: Sendable, Equatable {
        public var hedgeMode = false
        public var multiAssetsMargin = false
        public var bnbFeeDiscount = false
        public var leverage: Int?
        public var marginType: String?
    }

    /// - Parameter market: the latest published top of book of the instrument (any thread may call it).
    public init(_ configuration: GatewayConfiguration, market: @escaping @Sendable () -> PublishedTop) throws {
        self.configuration = configuration
        self.market = market
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        do { signer = try RequestSigner(secret: configuration.credentials.secret) } catch {
            throw GatewayError("API secret: \(error.description)")
        }
        // Orders of this run: prefix, start time in base 36, sequence. Unique across restarts, ≤ 36 bytes.
        let start = String(UnixNanos.now().millis, radix: 36)
        guard let runPrefix = ClientOrderID(configuration.clientIDPrefix + "-" + start + "-"),
            let ownPrefix = ClientOrderID(configuration.clientIDPrefix + "-")
        else {
            throw GatewayError("clientIDPrefix '\(configuration.clientIDPrefix)' is not a valid Binance client order ID prefix")
        }
        var c = OrderManager.Configuration(
            instrument: configuration.instrument, limits: configuration.limits, reconciler: configuration.reconciler, runPrefix: runPrefix,
            ownPrefix: ownPrefix, settlementAsset: configuration.settlementAsset)
        c.flattenOnHalt = configuration.flattenOnHalt
        c.requestTimeoutNanos = max(configuration.orderTimeoutMillis, configuration.recvWindowMillis + 1000) * 1_000_000
        c.userEventTimeoutNanos = configuration.dryRun ? 0 : configuration.userEventTimeoutMillis * 1_000_000
        c.heartbeatNanos = configuration.dryRun ? 0 : Int64(configuration.heartbeatSeconds) * 1_000_000_000
        var manager = OrderManager(c)
        let now = Self.moment()
        if let path = configuration.journalPath {
            let dayStart = now.wallMillis - now.wallMillis % 86_400_000
            let r = JournalRecovery.read(path: path, dayStartMillis: dayStart, sinceMillis: configuration.stopLossSinceMillis)
            recovery = r
            journalOpenAtStart = r.believedOpen
            manager.restore(r.figures, tradeIDs: r.todayTradeIDs, at: now)
            do { journal = try Journal(path: path, sync: configuration.journalSync) } catch { throw GatewayError(error.description) }
        } else {
            recovery = nil
            manager.restore(PnLFigures(), at: now)
        }
        _ = manager.drainActions()
        session = OrderSession(manager: manager)
        rest = KeepAliveHTTPClient(endpoint: configuration.rest, loop: loop)
        drainTask = { [unowned self] in self.drainTicks() }
        warmTask = { [unowned self] in self.warmSendPath() }
        pending.reserveCapacity(256)
        pendingLogs.reserveCapacity(80)
    }

    /// A log line of the current batch, formatted after its writes are flushed.
    enum PendingLog {
        case event(Logger.Level, String, Logger.Metadata)
        /// An order sent.
        case submitted(OrderSpec)
    }

    static func moment() -> Moment { Moment(nanos: MonotonicInstant.now().nanos, wallMillis: UnixNanos.now().millis) }
    var now: Moment { Self.moment() }
    var nowNanos: Int64 { MonotonicInstant.now().nanos }
    var venueMillis: Int64 { UnixNanos.now().millis + clockOffsetMillis }

    // MARK: Public API (any thread)

    /// Checks and configures the account, connects and reconciles; quoting starts once ready. Throws, with
    /// what to do about it, when the account cannot be traded as configured.
    public func start() async throws {
        let checked = try await loop.submit { self.checkAccount() }.get()
        try await checked.get()
        try await loop.submit { self.begin() }.get()
    }

    /// Replaces the WebSocket API and user-stream connections now, each new one connected before the old
    /// closes (it also happens on its own before the venue's 24 h limit).
    public func rotate() {
        loop.execute { self.rotateConnections() }
    }

    /// Called by the strategy after pushing a tick. Allocation free. On the gateway's own loop (a strategy
    /// run there) the tick is taken at once.
    public func wake() {
        if loop.inEventLoop { drainTicks() } else { loop.execute(drainTask) }
    }

    /// Called by the strategy shortly before a tick: the gateway runs its send path once without sending
    /// (`warmSendPath()`), so that the tick's first order does not pay for cold caches. Allocation free.
    public func prepareForTick() {
        if loop.inEventLoop { warmSendPath() } else { loop.execute(warmTask) }
    }

    /// Runs `body` on the gateway's loop every `nanos` (a strategy that shares the gateway's thread) until
    /// the returned stop is called; the stop waits for a run in progress. Call it from another thread.
    public func repeatOnLoop(everyNanos nanos: Int64, _ body: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        let task = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .nanoseconds(nanos)) { _ in body() }
        let loop = self.loop
        return {
            let done = loop.makePromise(of: Void.self)
            task.cancel(promise: done)
            try? done.futureResult.wait()
        }
    }

    /// The latest published state.
    public func state() -> GatewaySnapshot { published.load() }

    /// Risk rejections and venue errors by code, REST calls by endpoint, and other counters.
    public func report() async throws -> GatewayReport {
        try await loop.submit { self.makeReport() }.get()
    }

    /// New risk limits (hot reload). The trading state and today's figures are kept.
    public func setLimits(_ limits: RiskLimits) async throws {
        try await loop.submit {
            self.input { $0.setLimits(limits, at: self.now) }
        }.get()
    }

    /// New reconciler settings and halt behaviour (hot reload).
    public func setQuoting(reconciler: QuoteReconciler, flattenOnHalt: Bool) async throws {
        try await loop.submit {
            self.input { $0.setQuoting(reconciler: reconciler, flattenOnHalt: flattenOnHalt) }
        }.get()
    }

    /// Operator: halt now (cancel everything, stop quoting).
    public func halt() async throws { try await command(.halt) }

    /// Operator: cancel every open order now (quoting continues unless halted). Returns once the venue has
    /// confirmed a cancel-all sent after the command (or after 10 s).
    public func cancelAll() async throws {
        let before = try await loop.submit { self.session.manager.cancelAllsCompleted }.get()
        try await command(.cancelAll)
        let deadline = nowNanos + 10_000_000_000
        while nowNanos < deadline {
            let done = try await loop.submit { self.session.manager.cancelAllsCompleted > before }.get()
            if done { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Operator: halt, cancel everything and close the position reduce-only.
    public func haltAndFlatten() async throws { try await command(.flatten) }

    /// Operator: resume quoting after a halt.
    public func resume() async throws { try await command(.resume) }

    private func command(_ c: OrderManager.Command) async throws {
        try await loop.submit {
            self.input { $0.command(c, at: self.now) }
        }.get()
    }

    /// Cancels everything until the venue confirms (or `timeoutSeconds` pass), switches the heartbeat off,
    /// closes the streams and the thread, and returns the final report. Quotes are pulled before any
    /// socket closes. `cancelOrders: false` leaves orders resting, as a crash would (restart tests).
    @discardableResult
    public func shutdown(cancelOrders: Bool = true, timeoutSeconds: Double = 10) async throws -> GatewayReport {
        if cancelOrders {
            try await command(.shutdown)
            let deadline = nowNanos + Int64(timeoutSeconds * 1e9)
            while nowNanos < deadline {
                let done = try await loop.submit { self.session.manager.shutdownComplete || self.configuration.dryRun }.get()
                if done { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let closing = try await loop.submit { () -> EventLoopFuture<Void> in
            self.stopping = true
            for t in self.timers { t.cancel() }
            self.timers.removeAll()
            self.journal?.sync()
            self.webSocketAPI?.close(promise: nil)
            self.userStream?.close(promise: nil)
            self.publish()
            guard let key = self.listenKey, !self.configuration.dryRun else { return self.loop.makeSucceededVoidFuture() }
            return self.restCall(.DELETE, "/fapi/v1/listenKey", query: "listenKey=\(key)", signed: false).map { _ in }.recover { _ in }
        }.get()
        try? await closing.get()
        let report = try await loop.submit { () -> GatewayReport in
            self.rest.shutdown()
            return self.makeReport()
        }.get()
        try await group.shutdownGracefully()
        return report
    }

    // MARK: The manager (on `loop`)

    /// Applies one input to the manager and carries out the actions it returns; then publishes.
    func input(_ body: (inout OrderManager) -> Void) {
        session.handle(self, at: now, body)
        publish()
    }

    private func begin() {
        if let r = recovery {
            note(.info, "journal.restored", [
                "records": "\(r.records)", "day_net": "\(r.figures.dayNet)", "total_net": "\(r.figures.totalNet)",
                "since_ms": "\(r.figures.sinceMillis)", "today_fills": "\(r.todayFills)", "torn_end": "\(r.tornEnd)",
                "bad_checksums": "\(r.badChecksums)",
            ])
            if r.tornEnd || r.badChecksums > 0 {
                note(.warning, "journal.damaged", ["torn_end": "\(r.tornEnd)", "bad_checksums": "\(r.badChecksums)", "path": "\(configuration.journalPath ?? "")"])
            }
        }
        if configuration.dryRun {
            input { m in
                m.venueConfigured(at: self.now)
                m.userStream(connected: true, at: self.now)
            }
        } else {
            rest.prewarm()
            input { $0.venueConfigured(at: self.now) }
            openUserStream()
            connectWebSocketAPI()
            timers.append(loop.scheduleRepeatedTask(
                initialDelay: .seconds(Int64(configuration.listenKeyKeepaliveSeconds)), delay: .seconds(Int64(configuration.listenKeyKeepaliveSeconds))
            ) { _ in self.keepListenKeyAlive() })
            timers.append(loop.scheduleRepeatedTask(initialDelay: .minutes(5), delay: .minutes(5)) { _ in self.syncClock() })
            timers.append(loop.scheduleRepeatedTask(initialDelay: .seconds(configuration.rotateAfterSeconds), delay: .seconds(configuration.rotateAfterSeconds)) { _ in
                self.rotateConnections()
            })
        }
        timers.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in self.onTimer() })
    }

    private func onTimer() {
        guard !stopping else { return }
        if warmPongWritten {
            webSocketAPI?.flush()
            warmPongWritten = false
        }
        let m = marketState()
        // The budget is shared with the ingest thread: its 429s and usage count here too.
        let budget = configuration.budget
        let closed = budget.closedUntilNanos
        let busy = !budget.allows(weight: 5)
        input { manager in
            if closed > self.nowNanos { manager.rateLimited(untilNanos: closed) } else if busy { manager.throttleNewOrders(until: self.nowNanos + 1_000_000_000) }
            manager.timer(self.now, market: m)
        }
        // Replies that never came: the manager has made them unknown outcomes already.
        let stale = nowNanos - 4 * session.manager.configuration.requestTimeoutNanos
        if pending.count > 64 { pending = pending.filter { $0.value.sentNanos > stale } }
        closeWebSocketAPIIfUnresponsive()
    }

    /// A WebSocket API connection that answers pings but no request is of no use: the manager's queries of
    /// the outcomes it lost would go unanswered too, and quoting would stall. Once a request has waited twice
    /// the request timeout with nothing heard on the connection since it was sent, the connection is closed;
    /// what was in flight becomes unknown, is queried over REST meanwhile, and a new connection is made.
    func closeWebSocketAPIIfUnresponsive() {
        guard let channel = webSocketAPI, !pending.isEmpty else { return }
        let heard = webSocketAPIHeardNanos
        var oldestUnanswered = Int64.max
        for p in pending.values where p.sentNanos > heard && p.sentNanos < oldestUnanswered { oldestUnanswered = p.sentNanos }
        guard oldestUnanswered != .max, nowNanos - oldestUnanswered > 2 * session.manager.configuration.requestTimeoutNanos else { return }
        watchdogCloses += 1
        note(.warning, "reconnect", ["stream": "ws_api", "state": "unresponsive", "silent_ms": "\((nowNanos - oldestUnanswered) / 1_000_000)"])
        flushLogs()
        channel.close(promise: nil)
    }

    func marketState() -> MarketState {
        let p = market()
        return MarketState(top: p.top, ageNanos: p.receivedNanos == 0 ? .max : nowNanos - p.receivedNanos)
    }

    // MARK: Ticks (on `loop`)

    private func drainTicks() {
        var latest: StrategyTick?
        _ = ticks.drain { latest = $0 }
        guard let tick = latest, !stopping else { return }
        batchPickedNanos = nowNanos
        tickToGateway.record(nanos: batchPickedNanos - tick.tickNanos)
        batchTickNanos = tick.tickNanos
        lastIntent = tick.intent
        let m = marketState()
        input { $0.tick(tick.intent, market: m, at: self.now) }
        batchTickNanos = 0
    }

    // MARK: Publishing (on `loop`)

    func publish() {
        let m = session.manager
        snapshot.position = m.position
        snapshot.entryPrice = m.entryPrice
        snapshot.realizedNet = m.figures.dayNet
        snapshot.fees = m.figures.dayFees
        snapshot.unrealized = m.unrealized
        snapshot.totalNet = m.figures.totalNet
        snapshot.maxAbsPosition = m.keeper.maxAbsPosition
        snapshot.volume = m.keeper.volume
        snapshot.fills = m.keeper.fillCount
        snapshot.makerFills = m.keeper.makerFillCount
        snapshot.tradingState = m.tradingState == .active ? 0 : m.tradingState == .reducing ? 1 : 2
        snapshot.ready = m.isReady || configuration.dryRun
        snapshot.webSocketAPIUp = webSocketAPI != nil
        snapshot.userStreamUp = m.userStreamConnected || configuration.dryRun
        snapshot.openOrders = m.openOrderCount
        snapshot.ordersSent = m.counters.placesSent
        snapshot.ordersAcked = m.counters.placesAcknowledged
        snapshot.cancelsSent = m.counters.cancelsSent
        snapshot.modifiesSent = m.counters.modifiesSent
        snapshot.venueRejects = m.counters.venueRefusals
        snapshot.postOnlyRejects = m.counters.postOnlyRefusals
        snapshot.riskRejects = m.counters.riskRejections
        snapshot.usedWeight = configuration.budget.usedWeight
        snapshot.haltConfirmed = m.haltConfirmed
        snapshot.tickToSendP99Nanos = tickToSend.quantile(0.99)
        snapshot.roundTripP50Nanos = roundTrip.quantile(0.5)
        snapshot.roundTripP99Nanos = roundTrip.quantile(0.99)
        published.store(snapshot)
    }

    func makeReport() -> GatewayReport {
        let m = session.manager
        var rejects = rejectsByCode
        for (r, n) in m.riskRejections { rejects[r.rawValue, default: 0] += n }
        for (code, n) in m.refusalsByCode { rejects[String(code), default: 0] += n }
        return GatewayReport(
            snapshot: snapshot, rejectsByCode: rejects, restCallsByEndpoint: restCallsByEndpoint,
            tickToSendP50Nanos: tickToSend.quantile(0.5), tickToGatewayP50Nanos: tickToGateway.quantile(0.5),
            tickToGatewayP99Nanos: tickToGateway.quantile(0.99), listenKeyRenewals: listenKeyRenewals, clockResyncs: clockResyncs,
            reconciliations: m.counters.reconciliations, adoptedOrders: m.counters.adopted, halts: m.counters.halts,
            haltReason: m.haltReason?.code, tickToSend: tickToSend, roundTrip: roundTrip, tickToGateway: tickToGateway, gatewayWork: gatewayWork, socketWrite: socketWrite,
            gatewayDecision: gatewayDecision, gatewaySend: gatewaySend, peakPnL: m.gate.peakPnL,
            listenKeyAgeSeconds: listenKeySince.map { Double(nowNanos - $0) / 1e9 } ?? 0, tickRingDepth: ticks.approximateCount,
            openOrderIDs: m.orders.ids.map(\.description).sorted(), journalOpenAtStart: journalOpenAtStart.count,
            journalResolvedWhileDown: journalResolvedWhileDown, counters: m.counters, figures: m.figures, haltConfirmed: m.haltConfirmed,
            watchdogCloses: watchdogCloses, rotations: rotations, restConnects: rest.connects, accountSettings: accountSettings)
    }
}

/// Counters for summaries and tests.
public struct GatewayReport: Sendable, Equatable {
    public var snapshot: GatewaySnapshot
    public var rejectsByCode: [String: Int]
    public var restCallsByEndpoint: [String: Int]
    public var tickToSendP50Nanos: Int64
    /// Strategy tick → gateway thread running it (the wake-up).
    public var tickToGatewayP50Nanos: Int64
    public var tickToGatewayP99Nanos: Int64
    public var listenKeyRenewals: Int
    public var clockResyncs: Int
    public var reconciliations: Int
    public var adoptedOrders: Int
    public var halts: Int
    public var haltReason: String?
    /// The latency histograms themselves (for Prometheus histograms).
    public var tickToSend: LatencyHistogram
    public var roundTrip: LatencyHistogram
    public var tickToGateway: LatencyHistogram
    /// The gateway's own work on a tick that sends: picking it up → its writes handed to the kernel.
    public var gatewayWork: LatencyHistogram
    /// The kernel's send of those writes (the flush's system call).
    public var socketWrite: LatencyHistogram
    /// `gatewayWork` in two: picking the tick up → the manager's first action (the decision), and that →
    /// the writes handed to the kernel (the send).
    public var gatewayDecision: LatencyHistogram
    public var gatewaySend: LatencyHistogram
    /// The gateway's own work and the kernel's send, by the path names of the summary and the metrics, in
    /// their order.
    public var gatewayPhases: [(String, LatencyHistogram)] {
        zip(Self.gatewayPhaseNames, [gatewayWork, gatewayDecision, gatewaySend, socketWrite]).map { ($0, $1) }
    }
    public static let gatewayPhaseNames = ["gateway_work", "gateway_decision", "gateway_send", "socket_write"]
    /// Today's highest PnL (drawdown is measured from it), seconds since the listen key was created or kept
    /// alive, and strategy ticks waiting in the ring.
    public var peakPnL: Notional
    public var listenKeyAgeSeconds: Double
    public var tickRingDepth: Int
    public var openOrderIDs: [String]
    /// Orders the journal showed open at start, and how many of them the venue no longer had.
    public var journalOpenAtStart: Int
    public var journalResolvedWhileDown: Int
    /// The order manager's counters and PnL figures.
    public var counters: OrderManager.Counters
    public var figures: PnLFigures
    public var haltConfirmed: Bool
    /// Sockets closed for silence, connections replaced before the 24 h limit, REST connections opened.
    public var watchdogCloses: Int
    public var rotations: Int
    public var restConnects: Int
    public var accountSettings: OrderGateway.AccountSettings
}

/// A gateway set-up problem.
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
