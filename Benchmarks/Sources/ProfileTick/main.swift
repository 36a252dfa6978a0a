import MMBook
import MMCore
import MMExecution
import MMRisk
import MMStrategy
import BenchSupport

// Usage: ProfileTick [fixed|glft] [ticks]
// The gateway's per-tick work (quote → the order manager: reconcile, risk check, journal records, the venue's
// acknowledgements) on a
// synthetic walk of the touch, as a plain loop for callgrind.
let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "glft"
let ticks = args.count > 2 ? Int(args[2]) ?? 100_000 : 100_000

func run<M: Strategy>(_ model: inout M, instrument: Instrument) -> Int {
    let limits = RiskLimits(
        maxOrderNotional: Notional(units: 1000), maxNetPosition: Quantity("0.01")!, dailyLossLimit: Notional(units: 50),
        stopLoss: Notional(units: -100), maxDrawdown: Notional(units: 80), maxOrdersPerSecond: 1_000_000, maxOpenOrders: 10)
    var bench = ManagerBench(instrument: instrument, limits: limits, reconciler: QuoteReconciler(tickSize: instrument.tickSize, priceToleranceTicks: 2))
    var intent = QuoteIntent()
    var bid: Int64 = 6_394_390_000_000
    var seed: UInt64 = 42
    let one = Quantity(units: 1)
    for i in 0..<ticks {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        // The touch walks a tick at a time (a requote whenever it has moved past the tolerance).
        bid += (Int64(seed >> 62) - 1 - (i % 2 == 0 ? 0 : 1) + (Int64(seed >> 61) & 1)) * instrument.tickSize.raw
        let top = TopOfBook(
            bidPrice: Price(raw: bid), bidQuantity: one, askPrice: Price(raw: bid + 1_000_000), askQuantity: one,
            updateID: Int64(i), eventTimeMillis: 0, hasBid: true, hasAsk: true, isSynced: true)
        let now = Int64(i) * 250_000_000
        model.quote(MarketView(top: top, position: bench.manager.position, nowNanos: now), into: &intent)
        bench.tick(intent, top: top, nowNanos: now)
    }
    if CommandLine.arguments.contains("verbose") {
        print(bench.manager.riskRejections, bench.manager.counters, bench.manager.openOrderCount, bench.manager.tradingState, bench.manager.isReady)
    }
    return bench.placed
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
print("\(mode): \(ticks) ticks, \(accepted) placed, \(elapsed / Int64(ticks)) ns/tick")
if CommandLine.arguments.contains("sizes") {
    print("OrderManager", MemoryLayout<OrderManager>.size, "Configuration", MemoryLayout<OrderManager.Configuration>.size, "RiskGate", MemoryLayout<RiskGate>.size,
        "OrderTracker", MemoryLayout<OrderTracker>.size, "TrackedOrder", MemoryLayout<TrackedOrder>.size, "OrderAction", MemoryLayout<OrderAction>.size,
        "RiskContext", MemoryLayout<RiskContext>.size, "Instrument", MemoryLayout<Instrument>.size, "QuoteIntent", MemoryLayout<QuoteIntent>.size,
        "FixedList<OpenOrder>", MemoryLayout<FixedList<OpenOrder>>.size)
}
