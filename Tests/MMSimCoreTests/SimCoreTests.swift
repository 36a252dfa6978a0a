import MMBook
import MMCore
import MMVenue
@testable import MMSimCore
import Testing

/// The venue's core on a synthetic market: no recording, no protocol, no sockets.
@Suite("Simulated venue core: matching, positions, margin")
struct SimCoreTests {
    let btc = Symbol("BTCUSDT")!

    func venue(wallet: Notional = Notional(units: 10_000)) throws -> (SimExchange, SimMarket) {
        let instrument = try Instrument(
            symbol: btc, tickSize: "0.10", stepSize: "0.001", minQuantity: "0.001", maxQuantity: "1000", minNotional: "5",
            percentPriceUp: "1.05", percentPriceDown: "0.95")
        let script = SyntheticMarket.script(.init(seed: 7, seconds: 10, depth: 50), instrument: instrument)
        return (SimExchange(accounts: [SimAccount(id: "a", wallet: wallet)]), SimMarket(script: script))
    }

    func buy(_ q: String, kind: OrderKind = .market, price: Price = .zero, tif: TimeInForce = .goodTillCancel, leg: PositionSide = .both) -> OrderRequest {
        OrderRequest(symbol: btc, side: .buy, kind: kind, timeInForce: tif, price: price, quantity: Quantity(q)!, positionSide: leg)
    }

    func sell(_ q: String, kind: OrderKind = .market, price: Price = .zero, tif: TimeInForce = .goodTillCancel, leg: PositionSide = .both) -> OrderRequest {
        OrderRequest(symbol: btc, side: .sell, kind: kind, timeInForce: tif, price: price, quantity: Quantity(q)!, positionSide: leg)
    }

