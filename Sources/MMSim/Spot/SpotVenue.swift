import MMBook
import MMCore
import MMSimCore
import NIOCore

/// A simulated spot venue's state on its event loop: spot markets on the venue core, accounts with free and
/// locked balances, and the market clock. Confined to one event loop, as `StreamHub` is.
final class SpotVenue: @unchecked Sendable {
    let eventLoop: EventLoop
    var markets: [Symbol: SimMarket] = [:]
    var exchange: SimExchange
    let pairs: [Symbol: SpotPair]
    private let verifiers: [String: SignatureVerifier]
    private let speed: Double
    /// REST rate limits, and the faults in force.
    var limits: SpotLimits
    var faults: FaultState
    /// Diff depth streams (Binance spot).
    var streams = SpotStreams()
    private var startNanos: Int64 = 0
    private var task: RepeatedTask?

    init(
        eventLoop: EventLoop, scripts: [(MarketScript, SpotPair)], speed: Double, credentials: [SimServer.Credentials], balances: [String: Notional],
        makerFee: Ratio, takerFee: Ratio, limits: SpotLimits, faults: FaultPlan = FaultPlan()
    ) {
        self.eventLoop = eventLoop
        self.limits = limits
        self.faults = FaultState(plan: faults)
        self.speed = speed
        var m: [Symbol: SimMarket] = [:]
        var p: [Symbol: SpotPair] = [:]
        for (script, pair) in scripts {
            m[script.instrument.symbol] = SimMarket(script: script)
            p[script.instrument.symbol] = pair
        }
        markets = m
        pairs = p
        exchange = SimExchange(accounts: credentials.map { SimAccount(id: $0.apiKey, wallet: .zero, spot: balances) })
        exchange.spotPairs = p
        exchange.makerFee = makerFee
        exchange.takerFee = takerFee
        verifiers = Dictionary(credentials.map { ($0.apiKey, SignatureVerifier(secret: $0.secret)) }, uniquingKeysWith: { a, _ in a })
    }

    func signer(for apiKey: String) -> SignatureVerifier? { verifiers[apiKey] }

    /// The symbols a request names: `name`, or every market without one; `nil` when the venue lists no such
    /// symbol.
    func symbols(named name: String?) -> [Symbol]? {
        guard let name else { return markets.keys.sorted() }
        guard let s = Symbol(name), markets[s] != nil else { return nil }
        return [s]
    }

    /// A `limit` parameter: `fallback` when absent or unreadable, clamped to 1 ... `max`.
    static func limit(_ text: String?, default fallback: Int, max: Int) -> Int {
        Swift.min(Swift.max(text.flatMap { Int($0) } ?? fallback, 1), max)
    }

    /// A new order, or with `test` its dry run on copies of the venue and the market (nothing changes).
    func place(_ r: OrderRequest, account: String, test: Bool, nowMillis: Int64) -> Result<SimOrder, Rejection> {
        guard test else { return exchange.place(r, account: account, market: &markets[r.symbol]!, nowMillis: nowMillis) }
        var scratch = exchange
        var market = markets[r.symbol]!
        return scratch.place(r, account: account, market: &market, nowMillis: nowMillis)
    }

    /// The base quantity a market order spending (buy) or raising (sell) `quote` takes from `symbol`'s book
    /// now, on the step: a market order by quote amount (`quoteOrderQty`) as the venues size it.
    func quantity(forQuote quote: Notional, side: Side, symbol: Symbol) -> Quantity {
        guard let m = markets[symbol] else { return .zero }
        let step = Int128(m.script.instrument.stepSize.raw)
        let unit = Int128(FixedPointScale.unit)
        var left = Int128(quote.raw)
        var total = Int128(0)
        for level in m.book.levels(side == .buy ? .ask : .bid) where left > 0 {
            let cost = Int128(level.price.raw) * Int128(level.quantity.raw) / unit
            if cost <= left {
                total += Int128(level.quantity.raw)
                left -= cost
            } else {
                total += left * unit / Int128(level.price.raw)
                left = 0
            }
        }
        return Quantity(raw: Int64(total / step * step))
    }

    /// An account's orders on `symbol`, open and recently closed, the newest `limit` in order of arrival.
    func allOrders(account: String, symbol: Symbol, limit: Int) -> [SimOrder] {
        guard let a = exchange.accounts[account] else { return [] }
        return (Array(a.open.values) + Array(a.closed.values)).filter { $0.symbol == symbol }.sorted { $0.orderID < $1.orderID }.suffix(limit)
    }

    /// An account's newest `limit` fills on `symbol`, each with its order's client ID.
    func fills(account: String, symbol: Symbol, limit: Int) -> [(fill: SimFill, clientOrderID: String)] {
        guard let a = exchange.accounts[account] else { return [] }
        return a.fills.filter { $0.symbol == symbol }.suffix(limit).map { f in
            (f, a.open[f.orderID]?.clientOrderID ?? a.closed[f.orderID]?.clientOrderID ?? "")
        }
    }

    func start() {
        startNanos = MonotonicInstant.now().nanos
        task = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { [self] _ in tick() }
    }

    func stop() { task?.cancel() }

    /// The venue's clock (moved by a `clock_skew` fault).
    func nowMillis() -> Int64 { UnixNanos.now().millis + faults.clockSkewMillis }

    /// Starts a fault now. Streams are not served here, so only REST and clock faults apply.
    func trigger(_ rule: FaultRule) {
        let now = UnixNanos.now().millis
        switch rule.kind {
        case .rateLimit:
            faults.rateLimitUntil = now + Int64((rule.durationSeconds ?? 10) * 1000)
        case .clockSkew:
            let ms = rule.milliseconds ?? 0
            faults.clockSkewMillis = (rule.everySeconds != nil && faults.clockSkewMillis != 0) ? 0 : ms
            faults.count(.clockSkew)
        case .stall:
            stallUntil = now + Int64((rule.durationSeconds ?? 10) * 1000)
            faults.count(.stall)
        case .http5xx, .delay, .drop:
            faults.nextRequest[rule.kind] = rule
        case .gap:
            streams.gap(symbols: Array(markets.keys))
            faults.count(.gap)
        case .wsClose:
            for s in streams.subscribers.values { WebSocketClose.send(s.channel) }
            faults.count(.wsClose)
        default:
            break
        }
    }

    /// Until then the market does not move.
    private var stallUntil: Int64 = 0

    private func tick() {
        let wall = UnixNanos.now().millis
        for rule in faults.due(nowMillis: wall) { trigger(rule) }
        guard wall >= stallUntil else { return }
        let marketNanos = Int64(Double(MonotonicInstant.now().nanos - startNanos) * speed)
        let now = nowMillis()
        for symbol in markets.keys.sorted() {
            var trades: [Trade] = []
            var sawDepth = false
            markets[symbol]!.advance(to: marketNanos, nowMillis: now) { event in
                switch event {
                case .trade(let t): trades.append(t)
                case .depth(let d):
                    sawDepth = true
                    streams.add(d)
                case .restarted: sawDepth = true
                default: break
                }
            }
            if sawDepth { exchange.onDepth(markets[symbol]!) }
            for t in trades { exchange.onTrade(t, nowMillis: now) }
        }
        _ = exchange.drainEvents()
        streams.flush(nowMillis: now)
    }
}
