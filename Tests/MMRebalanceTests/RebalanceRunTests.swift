import MMCore
import MMRebalance
import MMVenue
import Testing

/// The source document's four worked cases driven through the whole run: the venue's answers go in with
/// the time, the requests, waits, events and the result come out.
@Suite("Rebalancer: runs through the states")
struct RebalanceRunTests {
    let qrl = WorkedCases.qrl
    var goldenCross: [Price] { WorkedCases.goldenCross }

    /// A run with its clock: feeds inputs, keeps every action.
    struct Driver {
        var run: RebalanceRun
        var now: Int64 = 1_000_000
        var actions: [RebalanceAction] = []

        /// Feeds an input after `wait` ms; the sends it produced.
        @discardableResult
        mutating func feed(_ input: RebalanceInput, after wait: Int64 = 0) -> [RebalanceAction] {
            now += wait
            let out = run.handle(input, nowMillis: now)
            actions += out
            return out
        }

        /// The last request and its wait.
        var lastSend: (RebalanceRequest, Int64)? {
            for a in actions.reversed() { if case .send(let r, let after) = a { return (r, after) } }
            return nil
        }

        var result: RebalanceResult? {
            for a in actions { if case .finish(let r) = a { return r } }
            return nil
        }

        var events: [RebalanceLogEvent] { actions.compactMap { if case .emit(let e) = $0 { e } else { nil } } }

        /// Start to the book: balances, klines, book.
        mutating func analyze(base: Quantity, quote: Notional, closes: [Price], bid: Price, ask: Price) {
            feed(.start)
            feed(.balances(base: base, quote: quote))
            feed(.klines(closes: closes))
            feed(.book(bid: bid, ask: ask))
        }
    }

    func open(_ text: String) -> VenueOrderStatus { VenueOrderStatus(venue: .mexc, text)! }

