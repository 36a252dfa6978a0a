import MMBook
import MMCore
import MMExecution
import MMStrategy
import Testing

@Suite("Quoting and reconciliation")
struct QuotingTests {
    let eth = try! Instrument(symbol: Symbol("ETHUSDC")!, tickSize: "0.01", stepSize: "0.001", minQuantity: "0.001", minNotional: "5")

    func top(_ bid: String, _ ask: String, synced: Bool = true) -> TopOfBook {
        TopOfBook(
            bidPrice: Price(bid)!, bidQuantity: Quantity("1")!, askPrice: Price(ask)!, askQuantity: Quantity("1")!,
            updateID: 1, eventTimeMillis: 0, hasBid: true, hasAsk: true, isSynced: synced)
    }

    func quoter(skew: Double = 0, levels: Int = 1) -> FixedSpreadQuoter {
        FixedSpreadQuoter(
            instrument: eth, halfSpreadBps: 5, baseSize: Quantity("0.008")!, levels: levels, levelSpacingTicks: 10,
            skewBps: skew, maxPosition: Quantity("0.01")!)
    }

    @Test func symmetricQuotesOnTheGrid() {
        let intent = quoter().quote(MarketView(top: top("3000.00", "3000.02"), position: .zero))
        #expect(intent.quotes.count == 2)
        let bid = intent.quotes.first { $0.side == .buy }!
        let ask = intent.quotes.first { $0.side == .sell }!
        // mid 3000.01, 5 bps = 1.500005: bid 2998.509995 rounds down, ask 3001.510005 rounds up.
        #expect(bid.price == Price("2998.50")! && ask.price == Price("3001.52")!)
        #expect(bid.quantity == Quantity("0.008")!)
        #expect(eth.ticks(bid.price) != nil && eth.ticks(ask.price) != nil)
    }

    @Test func inventorySkewAndCap() {
        let flat = quoter(skew: 20).quote(MarketView(top: top("3000.00", "3000.02"), position: .zero))
        let long = quoter(skew: 20).quote(MarketView(top: top("3000.00", "3000.02"), position: Quantity("0.005")!))
        let flatAsk = flat.quotes.first { $0.side == .sell }!.price
        let longAsk = long.quotes.first { $0.side == .sell }!.price
        #expect(longAsk < flatAsk, "long: sell sooner")
        #expect(long.quotes.first { $0.side == .buy } == nil, "0.005 + 0.008 would pass the 0.01 cap")
        let short = quoter(skew: 20).quote(MarketView(top: top("3000.00", "3000.02"), position: Quantity("-0.005")!))
        #expect(short.quotes.first { $0.side == .sell } == nil)
    }

    @Test func noQuotesOnAStaleBookOrUnderMinNotional() {
        #expect(quoter().quote(MarketView(top: top("3000.00", "3000.02", synced: false), position: .zero)).quotes.isEmpty)
        var tiny = quoter()
        tiny.baseSize = Quantity("0.001")!  // 3 USDC < 5
        #expect(tiny.quote(MarketView(top: top("3000.00", "3000.02"), position: .zero)).quotes.isEmpty)
    }

    @Test func neverCrossesTheTouch() {
        // A skew large enough to push the bid through the ask stays at the touch instead.
        var q = quoter(skew: 500)
        q.maxPosition = Quantity("1")!
        let intent = q.quote(MarketView(top: top("3000.00", "3000.02"), position: Quantity("-1")!))
        let bid = intent.quotes.first { $0.side == .buy }!
        #expect(bid.price <= Price("3000.00")!)
    }

    @Test func reconcilerMakesTheFewestChanges() {
        let r = QuoteReconciler(tickSize: eth.tickSize, priceToleranceTicks: 1)
        let want = QuoteIntent(quotes: [
            Quote(side: .buy, price: Price("2998.50")!, quantity: Quantity("0.008")!),
            Quote(side: .sell, price: Price("3001.52")!, quantity: Quantity("0.008")!),
        ])
        let open = [
            OpenOrder(clientOrderID: "b1", side: .buy, price: Price("2998.51")!, remaining: Quantity("0.008")!),
            OpenOrder(clientOrderID: "s1", side: .sell, price: Price("3001.52")!, remaining: Quantity("0.008")!),
        ]
        #expect(r.reconcile(desired: want, open: open).isEmpty, "within a tick: no churn")
        let moved = QuoteIntent(quotes: [want.quotes[0], Quote(side: .sell, price: Price("3001.60")!, quantity: Quantity("0.008")!)])
        #expect(r.reconcile(desired: moved, open: open) == [.cancel(clientOrderID: "s1"), .place(moved.quotes[1])])
        let mostlyFilled = [open[0], OpenOrder(clientOrderID: "s1", side: .sell, price: Price("3001.52")!, remaining: Quantity("0.002")!)]
        #expect(r.reconcile(desired: want, open: mostlyFilled) == [.cancel(clientOrderID: "s1"), .place(want.quotes[1])])
        #expect(r.reconcile(desired: QuoteIntent(quotes: []), open: open) == [.cancel(clientOrderID: "b1"), .cancel(clientOrderID: "s1")])
    }
}
