import MMBook
import MMCore
import MMExecution
import MMRisk
import MMStrategy
import Testing

@Suite("Order manager: orders, replies and reports")
struct OrderManagerTests {
    @Test func aRehearsalChangesNothingTheNextTickDoes() {
        var a = Harness()
        a.ready()
        for spec in places(a.quoteBoth()) { _ = a.accept(spec) }
        var b = a
        // Rehearsed with another intent than the tick that follows, and with the one that follows.
        b.m.rehearse(QuoteIntent(quotes: [Quote(side: .buy, price: Price("59900")!, quantity: Quantity("0.003")!)]), at: b.now)
        b.m.rehearse(QuoteIntent(quotes: []), at: b.now)
        #expect(b.m.drainActions().isEmpty)
        a.advance(ms: 250)
        b.advance(ms: 250)
        let moved = (a.quoteBoth(bid: "59980", ask: "60030"), b.quoteBoth(bid: "59980", ask: "60030"))
        #expect(moved.0 == moved.1)
        #expect(places(moved.0).count == 2)
        for spec in places(moved.0) { #expect(a.accept(spec) == b.accept(spec)) }
        #expect(a.m.position == b.m.position && a.m.isReady == b.m.isReady)
        #expect(a.quoteBoth(bid: "59970", ask: "60040") == b.quoteBoth(bid: "59970", ask: "60040"))
    }

    @Test func quotesAreSentOnceAndKeptWhileTheyMatch() {
        var h = Harness()
        h.ready()
        let first = h.quoteBoth()
        let sent = places(first)
        #expect(sent.count == 2 && sent.allSatisfy { $0.kind == .postOnlyLimit })
        #expect(Set(sent.map(\.clientOrderID)).count == 2 && sent.allSatisfy { $0.clientOrderID.hasPrefix(ClientOrderID("mmq-run1-")!) })
        #expect(journal(first).filter { if case .sent = $0 { true } else { false } }.count == 2, "journalled before they leave")
        // Unanswered yet: the next tick places nothing twice.
        #expect(places(h.quoteBoth()).isEmpty)
        for s in sent { _ = h.accept(s) }
        #expect(places(h.quoteBoth()).isEmpty && cancels(h.log).isEmpty)
        #expect(h.m.openOrderCount == 2 && h.m.isQuiet)
    }

    @Test func aStaleBookPullsQuotesWhateverTheVenueSideSays() {
        var h = Harness()
        h.ready()
        let sent = places(h.quoteBoth())
        for s in sent { _ = h.accept(s) }
        // The user stream is lost: not ready, and cancels still go out.
        h.m.userStream(connected: false, at: h.now)
        let pulled = h.take()
        #expect(Set(cancels(pulled)) == Set(sent.map(\.clientOrderID)))
        #expect(events(pulled).contains(.quotesPulled))
        #expect(places(h.quoteBoth()).isEmpty, "nothing new while not ready")
    }

    @Test func aStaleBookAloneAlsoPullsQuotes() {
        var h = Harness()
        h.ready()
        let sent = places(h.quoteBoth())
        for s in sent { _ = h.accept(s) }
        var stale = h.market
        stale.ageNanos = 3_000_000_000
        h.m.tick(QuoteIntent(quotes: [Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)]), market: stale, at: h.now)
        #expect(cancels(h.take()).count == 2)
    }

