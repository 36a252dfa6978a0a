import MMBook
import MMCore
import MMExecution
import MMRisk
import MMStrategy
import Testing

@Suite("Order manager: halts, limits and the operator")
struct HaltTests {
    /// A harness quoting a bid and an ask, both acknowledged.
    func quoting(limits: RiskLimits = Harness.limits(), _ adjust: (inout OrderManager.Configuration) -> Void = { _ in }) -> (Harness, [OrderSpec]) {
        var h = Harness(limits: limits, adjust)
        h.ready()
        let sent = places(h.quoteBoth())
        for s in sent { _ = h.accept(s) }
        return (h, sent)
    }

    /// Confirms a halt: the cancel-all succeeds and the venue lists nothing.
    func confirm(_ h: inout Harness, _ a: [OrderAction]) {
        guard let token = cancelAllToken(a) else {
            Issue.record("no cancel-all")
            return
        }
        h.m.cancelAllReply(token: token, .done, at: h.now)
        let b = h.take()
        guard let r = reconcileToken(b) else {
            Issue.record("no confirming listing")
            return
        }
        h.m.reconciled(token: r, h.snapshot(), at: h.now)
        _ = h.take()
    }

    /// The case of the issue: the venue answers REST with 429 for 4 s when the operator halts.
    @Test func aHaltUnderARateLimitCancelsOnceTheVenueAnswersAgain() {
        var (h, sent) = quoting()
        h.m.command(.halt, at: h.now)
        let halt = h.take()
        #expect(h.m.tradingState == .halted && events(halt).contains(.halted(.operatorHalt)))
        #expect(Set(cancels(halt)) == Set(sent.map(\.clientOrderID)) && cancelAllToken(halt) != nil, "a cancel per order and a cancel-all")
        // Every one of them is refused for 4 s.
        for s in sent { h.m.reply(s.clientOrderID, to: .cancel, .refused(.rateLimited, code: -1003, retryAfterMillis: 4_000), at: h.now) }
        h.m.cancelAllReply(token: cancelAllToken(halt)!, .refused(.rateLimited, code: -1003, retryAfterMillis: 4_000), at: h.now)
        _ = h.take()
        var sentDuring: [OrderAction] = []
        for _ in 0..<39 {
            h.advance(ms: 100)
            sentDuring += h.timer()
        }
        #expect(cancelAllToken(sentDuring) == nil && cancels(sentDuring).isEmpty, "the venue's wait is honoured")
        #expect(heartbeats(sentDuring).isEmpty, "no heartbeat while halted: the venue's countdown is the backstop")
        h.advance(ms: 150)
        let retry = h.timer()
        #expect(cancelAllToken(retry) != nil && Set(cancels(retry)) == Set(sent.map(\.clientOrderID)), "right after the window")
        confirm(&h, retry)
        #expect(h.m.haltConfirmed && h.m.openOrderCount == 0)
        #expect(places(h.quoteBoth()).isEmpty, "nothing new until resumed")
    }

    @Test func aHaltUnder5xxKeepsTryingBackingOff() {
        var (h, _) = quoting()
        h.m.command(.halt, at: h.now)
        var token = cancelAllToken(h.take())!
        var sentAt: [Int64] = []
        for _ in 0..<5 {
            h.m.cancelAllReply(token: token, .unknown, at: h.now)
            _ = h.take()
            var next: UInt64?
            for _ in 0..<100 where next == nil {
                h.advance(ms: 50)
                next = cancelAllToken(h.timer())
            }
            sentAt.append(h.now.nanos)
            token = next!
        }
        let gaps = zip(sentAt.dropFirst(), sentAt).map { ($0 - $1) / 1_000_000 }
        #expect(gaps.allSatisfy { $0 >= 400 && $0 <= 2_050 }, "backing off to 2 s: \(gaps)")
        confirm(&h, [.cancelAll(token: token)])
        #expect(h.m.haltConfirmed)
    }

    @Test func aHaltUnderABanWaitsForItAndLetsTheCountdownAct() {
        var (h, _) = quoting()
        // Heartbeats run while trading.
        h.advance(ms: 10_000)
        #expect(heartbeats(h.timer()) == [30_000])
        h.m.command(.halt, at: h.now)
        let token = cancelAllToken(h.take())!
        h.m.cancelAllReply(token: token, .refused(.rateLimited, code: -1003, retryAfterMillis: 120_000), at: h.now)
        _ = h.take()
        var during: [OrderAction] = []
        for _ in 0..<119 {
            h.advance(ms: 1_000)
            during += h.timer()
        }
        #expect(cancelAllToken(during) == nil && heartbeats(during).isEmpty)
        h.advance(ms: 1_100)
        #expect(cancelAllToken(h.timer()) != nil)
    }

