import MMBinanceWire
import MMBook
import MMCore
@testable import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: fills, positions and accounting")
struct SimFillTests {
    @Test func deadManTimers() {
        var timers = DeadManTimers()
        let btc = Symbol("BTCUSDT")!
        timers.set(apiKey: "k", symbol: btc, millis: 1000, nowMillis: 0)
        #expect(timers.due(nowMillis: 999).isEmpty)
        timers.set(apiKey: "k", symbol: btc, millis: 1000, nowMillis: 900)  // refreshed in time
        #expect(timers.due(nowMillis: 1500).isEmpty)
        #expect(timers.due(nowMillis: 1900).map(\.symbol) == [btc])
        #expect(timers.armed == 0, "a fired timer is disarmed")
        timers.set(apiKey: "k", symbol: btc, millis: 1000, nowMillis: 0)
        timers.set(apiKey: "k", symbol: btc, millis: 0, nowMillis: 10)
        #expect(timers.due(nowMillis: 10_000).isEmpty, "0 disarms")
        timers.set(apiKey: "a", symbol: btc, millis: 5, nowMillis: 0)
        timers.set(apiKey: "b", symbol: btc, millis: 50, nowMillis: 0)
        #expect(timers.due(nowMillis: 10).map(\.apiKey) == ["a"], "per account")
    }

    @Test func positionAccounting() {
        var p = SimPosition()
        p.apply(side: .buy, quantity: Quantity("0.010")!, price: Price("100")!)
        p.apply(side: .buy, quantity: Quantity("0.010")!, price: Price("110")!)
        #expect(p.quantity == Quantity("0.02")! && p.entryPrice == Price("105")!)
        let r1 = p.apply(side: .sell, quantity: Quantity("0.005")!, price: Price("115")!)
        #expect(r1 == Notional("0.05")!, "0.005 × (115 − 105)")
        #expect(p.quantity == Quantity("0.015")! && p.entryPrice == Price("105")!)
        // Flip: close 0.015 at 95 (−0.15), open short 0.005 at 95.
        let r2 = p.apply(side: .sell, quantity: Quantity("0.020")!, price: Price("95")!)
        #expect(r2 == Notional("-0.15")!)
        #expect(p.quantity == Quantity("-0.005")! && p.entryPrice == Price("95")!)
        #expect(p.unrealized(at: Price("90")!) == Notional("0.025")!)
        #expect(p.realized == Notional("-0.1")!)
        p.apply(side: .buy, quantity: Quantity("0.005")!, price: Price("90")!)
        #expect(p.quantity.isZero && p.entryPrice.isZero && p.realized == Notional("-0.075")!)
    }

    func venue() throws -> (SimExchange, SimMarket, TopOfBook) {
        let script = try MarketScript.load(paths: [SimOrderTests.recording])[0]
        let market = SimMarket(script: script)
        return (SimExchange(accounts: [SimAccount(id: "k")]), market, market.book.topOfBook(isSynced: true))
    }

    func trade(_ price: Price, _ qty: String, sellerAggressor: Bool) -> Trade {
        var t = Trade()
        t.symbol = Symbol("BTCUSDT")!
        t.price = price
        t.quantity = Quantity(qty)!
        t.buyerIsMaker = sellerAggressor
        return t
    }

    @Test func queuePositionModel() throws {
        var (exchange, market, top) = try venue()
        var markets = [market.symbol: market]
        let displayed = top.bidQuantity
        let bid = ["symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010", "price": top.bidPrice.description]
        let order = try exchange.newOrder(apiKey: "k", bid, markets: &markets, nowMillis: 0).get()
        #expect(order.queueAhead == displayed, "joins the back of the displayed queue")
        // Buyers lifting the ask do not touch a bid; sellers at the bid eat the queue ahead first.
        exchange.onTrade(trade(top.bidPrice, "5", sellerAggressor: false), nowMillis: 1)
        exchange.onTrade(trade(top.bidPrice, displayed.description, sellerAggressor: true), nowMillis: 1)
        #expect(exchange.openOrders(account: "k", symbol: nil).first?.executed == .zero)
        exchange.onTrade(trade(top.bidPrice, "0.004", sellerAggressor: true), nowMillis: 2)
        let partial = exchange.openOrders(account: "k", symbol: nil).first
        #expect(partial?.executed == Quantity("0.004")! && partial?.status == .partiallyFilled)
        // A trade through the price fills the rest, as maker, at the order's price.
        exchange.onTrade(trade(top.bidPrice - Price("0.1")!, "0.001", sellerAggressor: true), nowMillis: 3)
        #expect(exchange.openOrders(account: "k", symbol: nil).isEmpty)
        let account = exchange.accounts["k"]!
        #expect(account.position(Symbol("BTCUSDT")!).quantity == Quantity("0.010")!)
        #expect(account.fills.allSatisfy { $0.maker && $0.price == top.bidPrice })
        let expectedFee = Notional(raw: Int64(Int128(Notional(price: top.bidPrice, quantity: Quantity("0.010")!)!.raw) * 20_000 / 100_000_000))
        #expect(account.feesPaid == expectedFee)
        _ = (market, markets)
    }

    @Test func takerFillsAndRules() throws {
        var (exchange, market, top) = try venue()
        var markets = [market.symbol: market]
        // Reduce-only with no position is refused.
        let ro = ["symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.001", "reduceOnly": "true"]
        #expect(exchange.newOrder(apiKey: "k", ro, markets: &markets, nowMillis: 0) == .failure(.reduceOnlyRejected))
        // An IOC buy through the ask takes the displayed size at the ask.
        let take = ["symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC", "quantity": "0.002", "price": top.askPrice.description]
        let o = try exchange.newOrder(apiKey: "k", take, markets: &markets, nowMillis: 0).get()
        #expect(o.status == .filled && o.averagePrice == top.askPrice)
        // FOK for more than is displayed up to the limit expires untouched.
        #expect(top.askQuantity < Quantity("1")!)
        var fok = take
        fok["timeInForce"] = "FOK"
        fok["quantity"] = "1"
        #expect((try exchange.newOrder(apiKey: "k", fok, markets: &markets, nowMillis: 0).get()).status == .expired)
        // Flatten with a reduce-only market order.
        let flat = try exchange.newOrder(apiKey: "k", ["symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.002", "reduceOnly": "true"], markets: &markets, nowMillis: 0).get()
        #expect(flat.status == .filled && flat.averagePrice == top.bidPrice)
        let account = exchange.accounts["k"]!
        #expect(account.position(Symbol("BTCUSDT")!).quantity.isZero)
        let realized = Notional(price: top.bidPrice - top.askPrice, quantity: Quantity("0.002")!)!
        #expect(account.wallet == Notional(units: 10_000) + realized - account.feesPaid)
        #expect(account.fills.count == 2 && account.fills.allSatisfy { !$0.maker })
        // Margin: 20× leverage on 10,000 USDT cannot buy 10 BTC.
        var huge = take
        huge["quantity"] = "10"
        huge["timeInForce"] = "GTC"
        huge["price"] = top.bidPrice.description
        #expect(exchange.newOrder(apiKey: "k", huge, markets: &markets, nowMillis: 0) == .failure(.marginInsufficient))
    }
}
