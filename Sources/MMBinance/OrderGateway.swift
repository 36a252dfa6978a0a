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
import Logging
import NIOPosix
import Synchronization

/// The order gateway: one thread (a one-thread event loop) that owns our orders, position, PnL and the risk
/// gate. Each strategy tick arrives through an SPSC ring; the gateway reconciles the desired quotes with its
/// orders, checks every new order with the `RiskGate`, signs it and sends it over Binance's WebSocket API —
/// over REST while the WebSocket API is unavailable. The user data stream drives the order state machine;
/// on start and after any user-stream reconnect the gateway reconciles open orders and the position over
/// REST before it quotes again.
///
/// It tracks request weight and order counts from the venue's headers and backs off before the limits (and
/// for `Retry-After` when refused), keeps a server-clock offset, treats -5022 (post-only would cross) as a
/// normal outcome, and runs the `countdownCancelAll` heartbeat. A loss-limit breach halts: everything is
/// cancelled (and, if configured, the position is closed reduce-only) and nothing is quoted until `resume`.
public final class OrderGateway: @unchecked Sendable {
    public let configuration: GatewayConfiguration
    let group: MultiThreadedEventLoopGroup
    /// The gateway thread's loop.
    public let loop: EventLoop
    /// Strategy ticks (one producer: the strategy thread).
    public let ticks = SPSCRing<StrategyTick>(capacity: 64)
    private let published = SeqLock(GatewaySnapshot())
    private let market: @Sendable () -> PublishedTop
    /// Prebuilt so that waking the gateway allocates nothing.
    private var drainTask: (@Sendable () -> Void)!

    // State below is confined to `loop`.
    var tracker: OrderTracker
    var gate: RiskGate
    let encoder = OrderRequestEncoder()
    /// Reused each tick (creating them writes their whole inline storage).
    var openScratch = FixedList<OpenOrder>()
    var commandScratch = FixedList<OrderCommand>()
    let signer: RequestSigner
    var snapshot = GatewaySnapshot()
    var journal: Journal?
    var sequence: UInt64 = 0
    let idPrefix: ClientOrderID
    // Venue connections.
    var webSocketAPI: Channel?
    var pending: [String: PendingRequest] = [:]
    var userStream: Channel?
    var listenKey: String?
    var userStreamLostNanos: Int64? = 0
    var reconciled = false
    var reconciling = false
    var clockOffsetMillis: Int64 = 0
    var backoffUntilNanos: Int64 = 0
    var orderCount10s = 0
    var stopping = false
    var haltHandled = false
    var webSocketAPIBackoff: TimeAmount = .milliseconds(200)
    var userStreamBackoff: TimeAmount = .milliseconds(200)
    var timers: [RepeatedTask] = []
    // Counters.
    public internal(set) var rejectsByCode: [String: Int] = [:]
    var restCallsByEndpoint: [String: Int] = [:]
    var tickToSend = LatencyHistogram()
    var roundTrip = LatencyHistogram()
    let logger = Logger(label: "mm.gateway")
    /// Log events of the current batch, written after its orders are on the wire.
    var pendingLogs: [(Logger.Level, String, Logger.Metadata)] = []
    /// Inside a tick's batch: WebSocket API writes are flushed once at its end.
    var batching = false
    var batchTicks = [Int64](repeating: 0, count: 64)
    var batchSent = 0
    /// From the strategy tick to the gateway thread picking it up (the cross-thread wake).
    var tickToGateway = LatencyHistogram()
    var faultsRecovered = 0
    var listenKeyRenewals = 0
    /// When the listen key was last created or kept alive (monotonic).
    var listenKeySince: Int64?
    var clockResyncs = 0
    var reconciliations = 0
    var adoptedOrders = 0
    var haltCount = 0
    /// UTC day number of the current trading day (daily loss counts from its start).
    var tradingDay: Int64 = 0
    /// Orders the journal shows sent and never closed when the engine started; the first reconciliation
    /// tells which the venue still has.
    var journalOpenAtStart: Set<String> = []
    var journalResolvedWhileDown = 0
    /// Delay before the next reconciliation attempt after a failure, and when the income history was last asked for.
    var reconcileRetryMillis: Int64 = 500
    var incomeFetchedNanos: Int64 = .min / 2
    /// When a REST -1021 last asked for a clock measurement.
    var restClockSyncNanos: Int64 = .min / 2
    /// Today's fills the journal held at start (their PnL and fees count against today's limits).
    var restoredDayFills = 0

    struct PendingRequest {
        var request: OrderRequest
        var sentNanos: Int64
    }

