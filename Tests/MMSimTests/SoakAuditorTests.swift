import MMCore
import MMSim
import Testing

/// The soak's judge: each rule it enforces, on hand-made venue logs.
@Suite("Soak auditor")
struct SoakAuditorTests {
    let btc = Symbol("BTCUSDT")!
    let key = "k"
    let ms: Int64 = 1_000_000

    func auditor() -> SoakAuditor {
        SoakAuditor(
            apiKey: key, symbols: [btc],
            limits: .init(netMax: Quantity("0.006")!, dailyMax: Notional(units: 2), stopLoss: Notional(units: -3), maxBookAgeNanos: 1_000 * ms))
    }

    func order(_ id: String, at t: Int64, reduceOnly: Bool = false, modify: Bool = false, account: String? = nil) -> SimAuditEntry {
        .order(account: account ?? key, clientOrderID: id, symbol: btc, side: .buy, reduceOnly: reduceOnly, modify: modify, nanos: t)
    }

    func sample(_ t: Int64, pnl: String = "0", position: String = "0", open: Int = 0) -> SimAccountSample {
        SimAccountSample(nanos: t, position: Quantity(position)!, pnl: Notional(pnl)!, openOrders: open)
    }

    @Test func aCleanRunBreaksNothingAndEveryFaultRecovers() {
        var a = auditor()
        a.observe(order("a-1", at: 100 * ms))
        a.observe(.fault(kind: .gap, nanos: 200 * ms, untilNanos: 200 * ms))
        a.observe(.desync(symbol: btc, reason: "gap", nanos: 210 * ms))
        a.observe(order("a-2", at: 300 * ms))  // within the grace: already on its way
        a.observe(.snapshot(symbol: btc, nanos: 400 * ms))
        a.observe(order("a-3", at: 900 * ms))
        a.observe(.fill(account: key, symbol: btc, position: Quantity("0.006")!, nanos: 950 * ms))
        a.sample(sample(1_000 * ms, pnl: "-1.9", position: "0.006"))
        a.observe(order("a-4", at: 1_100 * ms))
        #expect(a.violationCount == 0, "\(a.examples)")
        #expect(a.unrecovered.isEmpty && a.recovered["gap"] == 1 && a.recovered["desync:gap"] == 1)
        #expect(a.ordersAccepted == 4 && a.fills == 1 && a.maxAbsPosition == Quantity("0.006")!)
    }

    @Test func ordersWhileUnsyncedOrStaleAreViolations() {
        var a = auditor()
        a.observe(.desync(symbol: btc, reason: "gap", nanos: 0))
        a.observe(order("a-1", at: 600 * ms))
        #expect(a.violations["order_while_unsynced"] == 1)
        a.observe(.snapshot(symbol: btc, nanos: 700 * ms))
        a.observe(.stall(nanos: 1_000 * ms, untilNanos: 4_000 * ms))
        a.observe(order("a-2", at: 2_000 * ms))  // 1 s of stall + 0.5 s grace not yet passed: fine
        a.observe(order("a-3", at: 3_000 * ms))
        #expect(a.violations["order_while_stale"] == 1)
        // After the stall the book is out of sync until a snapshot.
        a.observe(order("a-4", at: 4_600 * ms))
        #expect(a.violations["order_while_unsynced"] == 2)
        a.observe(.snapshot(symbol: btc, nanos: 4_700 * ms))
        a.observe(order("a-5", at: 4_800 * ms))
        #expect(a.violationCount == 3)
        // A snapshot taken during a stall is fresh data: the book ages from it.
        a.observe(.stall(nanos: 10_000 * ms, untilNanos: 20_000 * ms))
        a.observe(.snapshot(symbol: btc, nanos: 12_000 * ms))
        a.observe(order("a-7", at: 13_000 * ms))
        #expect(a.violationCount == 3)
        a.observe(order("a-8", at: 13_600 * ms))
        #expect(a.violations["order_while_stale"] == 2)
        a.observe(.snapshot(symbol: btc, nanos: 21_000 * ms))
        // Another stream's gap (an aggregated one) is not ours.
        a.observe(.desync(symbol: btc, reason: "gap@100ms", nanos: 25_000 * ms))
        a.observe(order("a-6", at: 26_000 * ms))
        #expect(a.violationCount == 4)
    }