    @Test func aCancelAllForgetsOnlyWhatTheVenueHeldWhenItLeft() {
        var (h, sent) = quoting()
        // A new bid is on its way when the operator cancels everything.
        let late = places(h.tick([
            Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!), Quote(side: .sell, price: Price("60020")!, quantity: Quantity("0.002")!),
            Quote(side: .buy, price: Price("59980")!, quantity: Quantity("0.002")!),
        ]))
        #expect(late.count == 1)
        h.m.command(.cancelAll, at: h.now)
        let token = cancelAllToken(h.take())!
        h.m.cancelAllReply(token: token, .done, at: h.now)
        _ = h.take()
        #expect(sent.allSatisfy { h.m.orders[$0.clientOrderID] == nil })
        #expect(h.m.orders[late[0].clientOrderID] != nil, "placed after the cancel-all left: still tracked")
        #expect(h.m.cancelAllsCompleted == 1 && h.m.tradingState == .active)
    }

    @Test func anOrderLandingAfterTheHaltsCancelAllIsCancelledToo() {
        var (h, _) = quoting()
        let late = places(h.tick([
            Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!), Quote(side: .sell, price: Price("60020")!, quantity: Quantity("0.002")!),
            Quote(side: .buy, price: Price("59980")!, quantity: Quantity("0.002")!),
        ]))[0]
        h.m.command(.halt, at: h.now)
        let halt = h.take()
        #expect(!cancels(halt).contains(late.clientOrderID), "its place is unanswered")
        h.m.cancelAllReply(token: cancelAllToken(halt)!, .done, at: h.now)
        let listing = reconcileToken(h.take())!
        #expect(!h.m.haltConfirmed)
        // The place lands after the cancel-all: it is cancelled as soon as the venue says it has it.
        #expect(cancels(h.accept(late)) == [late.clientOrderID])
        // The listing asked for after the cancel-all shows it still open: not confirmed.
        h.m.reconciled(token: listing, h.snapshot([h.venue(late)]), at: h.now)
        #expect(!h.m.haltConfirmed)
        h.m.reply(late.clientOrderID, to: .cancel, .accepted(h.venue(late, status: .canceled)), at: h.now)
        var token: UInt64?
        for _ in 0..<50 where token == nil {
            h.advance(ms: 100)
            let a = h.timer()
            if let t = cancelAllToken(a) { h.m.cancelAllReply(token: t, .done, at: h.now) }
            token = reconcileToken(a) ?? reconcileToken(h.take())
        }
        h.m.reconciled(token: token!, h.snapshot(), at: h.now)
        #expect(h.m.haltConfirmed)
    }

    @Test func aListingThatStillShowsOursAfterAHaltCancelsAgain() {
        var (h, sent) = quoting()
        h.m.command(.halt, at: h.now)
        let token = cancelAllToken(h.take())!
        h.m.cancelAllReply(token: token, .done, at: h.now)
        let r = reconcileToken(h.take())!
        h.m.reconciled(token: r, h.snapshot([h.venue(sent[0])]), at: h.now)
        let again = h.take()
        #expect(cancelAllToken(again) != nil && !h.m.haltConfirmed)
    }

    @Test func resumeQuotesAgainAndRestartsTheHeartbeat() {
        var (h, _) = quoting()
        h.m.command(.halt, at: h.now)
        confirm(&h, h.take())
        h.advance(ms: 30_000)
        #expect(heartbeats(h.timer()).isEmpty)
        h.m.command(.resume, at: h.now)
        let r = h.take()
        #expect(heartbeats(r) == [30_000] && events(r).contains(.resumed))
        #expect(places(h.quoteBoth()).count == 2)
    }

    @Test func dailyLossHaltsAndFlattensWhenConfigured() {
        var (h, sent) = quoting(limits: Harness.limits(dailyMax: "1")) { $0.flattenOnHalt = true }
        h.m.report(
            h.report(sent[0].clientOrderID.description, .buy, x: .trade, status: .filled, price: "59990", last: "0.002", lastPrice: "59990", cum: "0.002", fee: "2",
                trade: 1), at: h.now)
        let a = h.take()
        #expect(h.m.haltReason == .dailyLoss && events(a).contains(.halted(.dailyLoss)))
        let flat = places(a).filter { $0.kind == .reduceOnlyMarket }
        #expect(flat.count == 1 && flat[0].side == .sell && flat[0].quantity == Quantity("0.002")!)
    }

    /// `flattenOnHalt: true` once made an operator flatten of an engine already halted do nothing.
    @Test func anOperatorFlattenWorksWhenAlreadyHalted() {
        var (h, sent) = quoting { $0.flattenOnHalt = true }
        h.m.report(
            h.report(sent[0].clientOrderID.description, .buy, x: .trade, status: .filled, price: "59990", last: "0.002", lastPrice: "59990", cum: "0.002",
                trade: 1), at: h.now)
        h.m.command(.halt, at: h.now)
        #expect(places(h.take()).isEmpty, "an operator halt does not flatten")
        h.m.command(.flatten, at: h.now)
        let flat = places(h.take())
        #expect(flat.count == 1 && flat[0].kind == .reduceOnlyMarket && flat[0].side == .sell)
    }

    /// `stopLoss` is cumulative: restored figures from earlier days count, `dailyMax` does not see them.
    @Test func stopLossCountsTheCumulativeLossAcrossDaysAndRestarts() {
        var h = Harness(limits: Harness.limits(dailyMax: "50", stopLoss: "-100"))
        var restored = PnLFigures()
        restored.sinceMillis = h.now.wallMillis - 30 * 86_400_000
        restored.dayStartMillis = h.now.wallMillis - h.now.wallMillis % 86_400_000
        restored.totalRealized = Notional("-95")!
        h.m.restore(restored, at: h.now)
        h.ready()
        #expect(h.m.haltReason == nil)
        h.m.report(h.report("x", .sell, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", rp: "-5.5", trade: 1), at: h.now)
        #expect(h.m.haltReason == .stopLoss, "−100.5 since the start, though only −5.5 today")
    }

    @Test func theVenuesIncomeHistoryCorrectsTodayAndTheTotal() {
        var h = Harness()
        h.ready()
        h.m.venueDay(realized: Notional("-3")!, fees: Notional("1")!, funding: Notional("-0.5")!, tradeIDs: [44], at: h.now)
        #expect(h.m.figures.dayNet == Notional("-4.5")! && h.m.figures.totalNet == Notional("-4.5")!)
        // The trade in those figures is not counted again when its report arrives.
        h.m.report(h.report("x", .sell, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", rp: "-3", trade: 44), at: h.now)
        #expect(h.m.figures.dayNet == Notional("-4.5")!)
    }

    @Test func aJournalFailureHalts() {
        var (h, _) = quoting()
        h.m.journalFailed(at: h.now)
        #expect(h.m.haltReason == .journalFailure && cancelAllToken(h.take()) != nil)
    }

    @Test func shutdownCancelsConfirmsAndSwitchesTheHeartbeatOff() {
        var (h, _) = quoting()
        h.advance(ms: 10_000)
        _ = h.timer()
        h.m.command(.shutdown, at: h.now)
        let a = h.take()
        #expect(!h.m.shutdownComplete)
        h.m.cancelAllReply(token: cancelAllToken(a)!, .done, at: h.now)
        let r = reconcileToken(h.take())!
        h.m.reconciled(token: r, h.snapshot(), at: h.now)
        let off = h.take()
        #expect(heartbeats(off) == [0] && h.m.shutdownComplete)
    }

    @Test func thePositionLimitCountsEveryOrderThatMayBeLive() {
        var h = Harness(limits: Harness.limits(netMax: "0.005"))
        h.ready()
        let first = places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!), Quote(side: .buy, price: Price("59980")!, quantity: Quantity("0.002")!)]))
        #expect(first.count == 2)
        // Unanswered, the two count: a third would make 0.006.
        let third = h.tick([
            Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!), Quote(side: .buy, price: Price("59980")!, quantity: Quantity("0.002")!),
            Quote(side: .buy, price: Price("59970")!, quantity: Quantity("0.002")!),
        ])
        #expect(places(third).isEmpty && events(third).contains(.riskRejected(.positionLimit)))
    }

    @Test func rateLimitRefusalsStopNewOrdersUntilTheWaitPasses() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)]))[0]
        h.m.reply(bid.clientOrderID, to: .place, .refused(.rateLimited, code: -1015, retryAfterMillis: 0), at: h.now)
        #expect(h.m.openOrderCount == 0)
        h.advance(ms: 5_000)
        let t = h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)])
        #expect(places(t).isEmpty && events(t).contains(.riskRejected(.gatewayBackpressure)))
        h.advance(ms: 5_100)
        #expect(places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)])).count == 1)
    }
}
