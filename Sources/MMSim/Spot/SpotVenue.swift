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
    private var startNanos: Int64 = 0
    private var task: RepeatedTask?

    init(
        eventLoop: EventLoop, scripts: [(MarketScript, SpotPair)], speed: Double, credentials: [SimServer.Credentials], balances: [String: Notional],
        makerFee: Ratio, takerFee: Ratio
    ) {
        self.eventLoop = eventLoop
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

    func nowMillis() -> Int64 { UnixNanos.now().millis }

    private func tick() {
        let marketNanos = Int64(Double(MonotonicInstant.now().nanos - startNanos) * speed)
        let now = nowMillis()
        for symbol in markets.keys.sorted() {
            var trades: [Trade] = []
            var sawDepth = false
            markets[symbol]!.advance(to: marketNanos, nowMillis: now) { event in
                switch event {
                case .trade(let t): trades.append(t)
                case .depth, .restarted: sawDepth = true
                default: break
                }
            }
            if sawDepth { exchange.onDepth(markets[symbol]!) }
            for t in trades { exchange.onTrade(t, nowMillis: now) }
        }
        _ = exchange.drainEvents()
    }
}