    /// - Parameter market: the latest published top of book of the instrument (any thread may call it).
    public init(_ configuration: GatewayConfiguration, market: @escaping @Sendable () -> PublishedTop) throws {
        self.configuration = configuration
        self.market = market
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        tracker = OrderTracker(symbol: configuration.instrument.symbol)
        gate = RiskGate(instrument: configuration.instrument, limits: configuration.limits)
        do { signer = try RequestSigner(secret: configuration.credentials.secret) } catch {
            throw GatewayError("API secret: \(error.description)")
        }
        // Orders of this run: prefix, start time in base 36, sequence. Unique across restarts, ≤ 36 bytes.
        let start = String(UnixNanos.now().millis, radix: 36)
        guard let prefix = ClientOrderID(configuration.clientIDPrefix + "-" + start + "-") else {
            throw GatewayError("clientIDPrefix '\(configuration.clientIDPrefix)' is not a valid Binance client order ID prefix")
        }
        idPrefix = prefix
        if let path = configuration.journalPath {
            journalOpenAtStart = Journal.believedOpen(path: path)
            let dayStart = UnixNanos.now().millis / 86_400_000 * 86_400_000
            let day = Journal.dayFigures(path: path, sinceMillis: dayStart)
            tracker.restoreDay(realized: day.realized, fees: day.fees)
            restoredDayFills = day.fills
            do { journal = try Journal(path: path) } catch { throw GatewayError(error.description) }
        }
        drainTask = { [unowned self] in self.drainTicks() }
        pending.reserveCapacity(256)
    }

    // MARK: Public API (any thread)

    /// Connects and reconciles; quoting starts once ready.
    public func start() {
        loop.execute { self.begin() }
    }

    /// Called by the strategy thread after pushing a tick. Allocation free.
    public func wake() { loop.execute(drainTask) }

    /// The latest published state.
    public func state() -> GatewaySnapshot { published.load() }

    /// Risk rejections and venue errors by code, REST calls by endpoint, and other counters.
    public func report() async throws -> GatewayReport {
        try await loop.submit { self.makeReport() }.get()
    }

    /// New risk limits (hot reload). The trading state and today's figures are kept.
    public func setLimits(_ limits: RiskLimits) async throws {
        try await loop.submit {
            self.gate.limits = limits
            self.publish()
        }.get()
    }

    /// Operator: halt now (cancel everything, stop quoting).
    public func halt() async throws {
        try await loop.submit { self.enterHalt(reason: "operator") }.get()
    }

    /// Operator: cancel every open order now (quoting continues unless halted).
    public func cancelAll() async throws {
        let done = try await loop.submit { self.cancelAllAtVenue() }.get()
        try await done.get()
    }

    /// Operator: halt, cancel everything and close the position reduce-only.
    public func haltAndFlatten() async throws {
        try await loop.submit {
            self.enterHalt(reason: "operator")
            if !self.configuration.flattenOnHalt, self.tracker.position.raw != 0 { self.flatten() }
            self.webSocketAPI?.flush()
        }.get()
    }

    /// Operator: resume quoting after a halt.
    public func resume() async throws {
        try await loop.submit {
            self.gate.reset(to: .active)
            self.haltHandled = false
            self.note(.notice, "resume")
            self.publish()
        }.get()
    }

    /// Cancels everything, stops the heartbeat, closes the streams and the thread, and returns the final
    /// report. Quotes are pulled before any socket closes.
    @discardableResult
    public func shutdown(cancelOrders: Bool = true) async throws -> GatewayReport {
        let done = try await loop.submit { () -> EventLoopFuture<Void> in
            self.stopping = true
            for t in self.timers { t.cancel() }
            let cancelled = cancelOrders ? self.cancelAllAtVenue().flatMap { _ in self.stopHeartbeat() } : self.loop.makeSucceededVoidFuture()
            return cancelled.map { _ in
                self.webSocketAPI?.close(promise: nil)
                self.userStream?.close(promise: nil)
                if let key = self.listenKey {
                    _ = self.rest(.DELETE, "/fapi/v1/listenKey", query: "listenKey=\(key)", signed: false)
                }
                self.journal?.sync()
                self.publish()
            }
        }.get()
        try? await done.get()
        let report = try await loop.submit { self.makeReport() }.get()
        try await group.shutdownGracefully()
        return report
    }

    // MARK: Start (on `loop`)

