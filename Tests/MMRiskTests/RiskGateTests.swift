import MMBook
import MMCore
import MMRisk
import TestSupport
import Testing

@Suite("Risk gate")
struct RiskGateTests {
    // The seed system's live settings: ETHUSDC, baseSize 0.008, dailyMax 5, netMax 0.01, stopLoss −10.
    let eth = try! Instrument(symbol: Symbol("ETHUSDC")!, tickSize: "0.01", stepSize: "0.001", minQuantity: "0.001", minNotional: "5")
    let limits = RiskLimits(
        maxOrderNotional: Notional(units: 100), maxNetPosition: Quantity("0.01")!, dailyLossLimit: Notional(units: 5),
        stopLoss: Notional(units: -10), maxDrawdown: Notional(units: 8), priceBandBps: 50, maxBookAgeMillis: 2_000,
        maxUserStreamAgeMillis: 60_000, maxOrdersPerSecond: 5, maxOpenOrders: 4)

    var top: TopOfBook {
        TopOfBook(
            bidPrice: Price("3000.00")!, bidQuantity: Quantity("1")!, askPrice: Price("3000.02")!, askQuantity: Quantity("1")!,
            updateID: 1, eventTimeMillis: 0, hasBid: true, hasAsk: true, isSynced: true)
    }

    func buy(_ qty: String = "0.008", at price: String = "2999.90", reduceOnly: Bool = false) -> OrderIntent {
        OrderIntent(side: .buy, price: Price(price)!, quantity: Quantity(qty)!, reduceOnly: reduceOnly)
    }

    @Test func acceptsAQuoteWithinEveryLimit() {
        var gate = RiskGate(instrument: eth, limits: limits)
        #expect(gate.check(buy(), RiskContext(top: top)) == .accept)
    }

    @Test("each rule rejects with its code", arguments: [
        ("off tick", RiskRejection.offTick), ("off step", .offStep), ("min notional", .notionalBelowMin),
        ("order notional", .orderNotional), ("position", .positionLimit), ("price band", .priceBand),
        ("stale book", .staleBook), ("unsynced book", .staleBook), ("stale user stream", .staleUserStream),
        ("open orders", .openOrders),
    ])
    func rules(name: String, code: RiskRejection) {
        var gate = RiskGate(instrument: eth, limits: limits)
        var context = RiskContext(top: top)
        var intent = buy()
        switch name {
        case "off tick": intent.price = Price("2999.905")!
        case "off step": intent.quantity = Quantity("0.0085")!
        case "min notional": intent.quantity = Quantity("0.001")!
        case "order notional":
            gate.limits.maxNetPosition = Quantity("1")!
            intent.quantity = Quantity("0.04")!
        case "position": context.openBuy = Quantity("0.005")!
        case "price band": intent.price = Price("2980.00")!
        case "stale book": context.bookAgeMillis = 5_000
        case "unsynced book": context.top.isSynced = false
        case "stale user stream": context.userStreamAgeMillis = 120_000
        default: context.openOrders = 4
        }
        #expect(gate.check(intent, context) == .reject(code), "\(name)")
        #expect(gate.rejections[code] == 1)
    }

    @Test("loss limits halt trading until reset", arguments: [
        (Notional(units: -3), Notional(units: -2), RiskRejection.dailyLossLimit),
        (Notional(units: -4), Notional(units: -7), .stopLoss),
    ])
    func lossLimits(realized: Notional, unrealized: Notional, reason: RiskRejection) {
        var gate = RiskGate(instrument: eth, limits: limits)
        let losing = RiskContext(realizedToday: realized, unrealized: unrealized, top: top)
        #expect(gate.evaluate(losing) == .halted && gate.haltReason == reason)
        #expect(gate.check(buy(), RiskContext(top: top)) == .reject(.halted), "stays halted once PnL recovers")
        // Flattening a long is still allowed.
        let long = RiskContext(position: Quantity("0.008")!, top: top)
        let flatten = OrderIntent(side: .sell, price: Price("3000.10")!, quantity: Quantity("0.008")!, reduceOnly: true)
        #expect(gate.check(flatten, long) == .accept)
        gate.reset()
        #expect(gate.check(buy(), RiskContext(top: top)) == .accept)
    }

