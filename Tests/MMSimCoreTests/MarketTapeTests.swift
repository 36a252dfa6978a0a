import MMCore
@testable import MMSimCore
import TestSupport
import Testing

@Suite("Simulated venue: the trade tape and candles")
struct MarketTapeTests {
    func print(_ id: Int64, _ price: String, _ qty: String, maker: Bool = false, at t: Int64) -> MarketTape.Print {
        .init(id: id, price: Price(price)!, quantity: Quantity(qty)!, buyerIsMaker: maker, timeMillis: t)
    }

    @Test func intervalsAlignAsBinanceDoes() throws {
        // 2024-07-18 13:45:12.345 UTC, a Thursday.
        let t: Int64 = 1_721_310_312_345
        #expect(CandleInterval("1m")!.start(of: t) == 1_721_310_300_000)
        #expect(CandleInterval("4h")!.start(of: t) == 1_721_304_000_000, "12:00")
        #expect(CandleInterval("1d")!.start(of: t) == 1_721_260_800_000, "midnight")
        #expect(CandleInterval("1w")!.start(of: t) == 1_721_001_600_000, "Monday 2024-07-15")
        #expect(CandleInterval("1M")!.start(of: t) == 1_719_792_000_000, "2024-07-01")
        #expect(CandleInterval("1M")!.next(after: 1_719_792_000_000) == 1_722_470_400_000, "2024-08-01")
        #expect(CandleInterval("1M")!.next(after: 1_733_011_200_000) == 1_735_689_600_000, "December to January")
        #expect(CandleInterval("2m") == nil && CandleInterval("1H") == nil)
        for days: Int64 in [-1000, 0, 59, 365 * 30 + 7, 20_000] {
            let (y, m, d) = CivilDate.from(days: days)
            #expect(CivilDate.days(year: y, month: m, day: d) == days)
        }
    }

    @Test func candlesFromTradesWithQuietMinutesFilledFlat() throws {
        var tape = MarketTape()
        let m0: Int64 = 1_721_310_300_000
        tape.record(print(1, "100", "1", at: m0 + 1000))
        tape.record(print(2, "102", "2", maker: true, at: m0 + 2000))
        tape.record(print(3, "99", "1", at: m0 + 50_000))
        // Nothing in the next two minutes, then one trade.
        tape.record(print(4, "101", "3", at: m0 + 3 * 60_000 + 5))
        let ones = tape.trades.candles(CandleInterval("1m")!, start: nil, end: nil, limit: 500)
        #expect(ones.map(\.openTime) == [m0, m0 + 60_000, m0 + 120_000, m0 + 180_000])
        #expect(ones[0].open == Price("100")! && ones[0].high == Price("102")! && ones[0].low == Price("99")! && ones[0].close == Price("99")!)
        #expect(ones[0].volume == Quantity("4")! && ones[0].count == 3 && ones[0].quoteVolume == Notional("403")!)
        #expect(ones[0].takerBuyVolume == Quantity("2")!, "the maker-buyer trade is a taker sell")
        #expect(ones[1].open == Price("99")! && ones[1].close == Price("99")! && ones[1].count == 0 && ones[1].volume.isZero)
        #expect(ones[3].open == Price("99")! && ones[3].close == Price("101")!, "opens at the last close")
        let fives = tape.trades.candles(CandleInterval("5m")!, start: nil, end: nil, limit: 500)
        #expect(fives.count == 1 && fives[0].openTime == m0 && fives[0].volume == Quantity("7")! && fives[0].close == Price("101")!)
        #expect(tape.trades.candles(CandleInterval("1m")!, start: nil, end: nil, limit: 2).map(\.openTime) == [m0 + 120_000, m0 + 180_000], "newest")
        #expect(tape.trades.candles(CandleInterval("1m")!, start: m0 + 60_000, end: nil, limit: 2).map(\.openTime) == [m0 + 60_000, m0 + 120_000], "from the start")
        #expect(tape.trades.candles(CandleInterval("1m")!, start: nil, end: m0 + 60_000, limit: 10).count == 2)
        let day = try #require(tape.trades.window(endingAt: m0 + 200_000, span: 86_400_000))
        #expect(day.open == Price("100")! && day.high == Price("102")! && day.low == Price("99")! && day.volume == Quantity("7")! && day.count == 4)
    }

    @Test func tradesKeepTheNewestThousandAndPage() {
        var tape = MarketTape()
        for i in 1...1500 { tape.record(print(Int64(i), "100", "1", at: Int64(i) * 10)) }
        #expect(tape.recent.count == 1000 && tape.recent.first?.id == 501 && tape.recent.last?.id == 1500)
        #expect(tape.recent(limit: 3).map(\.id) == [1498, 1499, 1500])
        #expect(tape.trades(fromID: 700, start: nil, end: nil, limit: 3).map(\.id) == [700, 701, 702])
        #expect(tape.trades(fromID: nil, start: 9000, end: 9030, limit: 500).map(\.id) == [900, 901, 902, 903])
        #expect(tape.ids(since: 14_980) == (1498, 1500))
        #expect(tape.tradeCount == 1500)
    }
}