    @Test func aTakerConsumesDisplayedLiquidityAndTheBookShowsIt() throws {
        var (exchange, market) = try venue(wallet: Notional(units: 1_000_000))
        let grid = market.script.instrument.bookGrid
        let best = market.book.level(.ask, 0)!
        let second = market.book.level(.ask, 1)!
        let bestQty = grid.quantity(best.lots)
        let lastU = market.lastUpdateID
        // Exactly the best level and 0.001 of the next.
        let qty = bestQty + Quantity("0.001")!
        let o = try exchange.place(buy(qty.description), account: "a", market: &market, nowMillis: 1).get()
        #expect(o.status == .filled && o.executed == qty)
        #expect(exchange.accounts["a"]!.fills.map(\.price) == [grid.price(best.ticks), grid.price(second.ticks)], "walks the book level by level")
        #expect(grid.quantity(market.book.lots(.ask, at: best.ticks)).isZero, "the best level is gone")
        #expect(grid.quantity(market.book.lots(.ask, at: second.ticks)) == grid.quantity(second.lots) - Quantity("0.001")!)
        // A second taker now pays the thinner book's prices.
        let again = try exchange.place(buy("0.001"), account: "a", market: &market, nowMillis: 2).get()
        #expect(again.averagePrice == grid.price(second.ticks))
        // The change is published as diffs chained to the last one sent, and later steps continue the chain.
        var published: [DepthUpdate] = []
        market.advance(to: market.script.duration, nowMillis: 3) { if case .depth(let d) = $0 { published.append(d) } }
        #expect(published.count >= 3)
        #expect(published[0].prevFinalUpdateID == lastU && published[0].firstUpdateID == lastU + 1)
        #expect(published[1].prevFinalUpdateID == published[0].finalUpdateID)
        for (a, b) in zip(published, published.dropFirst()) { #expect(b.prevFinalUpdateID == a.finalUpdateID, "no gap") }
        #expect(published[0].asks.count == 2 && published[0].bids.count == 0)
    }

    @Test func hedgeModeKeepsTwoLegsAndClosesEachOnItsOwn() throws {
        var (exchange, market) = try venue()
        #expect(exchange.place(buy("0.010", leg: .long), account: "a", market: &market, nowMillis: 0) == .failure(.positionSideMismatch))
        #expect(exchange.setHedgeMode(account: "a", true) == nil)
        #expect(exchange.setHedgeMode(account: "a", true) == .positionModeUnchanged)
        #expect(exchange.place(buy("0.010"), account: "a", market: &market, nowMillis: 0) == .failure(.positionSideMismatch), "BOTH in hedge mode")
        _ = try exchange.place(buy("0.010", leg: .long), account: "a", market: &market, nowMillis: 0).get()
        _ = try exchange.place(sell("0.004", leg: .short), account: "a", market: &market, nowMillis: 0).get()
        var account = exchange.accounts["a"]!
        #expect(account.position(btc, .long).quantity == Quantity("0.010")!)
        #expect(account.position(btc, .short).quantity == Quantity("-0.004")!)
        #expect(account.position(btc).quantity == Quantity("0.006")!, "net of the legs")
        // Closing a leg is a trade against it, never past it.
        #expect(exchange.place(sell("0.011", leg: .long), account: "a", market: &market, nowMillis: 1) == .failure(.reduceOnlyRejected))
        #expect(exchange.place(buy("0.005", leg: .short), account: "a", market: &market, nowMillis: 1) == .failure(.reduceOnlyRejected))
        _ = try exchange.place(buy("0.004", leg: .short), account: "a", market: &market, nowMillis: 1).get()
        account = exchange.accounts["a"]!
        #expect(account.position(btc, .short).quantity.isZero && account.position(btc, .long).quantity == Quantity("0.010")!)
        #expect(exchange.setHedgeMode(account: "a", false) == .positionModeWithPositions)
        // Funding charges both legs.
        let before = exchange.accounts["a"]!.wallet
        exchange.settleFunding(symbol: btc, rate: Ratio(raw: 100_000), mark: Price(units: 60_000), nowMillis: 5)
        #expect(exchange.accounts["a"]!.wallet == before - Notional("0.6")!, "0.010 × 60,000 × 0.1%")
    }

    @Test func leverageMarginModeAndTheirRules() throws {
        var (exchange, market) = try venue()
        #expect(exchange.setLeverage(account: "a", symbol: btc, 0) == .failure(.leverageOutOfRange(0)))
        #expect(exchange.setLeverage(account: "a", symbol: btc, 2) == .success(2))
        // 2× on 10,000: 1 BTC (about 60,000) is too much, 0.2 is not.
        #expect(exchange.place(buy("1"), account: "a", market: &market, nowMillis: 0) == .failure(.insufficientMargin))
        _ = try exchange.place(buy("0.2"), account: "a", market: &market, nowMillis: 0).get()
        #expect(exchange.setMarginMode(account: "a", symbol: btc, .isolated) == .marginModeWithPosition)
        #expect(exchange.setMarginMode(account: "a", symbol: btc, .cross) == .marginModeUnchanged)
    }

    @Test func aMarginCallThenLiquidationAtTheMaintenanceMargin() throws {
        // 500 USDT at 20× holds about 0.16 BTC; a fall of a few percent takes it to the maintenance margin.
        var (exchange, market) = try venue(wallet: Notional(units: 500))
        _ = try exchange.place(buy("0.150"), account: "a", market: &market, nowMillis: 0).get()
        let entry = exchange.accounts["a"]!.position(btc).entryPrice
        _ = exchange.drainEvents()
        // Equity = 500 − fees + 0.15 × (mark − entry); maintenance = 0.4% × 0.15 × mark.
        func mark(equityOver ratio: Double) -> Price {
            let wallet = Double(exchange.accounts["a"]!.wallet.raw) / 1e8
            let e = Double(entry.raw) / 1e8
            // wallet + 0.15 (m − e) = ratio × 0.004 × 0.15 m
            let m = (0.15 * e - wallet) / (0.15 - ratio * 0.004 * 0.15)
            return Price(raw: Int64(m * 1e8))
        }
        exchange.checkMargins(marks: [btc: mark(equityOver: 2)], nowMillis: 1)
        #expect(exchange.drainEvents().isEmpty, "twice the maintenance margin: nothing")
        exchange.checkMargins(marks: [btc: mark(equityOver: 1.1)], nowMillis: 2)
        let call = exchange.drainEvents()
        guard case .marginCall(let asset, _, let rows)? = call.first?.event else {
            Issue.record("no margin call: \(call)")
            return
        }
        #expect(asset == "USDT" && rows.count == 1 && rows[0].quantity == Quantity("0.150")!)
        exchange.checkMargins(marks: [btc: mark(equityOver: 1.1)], nowMillis: 3)
        #expect(exchange.drainEvents().isEmpty, "warned once")
        let below = market.book.topOfBook(isSynced: true).bidPrice - Price(units: 5)
        let resting = OrderRequest(symbol: btc, side: .buy, kind: .limit, price: below, quantity: Quantity("0.001")!)
        #expect(exchange.place(resting, account: "a", market: &market, nowMillis: 3).map(\.status) == .success(.new))
        _ = exchange.drainEvents()
        let bust = mark(equityOver: 0.9)
        exchange.checkMargins(marks: [btc: bust], nowMillis: 4)
        let events = exchange.drainEvents().map(\.event)
        let account = exchange.accounts["a"]!
        #expect(account.position(btc).quantity.isZero, "closed")
        #expect(account.open.isEmpty, "its orders cancelled first")
        #expect(events.contains { if case .order(let o, .trade, _) = $0 { o.kind == .liquidation && o.side == .sell && o.status == .filled } else { false } })
        #expect(events.contains { if case .order(_, .canceled, _) = $0 { true } else { false } })
        #expect(exchange.drainLiquidations() == [Liquidation(symbol: btc, side: .sell, price: bust, averagePrice: bust, quantity: Quantity("0.150")!, timeMillis: 4)])
        #expect(account.wallet.raw >= 0, "a negative balance is cleared")
    }
}

@Suite("Simulated venue core: spot balances")
struct SpotBalanceTests {
    let btc = Symbol("BTCUSDT")!

