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
