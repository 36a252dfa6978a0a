import MMBook
import MMCore
import MMExecution
import MMRisk
import MMStrategy

// Usage: ProfileTick [fixed|glft] [ticks]
// The gateway's per-tick work (quote → reconcile against the tracker → risk check of each new order) on a
// synthetic walk of the touch, as a plain loop for callgrind.
let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "glft"
let ticks = args.count > 2 ? Int(args[2]) ?? 100_000 : 100_000

func run<M: Strategy>(_ model: inout M, instrument: Instrument) -> Int {
    let limits = RiskLimits(
        maxOrderNotional: Notional(units: 1000), maxNetPosition: Quantity("0.01")!, dailyLossLimit: Notional(units: 50),
        stopLoss: Notional(units: -100), maxDrawdown: Notional(units: 80), maxOrdersPerSecond: 1_000_000, maxOpenOrders: 10)
    var gate = RiskGate(instrument: instrument, limits: limits)
    var tracker = OrderTracker(symbol: instrument.symbol)
    let reconciler = QuoteReconciler(tickSize: instrument.tickSize, priceToleranceTicks: 2)
    var open = FixedList<OpenOrder>()
    var commands = FixedList<OrderCommand>()
    var intent = QuoteIntent()
    var accepted = 0
    var bid: Int64 = 6_394_390_000_000
    var seed: UInt64 = 42
    for i in 0..<ticks {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        bid += Int64(seed >> 62) - 1
        let top = TopOfBook(
            bidPrice: Price(raw: bid), bidQuantity: Quantity("1")!, askPrice: Price(raw: bid + 1_000_000), askQuantity: Quantity("1")!,
            updateID: Int64(i), eventTimeMillis: 0, hasBid: true, hasAsk: true, isSynced: true)
        let now = Int64(i) * 250_000_000
        model.quote(MarketView(top: top, position: tracker.position, nowNanos: now), into: &intent)
        tracker.quotable(into: &open)
        reconciler.reconcile(desired: intent, open: open, into: &commands)
        let exposure = tracker.exposure()
        for c in 0..<commands.count {
            if case .place(let q) = commands[c] {
                let context = RiskContext(
                    position: tracker.position, openBuy: exposure.buy, openSell: exposure.sell, openOrders: exposure.count,
                    realizedToday: tracker.realizedNet, unrealized: tracker.unrealized(at: top.mid ?? .zero), top: top, nowNanos: now)
                if gate.check(OrderIntent(side: q.side, price: q.price, quantity: q.quantity), context) == .accept { accepted += 1 }
            }
        }
    }
    return accepted
}

let btc = try! Instrument(symbol: Symbol("BTCUSDT")!, tickSize: "0.01", stepSize: "0.001", minQuantity: "0.001", minNotional: "5")
let start = MonotonicInstant.now().nanos
let accepted: Int
if mode == "fixed" {
    var m = FixedSpreadQuoter(instrument: btc, halfSpreadBps: 0.5, baseSize: Quantity("0.002")!, skewBps: 1, maxPosition: Quantity("0.01")!)
    accepted = run(&m, instrument: btc)
} else {
    var m = GLFTQuoter(
        ladder: QuoteLadder(instrument: btc, baseSize: Quantity("0.002")!, levels: 2, levelSpacingTicks: 10, maxPosition: Quantity("0.01")!),
        gamma: 0.1, kappa: 1.5, arrivalRate: 1)
    accepted = run(&m, instrument: btc)
}
let elapsed = MonotonicInstant.now().nanos - start
print("\(mode): \(ticks) ticks, \(accepted) accepted, \(elapsed / Int64(ticks)) ns/tick")