    private func begin() {
        if restoredDayFills > 0 {
            note(.info, "journal.day_restored", ["fills": "\(restoredDayFills)", "realized": "\(tracker.realized)", "fees": "\(tracker.fees)"])
        }
        if configuration.dryRun {
            reconciled = true
            userStreamLostNanos = nil
            publish()
            return
        }
        syncClock()
        openUserStream()
        connectWebSocketAPI()
        timers.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { _ in self.evaluate() })
        if configuration.heartbeatSeconds > 0 {
            timers.append(loop.scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(Int64(configuration.heartbeatSeconds))) { _ in
                self.heartbeat()
            })
        }
        timers.append(loop.scheduleRepeatedTask(
            initialDelay: .seconds(Int64(configuration.listenKeyKeepaliveSeconds)), delay: .seconds(Int64(configuration.listenKeyKeepaliveSeconds))
        ) { _ in self.keepListenKeyAlive() })
        timers.append(loop.scheduleRepeatedTask(initialDelay: .minutes(5), delay: .minutes(5)) { _ in self.syncClock() })
        timers.append(loop.scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { _ in self.orderCount10s = 0 })
    }

    var nowNanos: Int64 { MonotonicInstant.now().nanos }
    var venueMillis: Int64 { UnixNanos.now().millis + clockOffsetMillis }

    /// Ready to send new orders: reconciled with the venue and its user stream alive.
    var ready: Bool { reconciled && userStreamLostNanos == nil && !stopping }

    // MARK: Ticks (on `loop`)

    private func drainTicks() {
        var latest: StrategyTick?
        _ = ticks.drain { latest = $0 }
        guard let tick = latest, !stopping else { return }
        tickToGateway.record(nanos: nowNanos - tick.tickNanos)
        guard ready else { return }
        evaluate()
        if gate.state == .halted { return }
        tracker.quotable(into: &openScratch)
        configuration.reconciler.reconcile(desired: tick.intent, open: openScratch, into: &commandScratch)
        // One batch: requests are written as they are made and flushed together, so the venue (and, on a
        // shared host, its thread) wakes once per tick rather than between our orders.
        batching = true
        for i in 0..<commandScratch.count {
            switch commandScratch[i] {
            case .cancel(let id):
                sendCancel(id)
            case .place(let quote):
                place(quote, tickNanos: tick.tickNanos)
            case .modify(let id, let quote):
                modify(id, to: quote, tickNanos: tick.tickNanos)
            }
        }
        batching = false
        webSocketAPI?.flush()
        let flushed = nowNanos
        for i in 0..<batchSent { tickToSend.record(nanos: flushed - batchTicks[i]) }
        batchSent = 0
        journal?.flush()
        flushLogs()
        publish()
    }

    /// Logs an event now, or after the batch's orders are out when inside one.
    func note(_ level: Logger.Level, _ event: String, _ metadata: Logger.Metadata = [:]) {
        if batching {
            pendingLogs.append((level, event, metadata))
        } else {
            logger.log(level: level, "\(event)", metadata: metadata)
        }
    }

    func flushLogs() {
        for (level, event, metadata) in pendingLogs { logger.log(level: level, "\(event)", metadata: metadata) }
        pendingLogs.removeAll(keepingCapacity: true)
    }

    func riskContext() -> RiskContext {
        let p = market()
        let exposure = tracker.exposure()
        let mark = p.top.mid ?? tracker.entryPrice
        return RiskContext(
            position: tracker.position, openBuy: exposure.buy, openSell: exposure.sell, openOrders: exposure.count,
            realizedToday: tracker.realizedNet, unrealized: tracker.unrealized(at: mark), top: p.top,
            bookAgeMillis: p.receivedNanos == 0 ? .max : (nowNanos - p.receivedNanos) / 1_000_000,
            userStreamAgeMillis: userStreamLostNanos.map { ($0 == 0 ? 0 : nowNanos - $0) / 1_000_000 } ?? 0, nowNanos: nowNanos)
    }

    /// Whether the venue's limits leave room for another order now.
    private var throttled: Bool {
        nowNanos < backoffUntilNanos || orderCount10s * 10 >= configuration.orderLimitPer10Seconds * 9
            || snapshot.usedWeight * 10 >= configuration.weightLimitPerMinute * 9
    }

    private func place(_ quote: Quote, tickNanos: Int64) {
        if throttled {
            countRisk(.gatewayBackpressure)
            return
        }
        let decision = gate.check(OrderIntent(side: quote.side, price: quote.price, quantity: quote.quantity), riskContext())
        guard decision == .accept else {
            if case .reject(let r) = decision { countRisk(r) }
            return
        }
        sequence += 1
        guard let id = ClientOrderID(prefix: idPrefix, sequence: sequence) else { return }
        tracker.sent(id, quote.side, price: quote.price, quantity: quote.quantity, nowNanos: nowNanos)
        snapshot.ordersSent += 1
        orderCount10s += 1
        journal?.append(#"{"e":"sent","c":"\#(id)","s":"\#(quote.side)","p":"\#(quote.price)","q":"\#(quote.quantity)","t":\#(UnixNanos.now().millis)}"#)
        note(.info, "order.submitted", ["id": "\(id)", "side": "\(quote.side)", "price": "\(quote.price)", "quantity": "\(quote.quantity)"])
        send(OrderRequest(kind: .placeLimit, symbol: configuration.instrument.symbol, side: quote.side, price: quote.price, quantity: quote.quantity, clientOrderID: id))
        sentInBatch(tickNanos)
    }

    private func modify(_ id: ClientOrderID, to quote: Quote, tickNanos: Int64) {
        guard let order = tracker.orders[id], order.state == .open else { return }
        if throttled {
            countRisk(.gatewayBackpressure)
            return
        }
        let decision = gate.check(OrderIntent(side: quote.side, price: quote.price, quantity: quote.quantity), riskContext())
        guard decision == .accept else {
            if case .reject(let r) = decision { countRisk(r) }
            sendCancel(id)
            return
        }
        // A modify sets the total size; keep what is already filled.
        let total = order.filled + quote.quantity
        tracker.modifySent(id, nowNanos: nowNanos)
        snapshot.modifiesSent += 1
        send(OrderRequest(kind: .modify, symbol: configuration.instrument.symbol, side: quote.side, price: quote.price, quantity: total, clientOrderID: id))
        sentInBatch(tickNanos)
    }

    /// Tick → order on the wire is recorded when the batch is flushed.
    private func sentInBatch(_ tickNanos: Int64) {
        if batching && batchSent < batchTicks.count {
            batchTicks[batchSent] = tickNanos
            batchSent += 1
        } else {
            tickToSend.record(nanos: nowNanos - tickNanos)
        }
    }

    func sendCancel(_ id: ClientOrderID) {
        guard let o = tracker.orders[id], o.state != .pendingCancel else { return }
        tracker.cancelSent(id, nowNanos: nowNanos)
        snapshot.cancelsSent += 1
        send(OrderRequest(kind: .cancel, symbol: configuration.instrument.symbol, clientOrderID: id))
    }

    func countRisk(_ r: RiskRejection) {
        snapshot.riskRejects += 1
        rejectsByCode[r.rawValue, default: 0] += 1
    }

    // MARK: Risk state (on `loop`)

    /// Re-evaluates PnL limits; a breach halts. At UTC midnight the daily figures start again.
    func evaluate() {
        guard !stopping else { return }
        let day = UnixNanos.now().millis / 86_400_000
        if day != tradingDay {
            if tradingDay != 0 {
                tracker.resetDay()
                gate.startNewDay()
                journal?.append(#"{"e":"new_day","t":\#(UnixNanos.now().millis)}"#)
            }
            tradingDay = day
        }
        let before = gate.state
        let after = gate.evaluate(riskContext())
        if after == .halted && (before != .halted || !haltHandled) {
            enterHalt(reason: gate.haltReason?.rawValue ?? "limit")
        }
        if !batching { journal?.flush() }
        publish()
    }

    func enterHalt(reason: String) {
        guard !haltHandled else { return }
        haltHandled = true
        haltCount += 1
        if gate.state != .halted { gate.forceHalt() }
        journal?.append(#"{"e":"halt","reason":"\#(reason)","t":\#(UnixNanos.now().millis)}"#)
        note(.warning, "halt", ["reason": "\(reason)", "position": "\(tracker.position)", "pnl": "\(tracker.realizedNet)"])
        _ = cancelAllAtVenue()
        if configuration.flattenOnHalt, tracker.position.raw != 0 { flatten() }
        publish()
    }

    /// Closes the position with a reduce-only market order.
    func flatten() {
        let qty = Quantity(raw: Int64(tracker.position.raw.magnitude))
        let side: Side = tracker.position.raw > 0 ? .sell : .buy
        sequence += 1
        guard let id = ClientOrderID(prefix: idPrefix, sequence: sequence) else { return }
        tracker.sent(id, side, price: .zero, quantity: qty, nowNanos: nowNanos)
        snapshot.ordersSent += 1
        send(OrderRequest(kind: .placeMarket, symbol: configuration.instrument.symbol, side: side, quantity: qty, clientOrderID: id, reduceOnly: true))
    }

    /// `DELETE allOpenOrders`: one request that cancels every order of the symbol, including ones in flight.
    func cancelAllAtVenue() -> EventLoopFuture<Void> {
        for o in tracker.orders.values where o.state != .pendingCancel { tracker.cancelSent(o.clientOrderID, nowNanos: nowNanos) }
        if configuration.dryRun {
            for id in Array(tracker.orders.keys) { tracker.forget(id) }
            return loop.makeSucceededVoidFuture()
        }
        return deleteAllOpenOrders(attemptsLeft: 3)
    }

    /// `DELETE /fapi/v1/allOpenOrders`, tried again (250 ms apart) when the venue does not confirm it: a
    /// halt or a shutdown must not leave orders resting because one request met a 5xx or a timeout.
    private func deleteAllOpenOrders(attemptsLeft: Int) -> EventLoopFuture<Void> {
        rest(.DELETE, "/fapi/v1/allOpenOrders", query: "symbol=\(configuration.instrument.symbol)", signed: true)
            .map { reply -> Int in reply.status }
            .recover { _ in 0 }
            .flatMap { status in
                self.note(status == 200 ? .notice : .error, "order.cancel_all", ["status": "\(status)", "orders": "\(self.tracker.orders.count)"])
                if status == 200 {
                    for id in Array(self.tracker.orders.keys) where self.tracker.orders[id]?.price.raw != 0 {
                        self.tracker.forget(id)
                        self.journal?.append(#"{"e":"cancelled","c":"\#(id)"}"#)
                    }
                    return self.loop.makeSucceededVoidFuture()
                }
                guard attemptsLeft > 1 else { return self.loop.makeSucceededVoidFuture() }
                return self.loop.scheduleTask(in: .milliseconds(250)) {}.futureResult.flatMap {
                    self.deleteAllOpenOrders(attemptsLeft: attemptsLeft - 1)
                }
            }
    }

    // MARK: Publishing (on `loop`)

    func publish() {
        let ctx = riskContext()
        snapshot.position = tracker.position
        snapshot.entryPrice = tracker.entryPrice
        snapshot.realizedNet = tracker.realizedNet
        snapshot.fees = tracker.fees
        snapshot.unrealized = ctx.unrealized
        snapshot.maxAbsPosition = tracker.maxAbsPosition
        snapshot.volume = tracker.volume
        snapshot.fills = tracker.fillCount
        snapshot.makerFills = tracker.makerFillCount
        snapshot.tradingState = gate.state == .active ? 0 : gate.state == .reducing ? 1 : 2
        snapshot.ready = ready
        snapshot.webSocketAPIUp = webSocketAPI != nil
        snapshot.userStreamUp = userStreamLostNanos == nil
        snapshot.openOrders = tracker.orders.count
        snapshot.tickToSendP99Nanos = tickToSend.quantile(0.99)
        snapshot.roundTripP50Nanos = roundTrip.quantile(0.5)
        snapshot.roundTripP99Nanos = roundTrip.quantile(0.99)
        published.store(snapshot)
    }

    func makeReport() -> GatewayReport {
        GatewayReport(
            snapshot: snapshot, rejectsByCode: rejectsByCode, restCallsByEndpoint: restCallsByEndpoint,
            tickToSendP50Nanos: tickToSend.quantile(0.5), tickToGatewayP50Nanos: tickToGateway.quantile(0.5),
            tickToGatewayP99Nanos: tickToGateway.quantile(0.99), listenKeyRenewals: listenKeyRenewals, clockResyncs: clockResyncs,
            reconciliations: reconciliations, adoptedOrders: adoptedOrders, halts: haltCount, haltReason: gate.haltReason?.rawValue,
            tickToSend: tickToSend, roundTrip: roundTrip, tickToGateway: tickToGateway, peakPnL: gate.peakPnL, listenKeyAgeSeconds: listenKeySince.map { Double(nowNanos - $0) / 1e9 } ?? 0, tickRingDepth: ticks.approximateCount,
            openOrderIDs: tracker.orders.keys.map(\.description).sorted(), journalOpenAtStart: journalOpenAtStart.count,
            journalResolvedWhileDown: journalResolvedWhileDown)
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
    /// Today's highest PnL (drawdown is measured from it), seconds since the listen key was created or kept
    /// alive, and strategy ticks waiting in the ring.
    /// The latency histograms themselves (for Prometheus histograms).
    public var tickToSend: LatencyHistogram
    public var roundTrip: LatencyHistogram
    public var tickToGateway: LatencyHistogram
    public var peakPnL: Notional
    public var listenKeyAgeSeconds: Double
    public var tickRingDepth: Int
    public var openOrderIDs: [String]
    /// Orders the journal showed open at start, and how many of them the venue no longer had.
    public var journalOpenAtStart: Int
    public var journalResolvedWhileDown: Int
}

/// A gateway set-up problem.
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