    @Test func aCancelNeverOvertakesItsPlace() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)]))[0]
        // The strategy no longer wants it before the venue has answered: no cancel yet (on a second
        // connection it could reach the venue first, fail, and leave the order resting untracked).
        #expect(cancels(h.tick([])).isEmpty)
        #expect(h.m.orders[bid.clientOrderID]?.cancelWanted == true)
        // The place is answered: now the cancel goes.
        #expect(cancels(h.accept(bid)) == [bid.clientOrderID])
        h.m.reply(bid.clientOrderID, to: .cancel, .accepted(h.venue(bid, status: .canceled)), at: h.now)
        #expect(h.m.openOrderCount == 0)
    }

    @Test func aCancelThatFindsNoOrderForgetsIt() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)]))[0]
        _ = h.accept(bid)
        #expect(cancels(h.tick([])) == [bid.clientOrderID])
        h.m.reply(bid.clientOrderID, to: .cancel, .refused(.unknownOrder, code: -2011, retryAfterMillis: 0), at: h.now)
        #expect(h.m.openOrderCount == 0)
        #expect(journal(h.take()).contains(.closed(bid.clientOrderID, .canceled)))
    }

    @Test func aLostPlaceReplyIsQueriedNeverSentAgain() {
        var h = Harness()
        h.ready()
        let sent = places(h.quoteBoth())
        // No answer at all: after the deadline both are unknown and queried.
        h.advance(ms: 6_001)
        let t = h.timer()
        #expect(Set(queries(t)) == Set(sent.map(\.clientOrderID)))
        #expect(events(t).filter { if case .unknownOutcome = $0 { true } else { false } }.count == 2)
        // While unknown they count as resting: quoting again places nothing.
        #expect(places(h.quoteBoth()).isEmpty)
        // One is at the venue, the other never arrived.
        h.m.reply(sent[0].clientOrderID, to: .query, .accepted(h.venue(sent[0])), at: h.now)
        h.m.reply(sent[1].clientOrderID, to: .query, .refused(.unknownOrder, code: -2013, retryAfterMillis: 0), at: h.now)
        let after = h.take()
        #expect(events(after).contains(.resolved(sent[0].clientOrderID, found: true)))
        #expect(events(after).contains(.resolved(sent[1].clientOrderID, found: false)))
        #expect(h.m.openOrderCount == 1 && h.m.orders[sent[0].clientOrderID]?.state == .open)
        // The missing ask is placed again under a new ID.
        let again = places(h.quoteBoth())
        #expect(again.count == 1 && again[0].side == .sell && again[0].clientOrderID != sent[1].clientOrderID)
        #expect(Set(places(h.log).map(\.clientOrderID)).count == places(h.log).count, "no ID used twice")
    }

    @Test func anUnansweredQueryIsAskedAgainBackingOff() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)]))[0]
        h.m.reply(bid.clientOrderID, to: .place, .unknown, at: h.now)
        #expect(queries(h.take()).isEmpty, "not before the place's deadline: it may still arrive")
        h.advance(ms: 6_001)
        #expect(queries(h.timer()) == [bid.clientOrderID])
        h.m.reply(bid.clientOrderID, to: .query, .refused(.rateLimited, code: -1003, retryAfterMillis: 2_000), at: h.now)
        _ = h.take()
        h.advance(ms: 1_000)
        #expect(queries(h.timer()).isEmpty, "the venue's wait is honoured")
        h.advance(ms: 1_100)
        #expect(queries(h.timer()) == [bid.clientOrderID])
    }

    @Test func aLostCancelReplyIsQueried() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)]))[0]
        _ = h.accept(bid)
        _ = h.tick([])
        h.advance(ms: 6_001)
        #expect(queries(h.timer()) == [bid.clientOrderID])
        h.m.reply(bid.clientOrderID, to: .query, .accepted(h.venue(bid, status: .canceled)), at: h.now)
        #expect(h.m.openOrderCount == 0)
    }

    @Test func aModifyCountsTheLargerSizeUntilAnswered() {
        var h = Harness { $0.reconciler = QuoteReconciler(tickSize: Harness.btc.tickSize, useModify: true) }
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("59990")!, quantity: Quantity("0.002")!)]))[0]
        _ = h.accept(bid)
        let moved = h.tick([Quote(side: .buy, price: Price("59980")!, quantity: Quantity("0.005")!)])
        #expect(moved.contains(.modify(bid.clientOrderID, side: .buy, price: Price("59980")!, quantity: Quantity("0.005")!)))
        #expect(h.m.orders.exposure().buy == Quantity("0.005")!)
        h.m.reply(bid.clientOrderID, to: .modify, .refused(.invalid, code: -5027, retryAfterMillis: 0), at: h.now)
        #expect(h.m.orders[bid.clientOrderID]?.price == Price("59990")! && h.m.orders.exposure().buy == Quantity("0.002")!)
    }

    @Test func reportsMoveTheOrderAndFillsMoveThePositionOnce() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("60000")!, quantity: Quantity("0.002")!)]))[0]
        let id = bid.clientOrderID.description
        h.m.report(h.report(id, .buy, x: .new, status: .new, price: "60000"), at: h.now)
        #expect(h.m.orders[bid.clientOrderID]?.state == .open)
        let fill = h.report(id, .buy, x: .trade, status: .partiallyFilled, price: "60000", last: "0.001", lastPrice: "60000", cum: "0.001", fee: "0.012", trade: 1)
        h.m.report(fill, at: h.now)
        h.m.report(fill, at: h.now)
        #expect(h.m.position == Quantity("0.001")! && h.m.keeper.fillCount == 1, "a replayed trade counts once")
        h.m.report(
            h.report(id, .buy, x: .trade, status: .filled, price: "60000", last: "0.001", lastPrice: "60010", cum: "0.002", fee: "0.012", trade: 2),
            at: h.now)
        #expect(h.m.openOrderCount == 0 && h.m.position == Quantity("0.002")! && h.m.entryPrice == Price("60005")!)
        #expect(h.m.figures.dayFees == Notional("0.024")! && h.m.figures.dayNet == Notional("-0.024")!)
        #expect(h.m.figures.totalNet == Notional("-0.024")!)
    }

    /// A fill that overtakes the placement's answer is the venue's acknowledgement: counted once, the late
    /// answer for the closed order adds nothing.
    @Test func aFillBeforeThePlacementsAnswerAcknowledgesTheOrder() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("60000")!, quantity: Quantity("0.002")!)]))[0]
        h.m.report(
            h.report(bid.clientOrderID.description, .buy, x: .trade, status: .filled, price: "60000", last: "0.002", lastPrice: "60000", cum: "0.002",
                trade: 3),
            at: h.now)
        #expect(h.m.counters.placesAcknowledged == 1 && h.m.openOrderCount == 0 && h.m.position == Quantity("0.002")!)
        _ = h.accept(bid, executed: "0.002", status: .filled)
        #expect(h.m.counters.placesAcknowledged == 1 && h.m.position == Quantity("0.002")!)
        // An order that ends without trading was not acknowledged by its end.
        let ask = places(h.tick([Quote(side: .sell, price: Price("60100")!, quantity: Quantity("0.002")!)]))[0]
        h.m.report(h.report(ask.clientOrderID.description, .sell, x: .expired, status: .expired, price: "60100"), at: h.now)
        #expect(h.m.counters.placesAcknowledged == 1)
    }

    /// Binance may send the `ACCOUNT_UPDATE` of a fill before its `ORDER_TRADE_UPDATE`; the fill must not
    /// then count twice.
    @Test func anAccountUpdateBeforeItsFillDoesNotCountTheFillTwice() {
        var h = Harness()
        h.ready()
        let bid = places(h.tick([Quote(side: .buy, price: Price("60000")!, quantity: Quantity("0.002")!)]))[0]
        _ = h.accept(bid)
        let t = h.now.wallMillis
        h.m.account(h.accountUpdate(position: "0.002", entry: "60000", timeMillis: t), at: h.now)
        #expect(h.m.position == .zero && !h.m.keeper.isConsistent)
        // Until the fill arrives, the position limit takes the larger of the two.
        #expect(h.m.keeper.bounds.high == Quantity("0.002")!)
        h.m.report(
            h.report(bid.clientOrderID.description, .buy, x: .trade, status: .filled, price: "60000", last: "0.002", lastPrice: "60000", cum: "0.002",
                trade: 9, timeMillis: t), at: h.now)
        #expect(h.m.position == Quantity("0.002")! && h.m.keeper.isConsistent)
        h.advance(ms: 5_000)
        _ = h.timer()
        #expect(h.m.position == Quantity("0.002")! && h.m.keeper.corrections == 0)
    }

    @Test func fillsInOneMillisecondAroundAnAccountUpdateAgree() {
        var h = Harness()
        h.ready()
        let t = h.now.wallMillis
        // f1, the update that includes it, f2 in the same millisecond, then the update with both.
        h.m.report(h.report("other-1", .buy, x: .trade, status: .partiallyFilled, last: "0.001", lastPrice: "60000", cum: "0.001", trade: 1, timeMillis: t), at: h.now)
        h.m.account(h.accountUpdate(position: "0.001", entry: "60000", timeMillis: t), at: h.now)
        h.m.report(h.report("other-1", .buy, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.002", trade: 2, timeMillis: t), at: h.now)
        #expect(h.m.position == Quantity("0.002")! && h.m.keeper.isConsistent)
        h.m.account(h.accountUpdate(position: "0.002", entry: "60000", timeMillis: t), at: h.now)
        #expect(h.m.keeper.isConsistent)
    }

    @Test func aPositionThatStaysWrongIsCorrectedFromTheVenue() {
        var h = Harness()
        h.ready()
        // The venue says we are long though no fill arrived (a fill report lost).
        h.m.account(h.accountUpdate(position: "0.003", entry: "60000", timeMillis: h.now.wallMillis), at: h.now)
        h.advance(ms: 1_000)
        _ = h.timer()
        #expect(h.m.position == .zero)
        h.advance(ms: 1_500)
        let t = h.timer()
        #expect(h.m.position == Quantity("0.003")! && events(t).contains(.positionCorrected(from: .zero, to: Quantity("0.003")!)))
        #expect(reconcileToken(t) != nil, "and the venue is asked for the rest")
    }

    @Test func aReconciliationIsTheVenuesWordAndLaterFillsItHoldsDoNotMoveIt() {
        var h = Harness()
        h.m.venueConfigured(at: h.now)
        h.m.userStream(connected: true, at: h.now)
        let token = reconcileToken(h.take())!
        let t = h.now.wallMillis
        h.m.reconciled(token: token, h.snapshot(position: "0.004", entry: "60000", timeMillis: t), at: h.now)
        #expect(h.m.position == Quantity("0.004")! && h.m.isReady)
        // A fill the listing already held arrives late: the position stays.
        h.m.report(h.report("x", .buy, x: .trade, status: .filled, last: "0.004", lastPrice: "60000", cum: "0.004", trade: 5, timeMillis: t - 10), at: h.now)
        #expect(h.m.position == Quantity("0.004")!)
        h.m.report(h.report("x2", .sell, x: .trade, status: .filled, last: "0.001", lastPrice: "60100", cum: "0.001", trade: 6, timeMillis: t + 10), at: h.now)
        #expect(h.m.position == Quantity("0.003")!)
    }

    @Test func ordersOfOursNobodyTracksAreAdoptedAndCancelled() {
        var h = Harness()
        h.ready()
        // A report about an order of an earlier run.
        h.m.report(h.report("mmq-old-4", .sell, x: .new, status: .new, price: "60100"), at: h.now)
        let a = h.take()
        let old = ClientOrderID("mmq-old-4")!
        #expect(events(a).contains(.adopted(old)) && cancels(a) == [old])
        // Another client's order is none of ours.
        h.m.report(h.report("web_123", .sell, x: .new, status: .new, price: "60100"), at: h.now)
        #expect(cancels(h.take()).isEmpty && h.m.orders[ClientOrderID("web_123")!] == nil)
        // A listing shows one more of ours.
        h.m.userStream(connected: true, at: h.now)
        let token = reconcileToken(h.take())!
        let listed = VenueOrder(
            clientOrderID: ClientOrderID("mmq-old-5")!, venueOrderID: VenueOrderID(3), side: .buy, price: Price("59000")!, quantity: Quantity("0.002")!,
            executed: .zero, status: .new)
        h.m.reconciled(token: token, h.snapshot([listed, h.venue(OrderSpec(kind: .postOnlyLimit, clientOrderID: old, side: .sell, price: Price("60100")!, quantity: Quantity("0.002")!))]), at: h.now)
        let b = h.take()
        #expect(cancels(b) == [listed.clientOrderID])
        #expect(h.m.orders[listed.clientOrderID] != nil, "tracked until the venue confirms")
    }

    @Test func aReconciliationForgetsOrdersTheVenueNoLongerHoldsButNotOnesInFlight() {
        var h = Harness()
        h.ready()
        let sent = places(h.quoteBoth())
        _ = h.accept(sent[0])
        h.m.userStream(connected: false, at: h.now)
        _ = h.take()
        h.m.userStream(connected: true, at: h.now)
        let token = reconcileToken(h.take())!
        h.m.reconciled(token: token, h.snapshot(), at: h.now)
        // The acknowledged one is gone (filled or cancelled while the stream was down); the one whose place
        // is unanswered may still arrive.
        #expect(h.m.orders[sent[0].clientOrderID] == nil && h.m.orders[sent[1].clientOrderID] != nil)
    }

    @Test func theUserStreamConnectedButSilentIsFound() {
        var h = Harness()
        h.ready()
        let sent = places(h.quoteBoth())
        for s in sent { _ = h.accept(s) }
        h.advance(ms: 2_000)
        #expect(!events(h.timer()).contains(.userStreamSilent))
        h.advance(ms: 1_500)
        let t = h.timer()
        #expect(events(t).contains(.userStreamSilent) && t.contains(.reconnectUserStream))
        #expect(Set(cancels(t)) == Set(sent.map(\.clientOrderID)), "quotes pulled")
        #expect(!h.m.isReady && places(h.quoteBoth()).isEmpty)
        // A new connection that delivers: reconciled and ready again.
        h.m.userStream(connected: true, at: h.now)
        let token = reconcileToken(h.take())!
        h.m.reconciled(token: token, h.snapshot(), at: h.now)
        #expect(h.m.isReady)
    }

    @Test func reportsThatArriveProveTheStream() {
        var h = Harness()
        h.ready()
        let sent = places(h.quoteBoth())
        for s in sent {
            _ = h.accept(s)
            h.m.report(h.report(s.clientOrderID.description, s.side, x: .new, status: .new, price: s.price.description), at: h.now)
        }
        h.advance(ms: 10_000)
        #expect(!events(h.timer()).contains(.userStreamSilent))
    }

    @Test func absurdFiguresAreRefusedAndNeverTrap() {
        var h = Harness()
        h.ready()
        let huge = "80000000000.000000020"
        for r in [
            h.report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: huge, lastPrice: "60000", cum: "0.001", trade: 1),
            h.report("mmq-x-1", .sell, x: .trade, status: .partiallyFilled, last: "0.001", lastPrice: huge, cum: "0.001", trade: 2),
            h.report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: "0.001", lastPrice: "60000", cum: "0.001", rp: "-" + huge, trade: 3),
        ] {
            h.m.report(r, at: h.now)
        }
        h.m.account(h.accountUpdate(position: huge, entry: "1", timeMillis: h.now.wallMillis), at: h.now)
        #expect(h.m.position == .zero && h.m.keeper.fillCount == 0 && h.m.counters.implausibleReports == 4)
        var extreme = h.report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: "0.001", lastPrice: "60000", cum: "0.001", trade: 4)
        extreme.commission = Notional(raw: OrderTracker.plausibleMagnitude)
        for i in 0..<20 {
            extreme.tradeID = Int64(10 + i)
            h.m.report(extreme, at: h.now)
        }
        #expect(h.m.figures.dayFees.raw > 0, "large sums clamp, never trap")
    }

    @Test func commissionsInAnotherAssetAreConvertedOrHalt() {
        var h = Harness()
        h.ready()
        h.m.assetPrice("BNB", Price("600")!)
        h.m.report(h.report("x", .buy, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", fee: "0.0001", feeAsset: "BNB", trade: 1), at: h.now)
        #expect(h.m.figures.dayFees == Notional("0.06")!)
        // An asset without a price: the loss limits cannot count it, so trading halts.
        h.m.report(h.report("x", .buy, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", fee: "0.01", feeAsset: "XYZ", trade: 2), at: h.now)
        #expect(h.m.haltReason == .commissionUnpriced)
    }

    /// Spot: a buy's commission comes out of the base asset, priced at the fill; a zero commission needs
    /// no price in any asset. Neither halts.
    @Test func spotCommissionsInTheBaseAssetArePricedAtTheFill() {
        var h = Harness { $0.baseAsset = "BTC" }
        h.ready()
        h.m.report(h.report("x", .buy, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", fee: "0.000001", feeAsset: "BTC", trade: 1), at: h.now)
        #expect(h.m.haltReason == nil && h.m.figures.dayFees == Notional("0.06")!)
        h.m.report(h.report("y", .buy, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", fee: "0", feeAsset: "XYZ", trade: 2), at: h.now)
        #expect(h.m.haltReason == nil && h.m.figures.dayFees == Notional("0.06")!)
        // Still halts on a commission it cannot price.
        h.m.report(h.report("z", .buy, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", fee: "0.01", feeAsset: "XYZ", trade: 3), at: h.now)
        #expect(h.m.haltReason == .commissionUnpriced)
    }

    @Test func fundingFeesCountTodayAndInTotal() {
        var h = Harness()
        h.ready()
        h.m.account(h.accountUpdate(position: "0", entry: "0", timeMillis: h.now.wallMillis, reason: "FUNDING_FEE", balanceChange: "-1.25"), at: h.now)
        #expect(h.m.figures.dayFunding == Notional("-1.25")! && h.m.figures.totalNet == Notional("-1.25")!)
        #expect(journal(h.take()).contains(.funding(Notional("-1.25")!, wallMillis: h.now.wallMillis)))
    }

    @Test func theNewDayStartsTodaysFiguresButNotTheCumulativeOnes() {
        var h = Harness()
        h.ready()
        h.m.report(h.report("x", .buy, x: .trade, status: .filled, last: "0.001", lastPrice: "60000", cum: "0.001", fee: "1", trade: 1), at: h.now)
        h.advance(ms: 86_400_000)
        _ = h.timer()
        #expect(h.m.figures.dayFees == .zero && h.m.figures.totalFees == Notional("1")!)
    }
}
