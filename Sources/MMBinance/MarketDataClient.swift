import MMBinanceWire
import MMBook
import MMCore
import Logging
import MMRing
import MMStrategy
import NIOCore
import NIOPosix
import NIOWebSocket

/// The latest top of book of one symbol with the local time it was applied, as published to other threads.
@frozen
public struct PublishedTop: Sendable, Equatable, BitwiseCopyable {
    public var top: TopOfBook
    /// Monotonic time the ingest thread applied it; 0 before the first update.
    public var receivedNanos: Int64
    /// The book's signals as of the same update (imbalance over several levels, microprice).
    public var signals: MarketSignals

    public init(top: TopOfBook, receivedNanos: Int64, signals: MarketSignals = MarketSignals()) {
        self.top = top
        self.receivedNanos = receivedNanos
        self.signals = signals
    }
}

/// The ingest side: one combined market stream (depth diffs and bookTicker) on a dedicated one-thread event
/// loop. Frames are decoded in the channel handler straight into each symbol's `SyncedBook` (no hop to
/// another thread, no per-message allocation once warm); snapshots come over REST only at (re)sync, per
/// symbol, without dropping the connection. Every applied diff publishes a `PublishedTop` through a seqlock
/// any thread may read and, when configured, its level changes into an SPSC ring.
///
/// The connection is re-established with exponential backoff and full jitter; while it is down every book
/// is stale. Before Binance's 24 h connection limit the client rotates make-before-break: a second
/// connection opens, both feed the same books (the sequencer drops what one has already delivered, and a
/// diff from the newcomer that is ahead of the book is ignored rather than treated as a gap), and the old
/// one closes once the new one has delivered a diff in sequence.
public final class MarketDataClient: @unchecked Sendable {
    /// Where and what to subscribe.
    public struct Configuration: Sendable {
        /// REST base (snapshots) and market-stream base (`/stream?streams=…` is appended to its path).
        public var rest: Endpoint
        public var stream: Endpoint
        public var instruments: [Instrument]
        /// Diff stream suffix: `@depth@0ms`, `@depth@100ms` or `@depth`.
        public var depthStream = "@depth@0ms"
        /// Also subscribe `@bookTicker` and check the book against it whenever its `u` matches.
        public var bookTicker = true
        public var snapshotLimit = 1000
        /// Where combined streams are asked for: Binance USDⓈ-M's `/public/stream` (depth and book tickers
        /// since its 2026 route split), Binance spot's `/stream`.
        public var streamRoute = "/public/stream"
        /// The REST depth snapshot and its request weight at `snapshotLimit`.
        public var snapshotPath = "/fapi/v1/depth"
        public var snapshotWeight = 20
        public var initialBackoff: TimeAmount = .milliseconds(100)
        public var maxBackoff: TimeAmount = .seconds(30)
        /// Rotate the connection after this long (Binance closes them at 24 h).
        public var rotateAfter: TimeAmount = .hours(23)
        /// Capacity of the `LevelChange` ring (0: no ring).
        public var levelChangeCapacity = 0
        /// The request-weight budget shared with the order gateway (snapshots cost 20 at limit 1000).
        public var budget = RequestBudget()
        /// A failed snapshot is asked for again after this, doubling to `maxSnapshotBackoff` (and never
        /// before the venue's `Retry-After`).
        public var snapshotBackoff: TimeAmount = .milliseconds(250)
        public var maxSnapshotBackoff: TimeAmount = .seconds(30)
        /// Book levels per side the published imbalance reads (0: no book signals are computed), and the
        /// trade-flow half-life.
        public var signalLevels = 5
        public var flowHalfLifeSeconds = 5.0
        /// Where the `@aggTrade` streams of the trade-flow signal are asked for, on a connection of their own
        /// (Binance USDⓈ-M serves them on `/market/stream` since its route split); nil: no trade flow.
        public var tradeRoute: String?
        /// The connection is pinged this often; one that reads nothing for `readTimeout` is replaced.
        public var pingEvery: TimeAmount = .seconds(10)
        public var readTimeout: TimeAmount = .seconds(30)

