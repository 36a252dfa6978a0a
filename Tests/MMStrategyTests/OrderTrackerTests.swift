import MMCore
import MMExecution
import Testing

@Suite("Order tracker")
struct OrderTrackerTests {
    let btc = Symbol("BTCUSDT")!

    func report(_ id: String, _ side: Side, x: ExecutionType, status: OrderStatus, last: String = "0", price: String = "0", cum: String = "0", fee: String = "0", rp: String = "0", trade: Int64 = 0) -> ExecutionReport {
        ExecutionReport(
            symbol: btc, clientOrderID: id, venueOrderID: VenueOrderID(7), side: side, orderType: "LIMIT", timeInForce: "GTX",
            quantity: Quantity("0.002")!, price: Price("60000")!, averagePrice: .zero, stopPrice: .zero, execution: x, status: status,
            lastQuantity: Quantity(last)!, lastPrice: Price(price)!, cumulativeQuantity: Quantity(cum)!, commission: Notional(fee)!,
            commissionAsset: "USDT", tradeID: trade, isMaker: true, reduceOnly: false, realizedPnL: Notional(rp)!, eventTime: UnixNanos(0),
            transactionTime: UnixNanos(0))
    }

    @Test func ordersMoveThroughTheirStatesAndFillsMoveThePosition() {
        var t = OrderTracker(symbol: btc)
        let a = ClientOrderID("mmq-x-1")!
        t.sent(a, .buy, price: Price("60000")!, quantity: Quantity("0.002")!, nowNanos: 0)
        #expect(t.exposure().buy == Quantity("0.002")! && t.quotable().count == 1)
        #expect(t.apply(report("mmq-x-1", .buy, x: .new, status: .new)).status == .acknowledged(a))
        let half = t.apply(report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: "0.001", price: "60000", cum: "0.001", fee: "0.012", trade: 1))
        #expect(half.fill != nil && t.position == Quantity("0.001")! && t.entryPrice == Price("60000")!)
        // A replayed report of the same trade is not counted twice.
        _ = t.apply(report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: "0.001", price: "60000", cum: "0.001", fee: "0.012", trade: 1))
        #expect(t.position == Quantity("0.001")! && t.fillCount == 1)
        let done = t.apply(report("mmq-x-1", .buy, x: .trade, status: .filled, last: "0.001", price: "60010", cum: "0.002", fee: "0.012", trade: 2))
        #expect(done.status == .closed(a, .filled) && t.orders.isEmpty)
        #expect(t.position == Quantity("0.002")! && t.entryPrice == Price("60005")!, "volume-weighted entry")
        #expect(t.unrealized(at: Price("60105")!) == Notional("0.2")!)
        #expect(t.fees == Notional("0.024")! && t.realizedNet == Notional("-0.024")!)

        // Closing at a profit: the venue's realized PnL is used.
        let b = ClientOrderID("mmq-x-2")!
        t.sent(b, .sell, price: Price("60100")!, quantity: Quantity("0.002")!, nowNanos: 0)
        _ = t.apply(report("mmq-x-2", .sell, x: .trade, status: .filled, last: "0.002", price: "60100", cum: "0.002", fee: "0.024", rp: "0.19", trade: 3))
        #expect(t.position == .zero && t.entryPrice == .zero && t.realized == Notional("0.19")!)
        #expect(t.maxAbsPosition == Quantity("0.002")!)
    }

    /// Found by the user-stream fuzzer: `"l":"0000080000000000.0000000200"` (8·10^10) overflowed the position.
    @Test func absurdFiguresAreRefusedAndNeverTrap() {
        var t = OrderTracker(symbol: btc)
        let huge = "80000000000.000000020"
        for (n, r) in [
            report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: huge, price: "60000", cum: "0.001", trade: 1),
            report("mmq-x-1", .sell, x: .trade, status: .partiallyFilled, last: "0.001", price: huge, cum: "0.001", trade: 2),
            report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: "0.001", price: "60000", cum: "0.001", rp: "-" + huge, trade: 3),
            report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, last: "0.001", price: "60000", cum: "-0.001", trade: 4),
        ].enumerated() {
            #expect(!OrderTracker.isPlausible(r))
            let (fill, status) = t.apply(r)
            #expect(fill == nil && status == nil && t.implausibleReports == n + 1)
        }
        #expect(t.position == .zero && t.fillCount == 0 && t.realized == .zero)
        t.setPosition(Quantity(raw: .min), entryPrice: Price("60000")!)
        #expect(t.position == .zero && t.implausibleReports == 5)

        // The largest plausible fills, many times over: totals clamp, nothing traps.
        let big = Quantity(raw: OrderTracker.plausibleMagnitude)
        for n in 1...200 {
            var r = report("mmq-x-1", .buy, x: .trade, status: .partiallyFilled, price: "1000000000", trade: Int64(100 + n))
            r.lastQuantity = big
            r.realizedPnL = Notional(raw: OrderTracker.plausibleMagnitude)
            r.commission = Notional(raw: -OrderTracker.plausibleMagnitude)
            #expect(OrderTracker.isPlausible(r))
            _ = t.apply(r)
        }
        #expect(t.position.raw == .max && t.volume.raw == .max && t.realized.raw == .max && t.fees.raw == .min)
        #expect(t.maxAbsPosition.raw == .max && t.unrealized(at: Price("1")!).raw == .min)
    }

    @Test func rejectionsAndCancels() {
        var t = OrderTracker(symbol: btc)
        let a = ClientOrderID("mmq-x-1")!
        t.sent(a, .sell, price: Price("60000")!, quantity: Quantity("0.002")!, nowNanos: 0)
        #expect(t.rejected(a, code: -5022) == .rejected(a, code: -5022) && t.orders.isEmpty, "post-only refusal: gone")
        t.sent(a, .sell, price: Price("60000")!, quantity: Quantity("0.002")!, nowNanos: 0)
        t.acknowledged(a, venueOrderID: VenueOrderID(1))
        t.cancelSent(a, nowNanos: 1)
        #expect(t.quotable().isEmpty && t.exposure().count == 1, "a pending cancel is not quotable but still counts")
        _ = t.rejected(a, code: -1001)
        #expect(t.orders[a]?.state == .open, "a failed cancel leaves the order open")
        t.cancelSent(a, nowNanos: 2)
        _ = t.rejected(a, code: -2011)
        #expect(t.orders.isEmpty, "unknown order on cancel: already gone")
    }

    @Test func clientOrderIDs() {
        let prefix = ClientOrderID("mmq-abc-")!
        #expect(ClientOrderID(prefix: prefix, sequence: 1234)?.description == "mmq-abc-1234")
        #expect(ClientOrderID(prefix: prefix, sequence: 0)?.description == "mmq-abc-0")
        #expect(ClientOrderID(String(repeating: "a", count: 36)) != nil)
        #expect(ClientOrderID(String(repeating: "a", count: 37)) == nil)
        #expect(ClientOrderID("has space") == nil && ClientOrderID("") == nil)
        #expect(ClientOrderID(prefix: ClientOrderID(String(repeating: "a", count: 34))!, sequence: 123) == nil)
        #expect(ClientOrderID("mmq-abc-9")!.hasPrefix(prefix) && !ClientOrderID("xx")!.hasPrefix(prefix))
    }
}