    @Test func drawdownFromThePeak() {
        var gate = RiskGate(instrument: eth, limits: limits)
        _ = gate.evaluate(RiskContext(realizedToday: Notional(units: 6), top: top))
        #expect(gate.evaluate(RiskContext(realizedToday: Notional(units: 1), top: top)) == .active)
        #expect(gate.evaluate(RiskContext(realizedToday: Notional(units: -2), top: top)) == .halted)
        #expect(gate.haltReason == .drawdown)
    }

    @Test func aNewDayRestartsTheDrawdownPeak() {
        var gate = RiskGate(instrument: eth, limits: limits)
        _ = gate.evaluate(RiskContext(realizedToday: Notional(units: 6), top: top))
        gate.startNewDay()
        // Today's PnL restarts at zero: -2 from a 0 peak is within the 8-unit drawdown, as yesterday's 6 no longer counts.
        #expect(gate.evaluate(RiskContext(realizedToday: Notional(units: -2), top: top)) == .active)
        #expect(gate.peakPnL == .zero)
    }

    @Test func reducingStateAndOrderRate() {
        var gate = RiskGate(instrument: eth, limits: limits)
        gate.reduceOnly()
        #expect(gate.check(buy(), RiskContext(top: top)) == .reject(.reduceOnlyState))
        gate.reset()
        for i in 0..<5 {
            #expect(gate.check(buy(), RiskContext(top: top, nowNanos: Int64(i) * 100_000_000)) == .accept)
        }
        #expect(gate.check(buy(), RiskContext(top: top, nowNanos: 500_000_000)) == .reject(.orderRate))
        #expect(gate.check(buy(), RiskContext(top: top, nowNanos: 1_050_000_000)) == .accept, "the window slides")
    }

    /// Whatever the strategy asks and however fills land, the worst-case position never passes netMax.
    @Test("accepted orders keep the worst case within netMax", arguments: [1, 2, 3, 4] as [UInt64])
    func positionInvariant(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var gate = RiskGate(instrument: eth, limits: limits)
        var position: Int64 = 0
        var openBuy: Int64 = 0
        var openSell: Int64 = 0
        let step = eth.stepSize.raw
        let netMax = limits.maxNetPosition.raw
        for n in 0..<5_000 {
            let side: Side = Bool.random(using: &rng) ? .buy : .sell
            let qty = Int64.random(in: 1...12, using: &rng) * step
            let price = side == .buy ? Price("2999.50")! : Price("3000.50")!
            let context = RiskContext(
                position: Quantity(raw: position), openBuy: Quantity(raw: openBuy), openSell: Quantity(raw: openSell),
                top: top, nowNanos: Int64(n) * 1_000_000_000)
            if gate.check(OrderIntent(side: side, price: price, quantity: Quantity(raw: qty)), context) == .accept {
                if side == .buy { openBuy += qty } else { openSell += qty }
            }
            #expect(position + openBuy <= netMax && position - openSell >= -netMax, "step \(n)")
            // Random fills and cancels.
            if openBuy > 0 && Bool.random(using: &rng) {
                let f = Int64.random(in: 1...(openBuy / step), using: &rng) * step
                openBuy -= f
                position += f
            }
            if openSell > 0 && Bool.random(using: &rng) {
                let f = Int64.random(in: 1...(openSell / step), using: &rng) * step
                openSell -= f
                position -= f
            }
            if Int.random(in: 0..<10, using: &rng) == 0 {
                openBuy = 0
                openSell = 0
            }
        }
    }
}