        public init(rest: Endpoint, stream: Endpoint, instruments: [Instrument]) {
            self.rest = rest
            self.stream = stream
            self.instruments = instruments
        }

        /// A venue serving REST and streams on one plain port (the simulator).
        public init(host: String, port: Int, instruments: [Instrument]) {
            self.init(rest: Endpoint(host: host, port: port), stream: Endpoint(host: host, port: port), instruments: instruments)
        }

        /// Binance spot: `@depth@100ms` diffs on `/stream` (no `pu`: the book chains `U` to the previous
        /// `u` + 1), snapshots from `/api/v3/depth` (weight 50 at 1,000 levels) against spot's 6,000 weight
        /// per minute, no book-ticker check.
        public static func binanceSpot(rest: Endpoint, stream: Endpoint, instruments: [Instrument]) -> Configuration {
            var c = Configuration(rest: rest, stream: stream, instruments: instruments)
            c.depthStream = "@depth@100ms"
            c.bookTicker = false
            c.streamRoute = "/stream"
            c.snapshotPath = "/api/v3/depth"
            c.snapshotWeight = 50
            c.budget = RequestBudget(weightPerMinute: 6000)
            return c
        }
    }

    /// Counters, readable from any thread through `stats()`.
    public struct Stats: Sendable, Equatable {
        public var frames = 0
        public var malformed = 0
        public var diffsApplied = 0
        public var gaps = 0
        public var resyncs = 0
        public var snapshots = 0
        public var snapshotFailures = 0
        public var connects = 0
        public var reconnects = 0
        public var rotations = 0
        public var tickerChecks = 0
        public var tickerMismatches = 0
        /// Level changes the ring had no room for (its consumer must re-read the book).
        public var levelChangeDrops = 0
        /// Trades taken into the flow signal, and connections of the trade stream.
        public var trades = 0
        public var tradeConnects = 0
        /// Connections closed because nothing was read for the read timeout.
        public var watchdogCloses = 0
        /// Snapshot attempts held back for the venue's wait or the weight budget.
        public var snapshotsDeferred = 0
        /// Highest occupancy of the level-change ring seen by its producer.
        public var levelRingHighWater = 0
        /// Frame bytes → book applied and published, on the ingest thread.
        public var frameToBookP50Nanos: Int64 = 0
        public var frameToBookP99Nanos: Int64 = 0
        public var frameToBook = LatencyHistogram()
    }

    let configuration: Configuration
    let group: MultiThreadedEventLoopGroup
    /// The ingest thread's loop.
    public let loop: EventLoop
    /// Latest top of book per symbol, published by the ingest thread.
    private let tops: [Symbol: SeqLock<PublishedTop>]
    /// Level changes of applied diffs and loaded snapshots, when configured (one consumer).
    public let levelChanges: SPSCRing<LevelChange>?
    // State below is confined to `loop`.
    private var books: [Symbol: SyncedBook]
    /// Signals of each book, updated with it.
    private var trackers: [Symbol: SignalTracker] = [:]
    private var message = MarketMessage()
    private var counters = Stats()
    /// Receive time of the last market frame (any symbol, any kind): how new a snapshot plus the diffs
    /// buffered behind it is.
    private var lastFrameNanos: Int64 = 0
    /// Frame → book latency, recorded on this thread (fixed buckets, no allocation).
    private var frameToBook = LatencyHistogram()
    private var primary: (channel: Channel, generation: Int)?
    private var incoming: (channel: Channel, generation: Int)?
    private var generation = 0
    private var backoff: ReconnectBackoff
    private var stopping = false
    private var rotationTask: Scheduled<Void>?
    /// The trade-flow connection and its reconnect backoff.
    private var tradeChannel: Channel?
    private var tradeBackoff: ReconnectBackoff
    private var tradeMessage = MarketMessage()
    private var rng = SystemRandomNumberGenerator()
    /// Keep-alive connections for snapshots.
    private var rest: KeepAliveHTTPClient!
    /// Per symbol: the wait before the next snapshot attempt after a failure (0: none failed).
    private var snapshotWait: [Symbol: Int64] = [:]
    /// Symbols with a snapshot request on its way or scheduled (one at a time per symbol).
    private var snapshotPending: Set<Symbol> = []
    private let logger = Logger(label: "mm.ingest")
    /// Where the last diff's, ticker's or trade's symbol sits in `books`, `tops` and `trackers`. Their keys are fixed at
    /// init, so the indices stay valid, and a stream's frames (nearly always of one symbol) look them up
    /// once, not hash the symbol five to seven times a frame.
    private var lastSymbol = Symbol()
    private var lastSlots: Slots?