    @Test func case1BuysTwoThousandFilledInTwoStepsAndTheCostFalls() throws {
        var d = Driver(run: RebalanceRun(runID: 1, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        d.analyze(base: Quantity(units: 8_000), quote: Notional(units: 600), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        guard case .place(let order)? = d.lastSend?.0 else { Issue.record("no order: \(d.actions)"); return }
        #expect(order.side == .buy && order.price == Price("0.0499")! && order.quantity == Quantity(units: 2_000))
        #expect(order.clientOrderID == "rb1")
        d.feed(.placed(VenueOrderRef("C02__1")!))
        #expect(d.lastSend?.1 == 1000, "the first poll after 1 s")
        d.feed(.order(open("PARTIALLY_FILLED"), executed: Quantity(units: 1_200), averagePrice: Price("0.0499")!), after: 1000)
        #expect(d.lastSend?.1 == 2000)
        d.feed(.order(open("FILLED"), executed: Quantity(units: 2_000), averagePrice: Price("0.0499")!), after: 2000)
        let result = try #require(d.result)
        #expect(result.status == .filled && result.action == "BUY")
        #expect(result.trail.map(\.rawValue) == ["START", "ANALYZING", "PLANNING", "VALIDATING", "PREPARING", "EXECUTING", "TRACKING", "FILLED", "UPDATING", "LOGGING", "COMPLETE"])
        let after = try #require(result.after)
        #expect(after.base == Quantity(units: 10_000))
        #expect(abs(after.averageCost.raw - Price("0.05158")!.raw) <= 1, "cost 0.05158, got \(after.averageCost)")
        #expect(after.quote == Notional(units: 600) - Notional("99.8")!)
        #expect(d.events.contains(.orderSubmitted(order)))
        #expect(d.events.contains(.orderFilled(order, executed: Quantity(units: 2_000), price: Price("0.0499")!)))
        #expect(result.json.contains(#""status":"FILLED""#) && result.json.contains(#""order_id":"C02__1""#))
    }

    @Test func case2ASellTimesOutAt82PercentAndTheRestIsCancelled() throws {
        let deathCross = Array(goldenCross.reversed())
        var d = Driver(run: RebalanceRun(runID: 2, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        d.analyze(base: Quantity(units: 16_000), quote: Notional(units: 200), closes: deathCross, bid: Price("0.05999")!, ask: Price("0.06001")!)
        guard case .place(let order)? = d.lastSend?.0 else { Issue.record("no order"); return }
        #expect(order.side == .sell && order.price == Price("0.06012")! && order.quantity == Quantity("6333.33")!)
        d.feed(.placed(VenueOrderRef(77)))
        let part = Quantity("5193.33")!  // 82 % of 6333.33
        var waits: [Int64] = []
        while case .query? = d.lastSend?.0, waits.count < 40 {
            let wait = d.lastSend!.1
            waits.append(wait)
            d.feed(.order(open("PARTIALLY_FILLED"), executed: part, averagePrice: Price("0.06012")!), after: wait)
        }
        #expect(Array(waits.prefix(5)) == [1000, 2000, 4000, 8000, 10_000], "backoff min(2ⁿ, 10) s")
        #expect(waits.reduce(0, +) <= 300_000, "tracking stops by 300 s")
        guard case .cancel(let id)? = d.lastSend?.0 else { Issue.record("no cancel: \(String(describing: d.lastSend))"); return }
        #expect(id == order.clientOrderID)
        d.feed(.cancelled)
        // The final state after the cancel settles the outcome.
        #expect(d.lastSend?.0 == .query(clientOrderID: order.clientOrderID))
        d.feed(.order(open("PARTIALLY_CANCELED"), executed: part, averagePrice: Price("0.06012")!))
        let result = try #require(d.result)
        #expect(result.status == .partiallyFilledTimeout)
        #expect(result.trail.suffix(5).map(\.rawValue) == ["TRACKING", "PARTIALLY_FILLED_TIMEOUT", "UPDATING", "LOGGING", "COMPLETE"])
        let after = try #require(result.after)
        #expect(after.base == Quantity(units: 16_000) - part, "the position moves by the filled amount only")
        #expect(after.averageCost == Price("0.052")!, "a sell leaves the average cost")
        #expect(after.quote == Notional(units: 200) + Notional(price: Price("0.06012")!, quantity: part)!)
    }

    @Test func case2bNothingFilledIsCancelledAndRecorded() throws {
        var d = Driver(run: RebalanceRun(runID: 3, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        d.analyze(base: Quantity(units: 8_000), quote: Notional(units: 600), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        d.feed(.placed(VenueOrderRef(5)))
        while case .query? = d.lastSend?.0, d.actions.count < 200 { d.feed(.order(open("NEW"), executed: .zero, averagePrice: nil), after: d.lastSend!.1) }
        d.feed(.cancelled)
        d.feed(.order(open("CANCELED"), executed: .zero, averagePrice: nil))
        let result = try #require(d.result)
        #expect(result.status == .timeout)
        #expect(!result.trail.contains(.updating))
        #expect(result.after == result.before)
    }

    @Test func case3TwoRateLimitRefusalsThenSuccessOnTheThirdTry() throws {
        var d = Driver(run: RebalanceRun(runID: 4, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        d.analyze(base: Quantity(units: 8_000), quote: Notional(units: 600), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        guard case .place(let order)? = d.lastSend?.0 else { Issue.record("no order"); return }
        let limited = VenueFailure(venue: .mexc, httpStatus: 429, code: 429, message: "Too Many Requests", retryAfterSeconds: 1)
        d.feed(.failed(.place(order), limited.kind, code: limited.code, message: limited.message))
        #expect(d.lastSend! == (.place(order), 1000), "waits 1 s")
        d.feed(.failed(.place(order), limited.kind, code: limited.code, message: limited.message), after: 1000)
        #expect(d.lastSend! == (.place(order), 2000), "waits 2 s")
        d.feed(.placed(VenueOrderRef(9)), after: 2000)
        d.feed(.order(open("FILLED"), executed: order.quantity, averagePrice: order.price), after: 1000)
        let result = try #require(d.result)
        #expect(result.status == .filled)
        #expect(result.errors.count == 2)
        #expect(d.events.filter { if case .rebalanceError = $0 { true } else { false } }.count == 2)

        // -1003 without Retry-After: at least 5 s.
        var e = Driver(run: RebalanceRun(runID: 5, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        e.analyze(base: Quantity(units: 8_000), quote: Notional(units: 600), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        let banned = VenueFailure(venue: .binanceSpot, httpStatus: 429, code: -1003, message: "Too many requests")
        e.feed(.failed(e.lastSend!.0, banned.kind, code: -1003, message: banned.message))
        #expect(e.lastSend!.1 >= 5000)
        // A third refusal is the last: the run fails without a fourth try.
        e.feed(.failed(e.lastSend!.0, banned.kind, code: -1003, message: banned.message), after: 5000)
        e.feed(.failed(e.lastSend!.0, banned.kind, code: -1003, message: banned.message), after: 5000)
        #expect(e.result?.status == .failed)
        #expect(e.actions.filter { if case .send(.place, _) = $0 { true } else { false } }.count == 3)
    }

    @Test func case4AFourUSDTTradeHoldsAndNothingIsSent() throws {
        var d = Driver(run: RebalanceRun(runID: 6, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        d.analyze(base: Quantity(units: 100), quote: Notional(units: 13), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        let result = try #require(d.result)
        #expect(result.status == .hold && result.action == "HOLD")
        #expect(result.reason.contains("below the venue's minimum 5"), "\(result.reason)")
        #expect(result.trail.map(\.rawValue) == ["START", "ANALYZING", "PLANNING", "HOLD", "LOGGING", "COMPLETE"])
        #expect(!d.actions.contains { if case .send(.place, _) = $0 { true } else { false } })
    }

    @Test func anUnknownPlacementIsLookedUpNeverResentBlindly() throws {
        var d = Driver(run: RebalanceRun(runID: 7, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        d.analyze(base: Quantity(units: 8_000), quote: Notional(units: 600), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        guard case .place(let order)? = d.lastSend?.0 else { Issue.record("no order"); return }
        d.feed(.failed(.place(order), .unknownOutcome, code: nil, message: "timed out"))
        #expect(d.lastSend?.0 == .query(clientOrderID: order.clientOrderID), "looked up by its client ID")
        // It did land: tracking follows, no second placement.
        d.feed(.order(open("NEW"), executed: .zero, averagePrice: nil, ref: VenueOrderRef(11)), after: 1000)
        #expect(d.run.state == .tracking)
        d.feed(.order(open("FILLED"), executed: order.quantity, averagePrice: nil), after: 1000)
        #expect(d.result?.status == .filled)
        #expect(d.result?.orderRef == VenueOrderRef(11))
        #expect(d.actions.filter { if case .send(.place, _) = $0 { true } else { false } }.count == 1)

        // It did not land: the lookup says unknown, and only then is it sent again.
        var e = Driver(run: RebalanceRun(runID: 8, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        e.analyze(base: Quantity(units: 8_000), quote: Notional(units: 600), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        e.feed(.failed(.place(order), .unknownOutcome, code: nil, message: "timed out"))
        e.feed(.failed(.query(clientOrderID: order.clientOrderID), .unknownOrder, code: -2013, message: "Order does not exist."), after: 1000)
        guard case .place? = e.lastSend?.0 else { Issue.record("not resent after the lookup"); return }
    }

    @Test func refusalsForFundsFailTheRunWithTheVenuesWords() throws {
        var d = Driver(run: RebalanceRun(runID: 9, rules: RebalanceRules(), market: qrl, averageCost: Price("0.052")!))
        d.analyze(base: Quantity(units: 8_000), quote: Notional(units: 600), closes: goldenCross, bid: Price("0.04999")!, ask: Price("0.05001")!)
        let refusal = VenueFailure(venue: .mexc, httpStatus: 400, code: 30004, message: "Insufficient position")
        d.feed(.failed(d.lastSend!.0, refusal.kind, code: 30004, message: refusal.message))
        let result = try #require(d.result)
        #expect(result.status == .failed)
        #expect(result.reason.contains("30004") && result.reason.contains("Insufficient position"))
        #expect(result.trail.suffix(3).map(\.rawValue) == ["FAILED", "LOGGING", "COMPLETE"])
    }
}
