import MMCore
import PropertyBased
import Testing

@Suite("Instruments, grids and fixed-point money")
struct InstrumentTests {
    let btc = try! Instrument(
        symbol: Symbol("BTCUSDT")!, tickSize: "0.10", stepSize: "0.001", minQuantity: "0.001", minNotional: "5")

    @Test func ticksAndLots() throws {
        #expect(btc.ticks(try Price(parsing: "63943.90")) == Ticks(639_439))
        #expect(btc.ticks(try Price(parsing: "63943.95")) == nil)
        #expect(btc.lots(try Quantity(parsing: "46.372")) == Lots(46_372))
        #expect(btc.lots(try Quantity(parsing: "0.0005")) == nil)
        #expect(btc.price(Ticks(639_439)) == (try Price(parsing: "63943.9")))
    }

    @Test func roundingNeverImprovesTheQuote() throws {
        let p = try Price(parsing: "100.05")
        #expect(btc.roundPrice(p, for: .buy) == (try Price(parsing: "100.0")))
        #expect(btc.roundPrice(p, for: .sell) == (try Price(parsing: "100.1")))
        let onGrid = try Price(parsing: "100.1")
        #expect(btc.roundPrice(onGrid, for: .buy) == onGrid)
        #expect(btc.roundPrice(onGrid, for: .sell) == onGrid)
        #expect(btc.roundQuantityDown(try Quantity(parsing: "0.0089")) == (try Quantity(parsing: "0.008")))
    }

    @Test func minNotionalIsExact() throws {
        // 0.001 × 5000.0 = 5.000 exactly meets a 5 USDT minimum; one tick less does not.
        #expect(btc.meetsMinNotional(price: try Price(parsing: "5000.0"), quantity: try Quantity(parsing: "0.001")))
        #expect(!btc.meetsMinNotional(price: try Price(parsing: "4999.9"), quantity: try Quantity(parsing: "0.001")))
        let n = Notional(price: try Price(parsing: "63943.9"), quantity: try Quantity(parsing: "0.008"))
        #expect(n?.description == "511.5512")
    }

    @Test("instruments not exact at the scale are refused", arguments: [
        ("0.000000001", "0.001", "tickSize"), ("0.1", "0.0000000001", "stepSize"), ("abc", "1", "tickSize"),
    ])
    func inexactRefused(tick: String, step: String, field: String) {
        do {
            _ = try Instrument(symbol: Symbol("X")!, tickSize: tick, stepSize: step)
            Issue.record("accepted tick \(tick) step \(step)")
        } catch {
            guard case .badNumber(let f, _, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(f == field)
            #expect(error.description.contains(field))
        }
    }

    @Test func nonPositiveAndOffGridRefused() {
        #expect(throws: InstrumentError.notPositive(field: "tickSize", value: "0")) {
            try Instrument(symbol: Symbol("X")!, tickSize: "0", stepSize: "1")
        }
        #expect(throws: InstrumentError.offGrid(field: "minQty", value: "0.0015", grid: "0.001")) {
            try Instrument(symbol: Symbol("X")!, tickSize: "0.1", stepSize: "0.001", minQuantity: "0.0015")
        }
    }

    @Test func bookGridFollowsPricePrecision() throws {
        // CTKUSDT: tick 0.001 but pricePrecision 5 — old resting orders sit at 0.00001 steps.
        let ctk = try Instrument(symbol: Symbol("CTKUSDT")!, tickSize: "0.00100", stepSize: "1", pricePrecision: 5, quantityPrecision: 0)
        #expect(ctk.bookGrid.tickSize == (try Price(parsing: "0.00001")))
        #expect(ctk.bookGrid.ticks(try Price(parsing: "0.50579")) == Ticks(50_579))
        #expect(ctk.ticks(try Price(parsing: "0.50579")) == nil)
        #expect(ctk.bookGrid.stepSize == ctk.stepSize)
    }

    @Test func exactDivisorAgreesWithDivision() async {
        await propertyCheck(count: 3000, input: Gen.int64(in: 1...1_000_000_000_000), Gen.int64(in: -9_000_000...9_000_000)) { d, q in
            let div = ExactDivisor(d)
            let (v, o) = q.multipliedReportingOverflow(by: d)
            if !o {
                #expect(div.divide(v) == q)
                if v >= 0 { #expect(div.divideNonNegative(v) == q) }
                if d > 1 {
                    let r = Int64(abs(q % d)) % (d - 1) + 1
                    if let off = Optional(v.addingReportingOverflow(r)), !off.overflow {
                        #expect(div.divide(off.partialValue) == nil)
                        if off.partialValue >= 0 { #expect(div.divideNonNegative(off.partialValue) == nil) }
                    }
                }
            }
        }
    }

    @Test func exactDivisorOnEverySmallCase() {
        for d in Int64(1)...300 {
            let div = ExactDivisor(d)
            for v in Int64(-3000)...3000 {
                let expected: Int64? = v % d == 0 ? v / d : nil
                #expect(div.divide(v) == expected, "\(v) / \(d)")
                if v >= 0 { #expect(div.divideNonNegative(v) == expected, "\(v) / \(d)") }
            }
            for v in [Int64.max, Int64.max - 1, Int64.min + 1] {
                let expected: Int64? = v % d == 0 ? v / d : nil
                #expect(div.divide(v) == expected, "\(v) / \(d)")
                if v >= 0 { #expect(div.divideNonNegative(v) == expected, "\(v) / \(d)") }
            }
        }
    }

    @Test func symbolsAreInlineAndUppercased() {
        let s = Symbol("btcusdt")!
        #expect(s.description == "BTCUSDT")
        #expect(s == Symbol("BTCUSDT"))
        #expect(s.lowercased == "btcusdt")
        #expect(Symbol("") == nil)
        #expect(Symbol(String(repeating: "A", count: 33)) == nil)
        #expect(Symbol("BTC\"USDT") == nil)
        #expect(Symbol(String(repeating: "A", count: 32))?.count == 32)
    }
}

@Suite("Latency histogram")
struct LatencyHistogramTests {
    @Test func quantilesCountsAndSum() {
        var h = LatencyHistogram()
        for v in 1...1000 { h.record(nanos: Int64(v) * 1000) }  // 1 µs … 1 ms
        #expect(h.total == 1000 && h.sumNanos == 500_500_000 && h.maxNanos == 1_000_000)
        let p50 = h.quantile(0.5)
        #expect(p50 >= 500_000 && p50 <= 500_000 * 5 / 4, "within one bucket (≤ 25 %) above the true median: \(p50)")
        #expect(h.quantile(1) == 1_000_000)
        #expect(h.count(atMost: 1_000_000_000) == 1000 && h.count(atMost: 10) == 0)
        let below = h.count(atMost: 100_000)
        #expect(below <= 100 && below >= 75, "whole buckets only, so at most the true 100: \(below)")
    }
}