    private struct Slots {
        var book: Dictionary<Symbol, SyncedBook>.Index
        var top: Dictionary<Symbol, SeqLock<PublishedTop>>.Index
        var tracker: Dictionary<Symbol, SignalTracker>.Index
    }

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        var b: [Symbol: SyncedBook] = [:]
        var t: [Symbol: SeqLock<PublishedTop>] = [:]
        for i in configuration.instruments {
            b[i.symbol] = SyncedBook(instrument: i)
            t[i.symbol] = SeqLock(PublishedTop(top: .empty, receivedNanos: 0))
        }
        books = b
        tops = t
        trackers = Dictionary(uniqueKeysWithValues: configuration.instruments.map {
            ($0.symbol, SignalTracker(levels: max(1, configuration.signalLevels), flowHalfLifeSeconds: configuration.flowHalfLifeSeconds))
        })
        levelChanges = configuration.levelChangeCapacity > 0 ? SPSCRing(capacity: configuration.levelChangeCapacity) : nil
        backoff = ReconnectBackoff(initial: configuration.initialBackoff, cap: configuration.maxBackoff)
        tradeBackoff = ReconnectBackoff(initial: configuration.initialBackoff, cap: configuration.maxBackoff)
        rest = KeepAliveHTTPClient(endpoint: configuration.rest, loop: loop, maxConnections: 2, warm: 0)
    }

    /// Connects (and keeps reconnecting until `shutdown`).
    public func start() {
        loop.execute {
            self.connect(rotation: false)
            self.connectTrades()
        }
    }

    /// Latest published top of book (any thread). `isSynced` is false while the book is stale.
    public func top(_ symbol: Symbol) -> TopOfBook? { tops[symbol]?.load().top }

    /// Latest top of book with its local receive time (any thread).
    public func published(_ symbol: Symbol) -> PublishedTop? { tops[symbol]?.load() }

    /// A consistent copy of the counters.
    public func stats() async throws -> Stats {
        try await loop.submit {
            var c = self.counters
            c.levelRingHighWater = self.levelChanges?.producerHighWaterMark ?? 0
            c.frameToBookP50Nanos = self.frameToBook.quantile(0.5)
            c.frameToBookP99Nanos = self.frameToBook.quantile(0.99)
            c.frameToBook = self.frameToBook
            return c
        }.get()
    }

    /// Starts a make-before-break rotation now (it also happens on its own before the 24 h limit).
    public func rotate() {
        loop.execute { self.connect(rotation: true) }
    }

    /// Closes the streams and stops the thread.
    public func shutdown() async throws {
        try await loop.submit {
            self.stopping = true
            self.rotationTask?.cancel()
            self.primary?.channel.close(promise: nil)
            self.incoming?.channel.close(promise: nil)
            self.tradeChannel?.close(promise: nil)
            self.rest.shutdown()
        }.get()
        try await group.shutdownGracefully()
    }

    // MARK: Connection (on `loop`)

    private var streamPath: String {
        var names: [String] = []
        for i in configuration.instruments {
            names.append(i.symbol.lowercased + configuration.depthStream)
            if configuration.bookTicker { names.append(i.symbol.lowercased + "@bookTicker") }
        }
        return configuration.streamRoute + "?streams=" + names.joined(separator: "/")
    }

    private func connect(rotation: Bool) {
        guard !stopping, incoming == nil, rotation || primary == nil else { return }
        generation += 1
        let gen = generation
        let handler = NIOLoopBound(TextFrameHandler { [unowned self] bytes in self.onFrame(bytes, generation: gen) }, eventLoop: loop)
        let watchdog = Watchdog(pingEvery: configuration.pingEvery, readTimeout: configuration.readTimeout) { [unowned self] in
            self.loop.execute { self.counters.watchdogCloses += 1 }
        }
        WebSocketConnector.connect(configuration.stream, path: streamPath, on: loop, watchdog: watchdog) { handler.value }
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.counters.connects += 1
                    if rotation && self.primary != nil {
                        self.incoming = (channel, gen)
                    } else {
                        self.primary = (channel, gen)
                        self.scheduleRotation()
                    }
                    channel.closeFuture.whenComplete { _ in self.closed(generation: gen) }
                case .failure:
                    if !rotation || self.primary == nil { self.scheduleReconnect() }
                }
            }
    }

    private func scheduleRotation() {
        rotationTask?.cancel()
        rotationTask = loop.scheduleTask(in: configuration.rotateAfter) { self.connect(rotation: true) }
    }

    /// The newcomer delivered in sequence: it becomes the primary and the old connection closes.
    private func promote() {
        guard let next = incoming else { return }
        let old = primary
        primary = next
        incoming = nil
        counters.rotations += 1
        old?.channel.close(promise: nil)
        logger.info("rotation", metadata: ["connects": "\(counters.connects)"])
        scheduleRotation()
    }

    private func closed(generation gen: Int) {
        if incoming?.generation == gen {
            incoming = nil
            return
        }
        guard primary?.generation == gen else { return }
        primary = nil
        if let next = incoming {
            // The old one went first: the newcomer takes over without a gap in service.
            primary = next
            incoming = nil
            counters.rotations += 1
            scheduleRotation()
            return
        }
        for s in books.keys { books[s]!.invalidate() }
        publishAll()
        if !stopping { logger.warning("reconnect", metadata: ["stream": "market", "state": "lost"]) }
        scheduleReconnect()
    }

    // MARK: Trade flow (on `loop`)

    /// The `@aggTrade` streams of every symbol on their own connection; lost, it comes back with backoff.
    private func connectTrades() {
        guard let route = configuration.tradeRoute, !stopping, tradeChannel == nil else { return }
        let path = route + "?streams=" + configuration.instruments.map { $0.symbol.lowercased + "@aggTrade" }.joined(separator: "/")
        let handler = NIOLoopBound(TextFrameHandler { [unowned self] bytes in self.onTradeFrame(bytes) }, eventLoop: loop)
        let watchdog = Watchdog(pingEvery: configuration.pingEvery, readTimeout: configuration.readTimeout)
        WebSocketConnector.connect(configuration.stream, path: path, on: loop, watchdog: watchdog) { handler.value }
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.counters.tradeConnects += 1
                    self.tradeChannel = channel
                    self.tradeBackoff.reset()
                    channel.closeFuture.whenComplete { _ in
                        self.tradeChannel = nil
                        self.scheduleTradeReconnect()
                    }
                case .failure:
                    self.scheduleTradeReconnect()
                }
            }
    }

    private func scheduleTradeReconnect() {
        guard !stopping else { return }
        let wait = tradeBackoff.next(using: &rng)
        loop.scheduleTask(in: wait) { self.connectTrades() }
    }

    /// A trade into its symbol's flow signal, published with the top of book as it stands.
    private func onTradeFrame(_ bytes: UnsafeRawBufferPointer) {
        guard let kind = try? MarketDecoder.decode(bytes, into: &tradeMessage), kind == .aggTrade || kind == .trade else {
            counters.malformed += 1
            return
        }
        let t = tradeMessage.trade
        guard let s = slots(t.symbol) else { return }
        let now = MonotonicInstant.now().nanos
        trackers.values[s.tracker].observeTrade(quantity: t.quantity, buyerIsMaker: t.buyerIsMaker, nanos: now)
        counters.trades += 1
        let current = tops.values[s.top].load()
        tops.values[s.top].store(PublishedTop(top: current.top, receivedNanos: current.receivedNanos, signals: trackers.values[s.tracker].signals(at: now)))
    }

    private func scheduleReconnect() {
        guard !stopping else { return }
        counters.reconnects += 1
        let wait = backoff.next(using: &rng)
        loop.scheduleTask(in: wait) { self.connect(rotation: false) }
    }

    // MARK: Frames (on `loop`)

    private func onFrame(_ bytes: UnsafeRawBufferPointer, generation gen: Int) {
        let start = MonotonicInstant.now().nanos
        lastFrameNanos = start
        counters.frames += 1
        let kind: MarketMessage.Kind
        do { kind = try MarketDecoder.decode(bytes, into: &message) } catch {
            counters.malformed += 1
            // Said where a person reads it, without flooding: the first ten, then every thousandth.
            if counters.malformed <= 10 || counters.malformed % 1000 == 0 {
                logger.warning("market.malformed", metadata: [
                    "error": "\(error)", "count": "\(counters.malformed)", "frame": "\(printablePrefix(bytes))",
                ])
            }
            return
        }
        switch kind {
        case .depthUpdate:
            onDiff(generation: gen)
            frameToBook.record(nanos: MonotonicInstant.now().nanos - start)
        case .bookTicker: onTicker()
        default: break
        }
    }

    /// The entries of `symbol` in the per-symbol dictionaries, if it is configured.
    private func slots(_ symbol: Symbol) -> Slots? {
        if let s = lastSlots, lastSymbol == symbol { return s }
        guard let b = books.index(forKey: symbol), let t = tops.index(forKey: symbol), let k = trackers.index(forKey: symbol) else {
            return nil
        }
        lastSymbol = symbol
        lastSlots = Slots(book: b, top: t, tracker: k)
        return lastSlots
    }

    private func onDiff(generation gen: Int) {
        let symbol = message.depth.symbol
        guard let s = slots(symbol) else { return }
        let fromIncoming = incoming?.generation == gen
        if fromIncoming, books.values[s.book].isSynced, message.depth.prevFinalUpdateID > books.values[s.book].topOfBook.updateID {
            // The newcomer is ahead of the book: the old connection still owes the diffs between.
            return
        }
        switch books.values[s.book].onDiff(message.depth) {
        case .applied:
            counters.diffsApplied += 1
            backoff.reset()
            publish(s, receivedNanos: MonotonicInstant.now().nanos)
            if let ring = levelChanges { feed(ring, books.values[s.book].book.instrument) }
            if fromIncoming { promote() }
        case .buffered(let request):
            if request { fetchSnapshot(symbol) }
        case .resync(let reason):
            if case .gap = reason { counters.gaps += 1 }
            counters.resyncs += 1
            logger.warning("resync", metadata: ["symbol": "\(symbol)", "reason": "\(reason)"])
            tops.values[s.top].store(PublishedTop(top: books.values[s.book].topOfBook, receivedNanos: MonotonicInstant.now().nanos))
            fetchSnapshot(symbol)
        case .dropped:
            if fromIncoming, message.depth.finalUpdateID == books.values[s.book].topOfBook.updateID { promote() }
        }
    }

    private func feed(_ ring: SPSCRing<LevelChange>, _ instrument: Instrument) {
        let u = message.depth.finalUpdateID
        let id = instrument.id
        let grid = instrument.bookGrid
        func push(_ side: BookSide, _ levels: LevelList) {
            for level in levels {
                guard let units = grid.units(level.price, level.quantity) else { continue }
                let change = LevelChange(updateID: u, instrument: id, side: side, ticks: Ticks(units.ticks), lots: Lots(units.lots))
                if !ring.push(change) { counters.levelChangeDrops += 1 }
            }
        }
        push(.bid, message.depth.bids)
        push(.ask, message.depth.asks)
    }

    /// Where a ticker's `u` equals the book's, the best levels must agree; a disagreement resyncs the symbol.
    private func onTicker() {
        let t = message.bookTicker
        guard let s = slots(t.symbol), books.values[s.book].isSynced else { return }
        let top = books.values[s.book].topOfBook
        guard top.updateID == t.updateID else { return }
        counters.tickerChecks += 1
        if top.bidPrice != t.bidPrice || top.askPrice != t.askPrice || top.bidQuantity != t.bidQuantity || top.askQuantity != t.askQuantity {
            counters.tickerMismatches += 1
            counters.resyncs += 1
            logger.warning("resync", metadata: ["symbol": "\(t.symbol)", "reason": "book_ticker_mismatch"])
            books.values[s.book].invalidate()
            tops.values[s.top].store(PublishedTop(top: books.values[s.book].topOfBook, receivedNanos: MonotonicInstant.now().nanos))
            fetchSnapshot(t.symbol)
        }
    }

    /// Asks for a snapshot of `symbol` now, or when the venue's wait and the weight budget allow.
    private func fetchSnapshot(_ symbol: Symbol) {
        guard snapshotPending.insert(symbol).inserted else { return }
        requestSnapshot(symbol)
    }

    private func requestSnapshot(_ symbol: Symbol) {
        let budget = configuration.budget
        let now = MonotonicInstant.now().nanos
        guard budget.allows(weight: configuration.snapshotWeight, nowNanos: now) else {
            counters.snapshotsDeferred += 1
            let wait = max(budget.closedUntilNanos - now, 1_000_000_000)
            loop.scheduleTask(in: .nanoseconds(wait)) { self.requestSnapshot(symbol) }
            return
        }
        let path = configuration.snapshotPath + "?symbol=\(symbol)&limit=\(configuration.snapshotLimit)"
        let requested = now
        rest.send(.GET, path: path, headers: [], timeout: .seconds(10)).whenComplete { result in
            var retryAfter: Int64 = 0
            if case .success(let reply) = result { retryAfter = budget.observe(status: reply.status, headers: reply.headers) }
            // The frame scratch is free here: this runs on the loop between frames.
            guard !self.stopping, case .success(let reply) = result, reply.status == 200,
                (try? MarketDecoder.decode(reply.body, into: &self.message)) == .depthSnapshot
            else {
                guard !self.stopping else { return }
                self.counters.snapshotFailures += 1
                // Asked again after a wait that doubles, and never before the venue's: a retry on every diff
                // would spend the weight a 429 asks us to save (and a 429 ignored becomes a 418 ban).
                let wait = min(max(self.snapshotWait[symbol].map { $0 * 2 } ?? self.configuration.snapshotBackoff.nanoseconds, 1),
                    self.configuration.maxSnapshotBackoff.nanoseconds)
                self.snapshotWait[symbol] = wait
                let delay = max(wait, retryAfter * 1_000_000)
                self.logger.warning("snapshot.failed", metadata: ["symbol": "\(symbol)", "retry_in_ms": "\(delay / 1_000_000)"])
                self.loop.scheduleTask(in: .nanoseconds(delay)) { self.requestSnapshot(symbol) }
                return
            }
            self.snapshotPending.remove(symbol)
            self.snapshotWait[symbol] = nil
            self.counters.snapshots += 1
            self.message.snapshot.symbol = symbol
            if self.books[symbol]?.onSnapshot(self.message.snapshot) == .tooOld { self.fetchSnapshot(symbol) }
            // The book is as new as the request (a slow answer is old data), or as the last frame applied
            // from the buffer after it, not as the moment the answer arrived.
            if let slots = self.slots(symbol) { self.publish(slots, receivedNanos: max(requested, self.lastFrameNanos)) }
        }
    }

    /// Publishes `symbol`'s top of book and signals as of `nanos`.
    private func publish(_ s: Slots, receivedNanos nanos: Int64) {
        if configuration.signalLevels > 0 { trackers.values[s.tracker].observe(book: books.values[s.book].book) }
        tops.values[s.top].store(
            PublishedTop(top: books.values[s.book].topOfBook, receivedNanos: nanos, signals: trackers.values[s.tracker].signals(at: nanos)))
    }

    private func publishAll() {
        let now = MonotonicInstant.now().nanos
        for (s, b) in books { tops[s]!.store(PublishedTop(top: b.topOfBook, receivedNanos: now)) }
    }
}

/// The start of a frame as printable ASCII (others as `.`), for logs.
func printablePrefix(_ bytes: UnsafeRawBufferPointer, limit: Int = 120) -> String {
    var out = ""
    for b in bytes.prefix(limit) { out.unicodeScalars.append(b >= 0x20 && b < 0x7F ? Unicode.Scalar(b) : ".") }
    return bytes.count > limit ? out + "…" : out
}
