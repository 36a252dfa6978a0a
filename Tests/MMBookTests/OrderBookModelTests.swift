import MMBook
import MMCore
import TestSupport
import Testing

/// The obvious book: a dictionary per side, sorted on demand.
struct ReferenceBook {
    var bids: [Int64: Int64] = [:]
    var asks: [Int64: Int64] = [:]
    mutating func set(_ side: BookSide, _ ticks: Int64, _ lots: Int64) {
        if side == .bid { bids[ticks] = lots == 0 ? nil : lots } else { asks[ticks] = lots == 0 ? nil : lots }
    }
    var sortedBids: [(Int64, Int64)] { bids.sorted { $0.key > $1.key }.map { ($0.key, $0.value) } }
    var sortedAsks: [(Int64, Int64)] { asks.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
}

@Suite("Order book against a reference model")
struct OrderBookModelTests {
    let instrument = try! Instrument(symbol: Symbol("BTCUSDT")!, tickSize: "0.10", stepSize: "0.001")

    @Test("random operations", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomOperations(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var book = OrderBook(instrument: instrument, levelCapacity: 8)
        var model = ReferenceBook()
        let center: Int64 = 600_000
        for step in 0..<20_000 {
            let side: BookSide = Bool.random(using: &rng) ? .bid : .ask
            // Mostly near the touch, sometimes far away, as in real diffs.
            let spread: Int64 = Int64.random(in: 0...3, using: &rng) == 0 ? 50_000 : 40
            let offset = Int64.random(in: 0...spread, using: &rng)
            let ticks = side == .bid ? center - 1 - offset : center + offset
            let lots = Int64.random(in: 0...2, using: &rng) == 0 ? 0 : Int64.random(in: 1...5000, using: &rng)
            book.set(side, ticks: Ticks(ticks), lots: Lots(lots))
            model.set(side, ticks, lots)
            #expect(book.bestBid?.ticks.value == model.bids.keys.max(), "step \(step)")
            #expect(book.bestAsk?.ticks.value == model.asks.keys.min(), "step \(step)")
            if step % 997 == 0 { compareAll(book, model) }
        }
        compareAll(book, model)
        #expect(!book.isCrossed)
    }

    @Test("levels spread over many pages, far apart and on page edges", arguments: [11, 12, 13] as [UInt64])
    func widelySpreadLevels(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var book = OrderBook(instrument: instrument, levelCapacity: 4)
        var model = ReferenceBook()
        // Page edges (multiples of 4096 and their neighbours), prices near zero and near the Int64 range's end.
        var candidates: [Int64] = [0, 1, 4095, 4096, 4097, 8191, 8192, 1 << 40, (1 << 40) - 1, Int64.max / 2, Int64.max]
        for _ in 0..<200 { candidates.append(Int64.random(in: 0...50_000_000, using: &rng)) }
        for step in 0..<30_000 {
            let side: BookSide = Bool.random(using: &rng) ? .bid : .ask
            let ticks = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
            let lots = Int64.random(in: 0...1, using: &rng) == 0 ? 0 : Int64.random(in: 1...9, using: &rng)
            book.set(side, ticks: Ticks(ticks), lots: Lots(lots))
            model.set(side, ticks, lots)
            #expect(book.bestBid?.ticks.value == model.bids.keys.max(), "step \(step)")
            #expect(book.bestAsk?.ticks.value == model.asks.keys.min(), "step \(step)")
            #expect(book.bestBid?.lots.value == model.bids.keys.max().map { model.bids[$0]! }, "step \(step)")
            if step % 1999 == 0 { compareAll(book, model) }
        }
        compareAll(book, model)
    }

    @Test func copiesAreIndependent() {
        var book = OrderBook(instrument: instrument, levelCapacity: 4)
        for t in Int64(1)...3000 { book.set(.bid, ticks: Ticks(t * 7), lots: Lots(t)) }
        let copy = book
        book.set(.bid, ticks: Ticks(3000 * 7), lots: Lots(0))
        book.set(.bid, ticks: Ticks(5), lots: Lots(99))
        book.set(.ask, ticks: Ticks(90_000), lots: Lots(1))
        #expect(copy.depth(.bid) == 3000 && copy.depth(.ask) == 0)
        #expect(copy.bestBid == BookLevel(ticks: Ticks(21_000), lots: Lots(3000)))
        #expect(copy.lots(.bid, at: Ticks(5)) == Lots(0))
        #expect(book.depth(.bid) == 3000 && book.bestBid == BookLevel(ticks: Ticks(20_993), lots: Lots(2999)))
        var second = copy
        second.clear()
        #expect(second.depth(.bid) == 0 && second.bestBid == nil)
        #expect(copy.depth(.bid) == 3000 && copy.level(.bid, 2999) == BookLevel(ticks: Ticks(7), lots: Lots(1)))
        // A cleared book is reusable.
        second.set(.ask, ticks: Ticks(12), lots: Lots(3))
        #expect(second.bestAsk == BookLevel(ticks: Ticks(12), lots: Lots(3)) && second.depth(.ask) == 1)
    }

    func compareAll(_ book: OrderBook, _ model: ReferenceBook) {
        #expect(book.depth(.bid) == model.bids.count)
        #expect(book.depth(.ask) == model.asks.count)
        for (i, (t, l)) in model.sortedBids.enumerated() {
            #expect(book.level(.bid, i) == BookLevel(ticks: Ticks(t), lots: Lots(l)))
        }
        let grid = instrument.bookGrid
        #expect(book.levels(.bid) == model.sortedBids.map { PriceLevel(price: grid.price(Ticks($0.0)), quantity: grid.quantity(Lots($0.1))) })
        #expect(book.levels(.ask, limit: 7) == model.sortedAsks.prefix(7).map { PriceLevel(price: grid.price(Ticks($0.0)), quantity: grid.quantity(Lots($0.1))) })
        for (i, (t, l)) in model.sortedAsks.enumerated() {
            #expect(book.level(.ask, i) == BookLevel(ticks: Ticks(t), lots: Lots(l)))
            #expect(book.lots(.ask, at: Ticks(t)) == Lots(l))
        }
    }

    @Test func exchangeUnitsAndRejections() throws {
        var book = OrderBook(instrument: instrument)
        #expect(book.set(.bid, price: try Price(parsing: "63943.9"), quantity: try Quantity(parsing: "46.372")))
        #expect(!book.set(.bid, price: try Price(parsing: "63943.95"), quantity: try Quantity(parsing: "1")))
        #expect(!book.set(.ask, price: try Price(parsing: "63944"), quantity: try Quantity(parsing: "-1")))
        #expect(book.rejectedLevels == 2)
        #expect(book.set(.ask, price: try Price(parsing: "63944.0"), quantity: try Quantity(parsing: "0.095")))
        let top = book.topOfBook(isSynced: true)
        #expect(top.bidPrice.description == "63943.9" && top.bidQuantity.description == "46.372")
        #expect(top.askPrice.description == "63944" && top.askQuantity.description == "0.095")
        #expect(top.mid?.description == "63943.95")
        #expect(book.levels(.bid).count == 1)
        // Removing an absent level is a no-op; removing a present one empties the side.
        book.set(.bid, ticks: Ticks(1), lots: Lots(0))
        book.set(.bid, ticks: Ticks(639_439), lots: Lots(0))
        #expect(book.bestBid == nil)
        #expect(!book.isCrossed)
    }

    @Test func crossedIsDetected() {
        var book = OrderBook(instrument: instrument)
        book.set(.bid, ticks: Ticks(100), lots: Lots(1))
        book.set(.ask, ticks: Ticks(100), lots: Lots(1))
        #expect(book.isCrossed)
    }
}
