import MMBook
import MMCore
import MMStrategy
import Testing

/// The signals, the fee floor and the alpha model.
@Suite("Signals and fee-aware quoting")
struct SignalsTests {
    let eth = try! Instrument(symbol: Symbol("ETHUSDC")!, tickSize: "0.01", stepSize: "0.001", minQuantity: "0.001", minNotional: "5")

    func book(bids: [(String, String)], asks: [(String, String)]) -> OrderBook {
        var snapshot = DepthSnapshot()
        snapshot.lastUpdateID = 1
        snapshot.bids = LevelList(bids.map { PriceLevel(price: Price($0.0)!, quantity: Quantity($0.1)!) })
        snapshot.asks = LevelList(asks.map { PriceLevel(price: Price($0.0)!, quantity: Quantity($0.1)!) })
        var b = OrderBook(instrument: eth, levelCapacity: 64)
        b.replace(with: snapshot)
        return b
    }

    func top(_ bid: String, _ ask: String) -> TopOfBook {
        TopOfBook(
            bidPrice: Price(bid)!, bidQuantity: Quantity("1")!, askPrice: Price(ask)!, askQuantity: Quantity("1")!, updateID: 1, eventTimeMillis: 0,
            hasBid: true, hasAsk: true, isSynced: true)
    }

    @Test func imbalanceAndMicropriceFromTheBook() {
        var t = SignalTracker(levels: 2)
        // Level weights 1 and 1/2: bids 3 + 1/2·1 = 3.5, asks 1 + 1/2·1 = 1.5 → (3.5 − 1.5) / 5 = 0.4.
        t.observe(book: book(bids: [("3000.00", "3"), ("2999.99", "1")], asks: [("3000.02", "1"), ("3000.03", "1")]))
        let s = t.signals(at: 0)
        #expect(abs(s.imbalance - 0.4) < 1e-12)
        // Microprice (3000.00·1 + 3000.02·3) / 4 = 3000.015: nearer the ask, where less size stands.
        #expect(abs(s.microprice - 300_001_500_000) < 1)
        var empty = SignalTracker()
        empty.observe(book: book(bids: [], asks: [("3000.02", "1")]))
        #expect(empty.signals(at: 0).imbalance == -1 && empty.signals(at: 0).microprice == 0)
    }

    @Test func tradeFlowIsSignedAndDecays() {
        var t = SignalTracker(flowHalfLifeSeconds: 1)
        t.observeTrade(quantity: Quantity("3")!, buyerIsMaker: false, nanos: 0)  // taker bought
        t.observeTrade(quantity: Quantity("1")!, buyerIsMaker: true, nanos: 0)  // taker sold
        #expect(abs(t.signals(at: 0).flow - 0.5) < 1e-12)
        // One half-life later the buys and sells have both halved: the ratio stands, the rate halves.
        let later = t.signals(at: 1_000_000_000)
        #expect(abs(later.flow - 0.5) < 1e-12)
        #expect(abs(later.tradeRate - t.signals(at: 0).tradeRate / 2) < 1e-9)
        // A sell a half-life later weighs twice the (decayed) earlier ones.
        t.observeTrade(quantity: Quantity("2")!, buyerIsMaker: true, nanos: 1_000_000_000)
        #expect(abs(t.signals(at: 1_000_000_000).flow - (1.5 - 2.5) / 4) < 1e-12)
    }

    @Test func quotesKeepAMakerFeeFromFairUnlessToldOtherwise() {
        var ladder = QuoteLadder(instrument: eth, baseSize: Quantity("0.01")!, maxPosition: Quantity("1")!)
        ladder.makerFee = 0.0002  // 2 bps: 0.60 on 3000
        let view = MarketView(top: top("3000.00", "3000.02"), position: .zero)
        var intent = QuoteIntent()
        ladder.build(bid: 3000_00_000_000, ask: 3000_02_000_000, view: view, into: &intent)
        #expect(intent.quotes.first { $0.side == .buy }?.price == Price("2999.40")!, "mid 3000.01 − 0.600002, down to the tick")
        #expect(intent.quotes.first { $0.side == .sell }?.price == Price("3000.62")!, "mid + 0.600002, up to the tick")
        ladder.allowNegativeEdge = true
        ladder.build(bid: 3000_00_000_000, ask: 3000_02_000_000, view: view, into: &intent)
        #expect(intent.quotes.first { $0.side == .buy }?.price == Price("3000.00")!, "as asked")
        // A rebate pays for the round trip: the touch is fine.
        ladder.allowNegativeEdge = false
        ladder.makerFee = -0.00005
        ladder.build(bid: 3000_00_000_000, ask: 3000_02_000_000, view: view, into: &intent)
        #expect(intent.quotes.first { $0.side == .sell }?.price == Price("3000.02")!)
        // minEdge widens both sides by half of it.
        ladder.makerFee = 0
        ladder.minEdge = 0.0004
        ladder.build(bid: 3000_00_000_000, ask: 3000_02_000_000, view: view, into: &intent)
        #expect(intent.quotes.first { $0.side == .buy }?.price == Price("2999.40")!)
    }

    @Test func quotesMaySitInsideAWideSpreadButNeverCross() {
        let ladder = QuoteLadder(instrument: eth, baseSize: Quantity("0.01")!, maxPosition: Quantity("1")!)
        var intent = QuoteIntent()
        // Bid 3000.00, ask 3001.00: a model wanting 3000.40 / 3000.60 gets them.
        ladder.build(bid: 3000_40_000_000, ask: 3000_60_000_000, view: MarketView(top: top("3000.00", "3001.00"), position: .zero), into: &intent)
        #expect(intent.quotes.map(\.price).sorted() == [Price("3000.40")!, Price("3000.60")!])
        // Wanting past the other side: held one tick short of it.
        ladder.build(bid: 3001_50_000_000, ask: 2999_50_000_000, view: MarketView(top: top("3000.00", "3001.00"), position: .zero), into: &intent)
        #expect(intent.quotes.first { $0.side == .buy }?.price == Price("3000.99")!)
        #expect(intent.quotes.first { $0.side == .sell }?.price == Price("3000.01")!)
    }

    @Test func theAlphaModelLeansWithTheSignals() {
        let ladder = QuoteLadder(instrument: eth, baseSize: Quantity("0.01")!, maxPosition: Quantity("1")!)
        let glft = GLFTQuoter(ladder: ladder, gamma: 0.1, kappa: 1.5, arrivalRate: 1, minHalfSpreadTicks: 1)
        var alpha = AlphaQuoter(glft: glft, imbalanceTicks: 10, flowTicks: 5)
        let quiet = alpha.quote(MarketView(top: top("3000.00", "3001.00"), position: .zero))
        let bids = MarketView(top: top("3000.00", "3001.00"), position: .zero, signals: MarketSignals(imbalance: 1, flow: 1))
        let leaning = alpha.quote(bids)
        func price(_ i: QuoteIntent, _ side: Side) -> Price { i.quotes.first { $0.side == side }!.price }
        // Fair value 15 ticks up: both sides move up by 0.15.
        #expect(price(leaning, .buy) - price(quiet, .buy) == Price("0.15")!)
        #expect(price(leaning, .sell) - price(quiet, .sell) == Price("0.15")!)
        #expect(abs(alpha.fairValue(mid: 100, tick: 1, signals: MarketSignals(imbalance: -0.5)) - 95) < 1e-9)
    }
}