    @Test func positionBeyondNetMaxDuplicatesAndOtherAccounts() {
        var a = auditor()
        a.observe(.fill(account: key, symbol: btc, position: Quantity("-0.008")!, nanos: 0))
        #expect(a.violations["net_position_beyond_max"] == 1)
        a.observe(order("a-1", at: 1))
        a.observe(order("a-1", at: 2))
        a.observe(.rejected(account: key, clientOrderID: "a-1", reason: .duplicateClientOrderID, nanos: 3))
        #expect(a.violations["duplicate_client_order_id"] == 2)
        a.observe(order("a-1", at: 4, modify: true))  // a modify keeps its ID
        a.observe(order("a-1", at: 5, account: "other"))
        a.observe(.fill(account: "other", symbol: btc, position: Quantity("5")!, nanos: 6))
        #expect(a.violationCount == 3 && a.rejectionsByCode[-4116] == 1)
    }

    @Test func lossLimitHaltsOrderingUntilTheOperatorResumes() {
        var a = auditor()
        a.sample(sample(0, pnl: "-2.04"))  // within the tolerance
        #expect(!a.lossLimitReached)
        a.sample(sample(100 * ms, pnl: "-2.2"))
        #expect(a.lossLimitReached && a.lossBreaches == 1)
        a.observe(order("a-1", at: 400 * ms))  // in flight
        a.observe(order("a-2", at: 700 * ms, reduceOnly: true))  // flattening is allowed
        #expect(a.violationCount == 0)
        a.observe(order("a-3", at: 800 * ms))
        #expect(a.violations["order_after_loss_limit"] == 1)
        a.observe(.fill(account: key, symbol: btc, position: Quantity("0.002")!, nanos: 3_000 * ms))
        #expect(a.violations["fill_long_after_loss_limit"] == 1)
        a.sample(sample(3_100 * ms, pnl: "-2.5"))
        #expect(a.lossOvershoot == Notional("0.5")!)
        var raised = a.limits
        raised.dailyMax = Notional(units: 4)
        a.operatorResumed(at: 4_000 * ms, limits: raised)
        a.sample(sample(4_100 * ms, pnl: "-2.5"))
        a.observe(order("a-4", at: 4_200 * ms))
        #expect(a.violationCount == 2 && !a.lossLimitReached && a.recovered["resume"] == 1)
        // The stop loss (total PnL) counts too.
        a.sample(sample(5_000 * ms, pnl: "-3.2"))
        #expect(a.lossLimitReached && a.lossBreaches == 2)
    }

    @Test func operatorHaltMustEmptyTheBookAndStopOrdering() {
        var a = auditor()
        a.operatorHalted(at: 0)
        a.observe(order("a-1", at: 100 * ms))
        a.sample(sample(1_000 * ms, open: 2))  // still settling
        #expect(a.violationCount == 0)
        a.sample(sample(2_100 * ms, open: 2))
        a.observe(order("a-2", at: 2_200 * ms))
        #expect(a.violations["orders_left_after_halt"] == 1 && a.violations["order_while_halted"] == 1)
        a.operatorResumed(at: 3_000 * ms)
        a.observe(order("a-3", at: 3_100 * ms))
        a.finished(openOrders: 1)
        #expect(a.violations["orphan_orders_after_shutdown"] == 1 && a.violationCount == 3)
    }

    @Test func faultsWithoutALaterOrderAreUnrecovered() {
        var a = auditor()
        a.observe(.fault(kind: .wsAPIDown, nanos: 0, untilNanos: 4_000 * ms))
        a.observe(order("a-1", at: 1_000 * ms))  // during the outage: not yet recovered
        #expect(a.unrecovered == ["ws_api_down"])
        a.engineRestarted(at: 5_000 * ms)
        a.observe(order("a-2", at: 6_000 * ms))
        #expect(a.unrecovered.isEmpty && a.recovered["ws_api_down"] == 1 && a.recovered["restart"] == 1)
        #expect(a.slowestRecoveryNanos["ws_api_down"] == 2_000 * ms)
    }
}
