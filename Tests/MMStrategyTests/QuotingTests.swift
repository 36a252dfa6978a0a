#if canImport(Glibc)
import Glibc
#endif
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
        var q0 = quoter()
        let intent = q0.quote(MarketView(top: top("3000.00", "3000.02"), position: .zero))
        #expect(intent.quotes.count == 2)
        let bid = intent.quotes.first { $0.side == .buy }!
        let ask = intent.quotes.first { $0.side == .sell }!
        // mid 3000.01, 5 bps = 1.500005: bid 2998.509995 rounds down, ask 3001.510005 rounds up.
        #expect(bid.price == Price("2998.50")! && ask.price == Price("3001.52")!)
        #expect(bid.quantity == Quantity("0.008")!)
        #expect(eth.ticks(bid.price) != nil && eth.ticks(ask.price) != nil)
    }

    @Test func inventorySkewAndCap() {
        var q1 = quoter(skew: 20), q2 = q1, q3 = q1
        let flat = q1.quote(MarketView(top: top("3000.00", "3000.02"), position: .zero))
        let long = q2.quote(MarketView(top: top("3000.00", "3000.02"), position: Quantity("0.005")!))
        let flatAsk = flat.quotes.first { $0.side == .sell }!.price
        let longAsk = long.quotes.first { $0.side == .sell }!.price
        #expect(longAsk < flatAsk, "long: sell sooner")
        #expect(long.quotes.first { $0.side == .buy } == nil, "0.005 + 0.008 would pass the 0.01 cap")
        let short = q3.quote(MarketView(top: top("3000.00", "3000.02"), position: Quantity("-0.005")!))
        #expect(short.quotes.first { $0.side == .sell } == nil)
    }

    @Test func noQuotesOnAStaleBookOrUnderMinNotional() {
        var stale = quoter()
        #expect(stale.quote(MarketView(top: top("3000.00", "3000.02", synced: false), position: .zero)).quotes.isEmpty)
        var tiny = quoter()
        tiny.ladder.baseSize = Quantity("0.001")!  // 3 USDC < 5
        #expect(tiny.quote(MarketView(top: top("3000.00", "3000.02"), position: .zero)).quotes.isEmpty)
    }

    @Test func neverCrossesTheTouch() {
        // A skew large enough to push the bid through the ask stops one tick under it (inside the spread).
        var q = quoter(skew: 500)
        q.ladder.maxPosition = Quantity("1")!
        let intent = q.quote(MarketView(top: top("3000.00", "3000.02"), position: Quantity("-1")!))
        let bid = intent.quotes.first { $0.side == .buy }!
        #expect(bid.price == Price("3000.01")!)
    }

    func id(_ s: String) -> ClientOrderID { ClientOrderID(s)! }

    func list(_ orders: [OpenOrder]) -> FixedList<OpenOrder> {
        var l = FixedList<OpenOrder>()
        for o in orders { l.append(o) }
        return l
    }

    @Test func reconcilerMakesTheFewestChanges() {
        var r = QuoteReconciler(tickSize: eth.tickSize, priceToleranceTicks: 1)
        let want = QuoteIntent(quotes: [
            Quote(side: .buy, price: Price("2998.50")!, quantity: Quantity("0.008")!),
            Quote(side: .sell, price: Price("3001.52")!, quantity: Quantity("0.008")!),
        ])
        let open = [
            OpenOrder(clientOrderID: id("b1"), side: .buy, price: Price("2998.51")!, remaining: Quantity("0.008")!),
            OpenOrder(clientOrderID: id("s1"), side: .sell, price: Price("3001.52")!, remaining: Quantity("0.008")!),
        ]
        #expect(r.reconcile(desired: want, open: list(open)).isEmpty, "within a tick: no churn")
        let moved = QuoteIntent(quotes: [want.quotes[0], Quote(side: .sell, price: Price("3001.60")!, quantity: Quantity("0.008")!)])
        #expect(r.reconcile(desired: moved, open: list(open)).elements == [.cancel(id("s1")), .place(moved.quotes[1])])
        let mostlyFilled = [open[0], OpenOrder(clientOrderID: id("s1"), side: .sell, price: Price("3001.52")!, remaining: Quantity("0.002")!)]
        #expect(r.reconcile(desired: want, open: list(mostlyFilled)).elements == [.cancel(id("s1")), .place(want.quotes[1])])
        #expect(r.reconcile(desired: QuoteIntent(), open: list(open)).elements == [.cancel(id("b1")), .cancel(id("s1"))])
        r.useModify = true
        #expect(r.reconcile(desired: moved, open: list(open)).elements == [.modify(id("s1"), moved.quotes[1])])
    }
}

