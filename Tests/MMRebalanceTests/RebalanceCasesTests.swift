import MMCore
import MMRebalance
import MMVenue
import Testing

/// The source document's four worked cases, with its numbers.
@Suite("Rebalancer: the worked cases")
struct RebalanceCasesTests {
    let qrl = WorkedCases.qrl
    var goldenCross: [Price] { WorkedCases.goldenCross }

    @Test func case1BuysTwoThousandBelowTheMidAndLowersTheCost() {
        #expect(RebalancePlanner.movingAverage(goldenCross, 7) == Price("0.0495")!)
        #expect(RebalancePlanner.movingAverage(goldenCross, 25) == Price("0.0492")!)
        let snapshot = RebalanceSnapshot(
            base: Quantity(units: 8_000), quote: Notional(units: 600), mid: Price("0.05")!, closes: goldenCross, averageCost: Price("0.052")!)
        let decision = RebalancePlanner.decide(snapshot, rules: RebalanceRules(), market: qrl)
        #expect(decision == .trade(side: .buy, price: Price("0.0499")!, quantity: Quantity(units: 2_000)))
        // Filled in two steps.
        var held = snapshot.base
        var cost = snapshot.averageCost
        for part in [Quantity(units: 1_200), Quantity(units: 800)] {
            cost = RebalancePlanner.averageCost(held: held, cost: cost, fill: .buy, quantity: part, price: Price("0.0499")!)
            held += part
        }
        #expect(held == Quantity(units: 10_000))
        #expect(abs(cost.raw - Price("0.05158")!.raw) <= 1, "cost → 0.05158, got \(cost)")
    }

    @Test func case2ASellTimesOutPartlyFilledAndTheRestIsCancelled() {
        var tracker = FillTracker(quantity: Quantity(units: 1_000), startMillis: 0)
        #expect(tracker.begin() == .poll(afterMillis: 1000))
        var now: Int64 = 1000
        var action = tracker.polled(executed: Quantity(units: 300), nowMillis: now)
        var delays: [Int64] = []
        while case .poll(let after) = action {
            delays.append(after)
            now += after
            action = tracker.polled(executed: Quantity(units: 820), nowMillis: now)
        }
        #expect(Array(delays.prefix(4)) == [2000, 4000, 8000, 10_000], "backoff min(2ⁿ, 10) s")
        #expect(action == .cancel(then: .partiallyFilledTimeout(Quantity(units: 820))), "about 82 % filled at the deadline")
        #expect(now <= 300_000)
        // The position moves by what filled: a sell leaves the cost as it was.
        #expect(RebalancePlanner.averageCost(held: Quantity(units: 9_000), cost: Price("0.052")!, fill: .sell, quantity: Quantity(units: 820), price: Price("0.0551")!) == Price("0.052")!)
        var empty = FillTracker(quantity: Quantity(units: 10), startMillis: 0)
        var last = empty.polled(executed: .zero, nowMillis: 1000)
        while case .poll = last { last = empty.polled(executed: .zero, nowMillis: 1000 + Int64(empty.polls) * 10_000) }
        #expect(last == .cancel(then: .timeout))
    }

    @Test func case3TwoRateLimitRefusalsThenSuccess() {
        let policy = RetryPolicy()
        // MEXC's 429 with Retry-After: 1 — the waits are 1 s and 2 s, and the third try goes.
        let refusal = VenueFailure(venue: .mexc, httpStatus: 429, code: 429, message: "Too Many Requests", retryAfterSeconds: 1).kind
        #expect(policy.decide(after: 1, refusal, nature: .placement) == .retry(afterMillis: 1000))
        #expect(policy.decide(after: 2, refusal, nature: .placement) == .retry(afterMillis: 2000))
        // Without Retry-After, the policy waits at least 5 s.
        let bare = VenueFailure(venue: .mexc, httpStatus: 429, code: nil, message: "").kind
        #expect(policy.decide(after: 1, bare, nature: .placement) == .retry(afterMillis: 5000))
    }

    @Test func case4AFourUSDTTradeIsHeldAndNothingSent() {
        // 100 QRL (5 USDT) and 13 USDT: 27.8 % in QRL; back to 50 % is a 4 USDT buy, under MEXC's 5 USDT minimum.
        let snapshot = RebalanceSnapshot(base: Quantity(units: 100), quote: Notional(units: 13), mid: Price("0.05")!, closes: goldenCross, averageCost: Price("0.052")!)
        guard case .hold(let reason) = RebalancePlanner.decide(snapshot, rules: RebalanceRules(), market: qrl) else {
            Issue.record("traded")
            return
        }
        #expect(reason.contains("below the venue's minimum 5"), "\(reason)")
    }

    @Test func holdsWithItsReason() {
        let rules = RebalanceRules()
        func decide(base: Int64, quote: Int64, mid: String, closes: [Price], cost: String = "0.052") -> RebalanceDecision {
            RebalancePlanner.decide(
                RebalanceSnapshot(base: Quantity(units: base), quote: Notional(units: quote), mid: Price(mid)!, closes: closes, averageCost: Price(cost)!),
                rules: rules, market: qrl)
        }
        guard case .hold(let within) = decide(base: 9_000, quote: 600, mid: "0.05", closes: goldenCross) else { Issue.record("traded"); return }
        #expect(within.contains("within"))
        let deathCross = Array(goldenCross.reversed())
        guard case .hold(let noCross) = decide(base: 8_000, quote: 600, mid: "0.05", closes: deathCross) else { Issue.record("traded"); return }
        #expect(noCross.contains("no golden cross"))
        guard case .hold(let above) = decide(base: 5_000, quote: 600, mid: "0.053", closes: goldenCross) else { Issue.record("traded"); return }
        #expect(above.contains("not below the average cost"))
        // Over target with a death cross and the price above cost: a sell above the mid.
        #expect(decide(base: 16_000, quote: 200, mid: "0.06", closes: deathCross) == .trade(side: .sell, price: Price("0.06012")!, quantity: Quantity("6333.33")!))
    }
}