    func venue() throws -> (SimExchange, SimMarket) {
        let instrument = try Instrument(symbol: btc, tickSize: "0.10", stepSize: "0.001", minQuantity: "0.001", maxQuantity: "1000", minNotional: "5")
        let script = SyntheticMarket.script(.init(seed: 3, seconds: 10, depth: 50), instrument: instrument)
        var exchange = SimExchange(accounts: [SimAccount(id: "s", spot: ["USDT": Notional(units: 1_000), "BTC": Notional("0.01")!])])
        exchange.spotPairs[btc] = SpotPair(base: "BTC", quote: "USDT")
        return (exchange, SimMarket(script: script))
    }

    @Test func ordersLockReleaseAndSettleBalances() throws {
        var (exchange, market) = try venue()
        let top = market.book.topOfBook(isSynced: true)
        // A resting buy holds its cost in USDT; cancelling gives it back.
        let bidPrice = top.bidPrice - Price(units: 10)
        let bid = OrderRequest(symbol: btc, side: .buy, kind: .limit, price: bidPrice, quantity: Quantity("0.010")!)
        let resting = try exchange.place(bid, account: "s", market: &market, nowMillis: 0).get()
        let cost = Notional(price: bidPrice, quantity: Quantity("0.010")!)!
        #expect(exchange.accounts["s"]!.balance("USDT") == AssetBalance(free: Notional(units: 1_000) - cost, locked: cost))
        _ = try exchange.cancel(.venue(resting.orderID), account: "s", nowMillis: 1).get()
        #expect(exchange.accounts["s"]!.balance("USDT") == AssetBalance(free: Notional(units: 1_000)))
        // More than the free balance is refused; no position, no margin.
        let tooMuch = OrderRequest(symbol: btc, side: .sell, kind: .market, quantity: Quantity("0.011")!)
        #expect(exchange.place(tooMuch, account: "s", market: &market, nowMillis: 2) == .failure(.insufficientBalance))
        #expect(exchange.place(OrderRequest(symbol: btc, side: .sell, kind: .market, quantity: Quantity("0.001")!, positionSide: .long), account: "s", market: &market, nowMillis: 2) == .failure(.positionSideMismatch))
        // A market sell pays the base and receives the quote less the taker fee, in the quote.
        let sold = try exchange.place(OrderRequest(symbol: btc, side: .sell, kind: .market, quantity: Quantity("0.004")!), account: "s", market: &market, nowMillis: 3).get()
        let proceeds = sold.cumQuote
        let fee = Notional(raw: proceeds.raw * 50_000 / 100_000_000)
        var account = exchange.accounts["s"]!
        #expect(account.balance("BTC") == AssetBalance(free: Notional("0.006")!))
        #expect(account.balance("USDT") == AssetBalance(free: Notional(units: 1_000) + proceeds - fee))
        #expect(account.fills.last?.commissionAsset == "USDT" && account.positions.isEmpty)
        // A limit buy through the ask fills at the ask: the difference to its limit comes back, the fee is in BTC.
        let limit = top.askPrice + Price(units: 5)
        let usdtBefore = account.balance("USDT").free
        let bought = try exchange.place(
            OrderRequest(symbol: btc, side: .buy, kind: .limit, timeInForce: .immediateOrCancel, price: limit, quantity: Quantity("0.002")!),
            account: "s", market: &market, nowMillis: 4).get()
        account = exchange.accounts["s"]!
        #expect(bought.status == .filled && bought.averagePrice <= limit)
        #expect(account.balance("USDT") == AssetBalance(free: usdtBefore - bought.cumQuote), "nothing stays locked")
        #expect(account.balance("BTC").free == Notional("0.008")! - Notional(raw: 200_000 * 50_000 / 100_000_000))
        #expect(account.fills.last?.commissionAsset == "BTC")
        // Spot orders are replaced, not amended.
        let again = try exchange.place(bid, account: "s", market: &market, nowMillis: 5).get()
        #expect(exchange.amend(.venue(again.orderID), side: .buy, price: bidPrice - Price(units: 1), quantity: again.quantity, account: "s", market: market, nowMillis: 6) == .failure(.cannotModify))
    }
}