@Suite("Quoting models")
struct ModelTests {
    let eth = try! Instrument(symbol: Symbol("ETHUSDC")!, tickSize: "0.01", stepSize: "0.001", minQuantity: "0.001", minNotional: "5")

    func view(position: String = "0", nanos: Int64 = 0) -> MarketView {
        let top = TopOfBook(
            bidPrice: Price("3000.00")!, bidQuantity: Quantity("1")!, askPrice: Price("3000.02")!, askQuantity: Quantity("1")!,
            updateID: 1, eventTimeMillis: 0, hasBid: true, hasAsk: true, isSynced: true)
        return MarketView(top: top, position: Quantity(position)!, nowNanos: nanos)
    }

    var ladder: QuoteLadder { QuoteLadder(instrument: eth, baseSize: Quantity("0.01")!, levels: 2, levelSpacingTicks: 3, maxPosition: Quantity("0.05")!) }

    @Test func avellanedaStoikovReservationMovesAgainstInventory() {
        let q = AvellanedaStoikovQuoter(ladder: ladder, gamma: 0.1, kappa: 1.5, horizonSeconds: 60)
        let flat = q.targets(inventory: 0, sigma: 1)
        let long = q.targets(inventory: 2, sigma: 1)
        // γσ²τ = 6 ticks of risk per unit; (2/γ)ln(1+γ/κ) = 20·ln(1.0667) ≈ 1.291.
        #expect(abs(flat.halfSpread - (6 + 20 * 0.0645385211375711) / 2) < 1e-9)
        #expect(flat.offset == 0 && abs(long.offset + 12) < 1e-9)
        var m = q
        let flatQuotes = m.quote(view())
        var m2 = q
        let longQuotes = m2.quote(view(position: "0.02"))
        let ask = { (i: QuoteIntent) in i.quotes.filter { $0.side == .sell }.map(\.price).min()! }
        #expect(ask(longQuotes) < ask(flatQuotes))
        #expect(flatQuotes.quotes.filter { $0.side == .buy }.count == 2, "two levels per side")
        for quote in flatQuotes.quotes { #expect(eth.ticks(quote.price) != nil) }
    }

    @Test func glftDepthsMatchTheClosedForm() {
        let q = GLFTQuoter(ladder: ladder, gamma: 0.05, kappa: 0.5, arrivalRate: 2, minHalfSpreadTicks: 0)
        let d = q.depths(inventory: 1, sigma: 2)
        let c1 = log(1 + 0.05 / 0.5) / 0.05
        let c2 = (0.05 / (2 * 2 * 0.5) * pow(1 + 0.05 / 0.5, 0.5 / 0.05 + 1)).squareRoot()
        #expect(abs(d.bid - (c1 + c2 + 2 * c2)) < 1e-9)
        #expect(abs(d.ask - (c1 + c2 - 2 * c2)) < 1e-9)
        let flat = q.depths(inventory: 0, sigma: 2)
        #expect(flat.bid == flat.ask)
    }

    @Test func volatilityTracksMidChanges() {
        var v = VolatilityEstimator(halfLifeSeconds: 1, initialTicksPerSqrtSecond: 0)
        for i in 0..<200 { v.observe(midTicks: i % 2 == 0 ? 100 : 102, nanos: Int64(i) * 250_000_000) }
        // Moves of 2 ticks every 0.25 s: variance 4/0.25 = 16 ticks²/s, σ = 4.
        #expect(abs(v.ticksPerSqrtSecond - 4) < 0.01)
    }

    @Test func modelsCarryTheirEstimatesThroughTheEnum() {
        var model = QuoterModel.glft(GLFTQuoter(ladder: ladder, gamma: 0.05, kappa: 0.5, arrivalRate: 2))
        #expect(!model.quote(view(nanos: 0)).isEmpty)
        _ = model.quote(view(nanos: 250_000_000))
        guard case .glft(let g) = model else { Issue.record("model changed"); return }
        #expect(g.volatility.ticksPerSqrtSecond < 1, "a still mid lowers the estimate from its start of 1 tick/√s")
    }
}
