import MMBook
import MMCore
import NIOHTTP1

/// The public market-data endpoints beyond the book: trades, candles, tickers, mark price and funding,
/// open interest. Shapes, defaults, limits and errors as Binance documents them.
extension StreamHub {
    /// The answer to a public request (REST, or the WebSocket API's `depth` and tickers).
    func publicAnswer(_ method: HTTPMethod, _ path: String, _ query: Query, webSocketAPI: Bool = false) -> (HTTPResponseStatus, [UInt8]) {
        if method == .GET && path == "/fapi/v1/depth" { return depth(query) }
        // The WebSocket API's `ticker.book` also names the book update it reflects.
        if webSocketAPI && path == "/fapi/v1/ticker/bookTicker" { return perSymbol(query) { bookTicker($0, updateID: true) } }
        return marketData(method, path, query) ?? VenueError.invalidPath(path, method.rawValue).reply
    }

    /// `GET /fapi/v1/depth`.
    func depth(_ query: Query) -> (HTTPResponseStatus, [UInt8]) {
        guard let name = query["symbol"], !name.isEmpty else {
            return VenueError.mandatory("symbol").reply
        }
        guard let symbol = Symbol(name), name == name.uppercased(), markets[symbol] != nil else {
            return VenueError.badSymbol.reply
        }
        var limit = 500
        if let text = query["limit"] {
            guard let l = Int(text), [5, 10, 20, 50, 100, 500, 1000].contains(l) else {
                return VenueError.badDepthLimit.reply
            }
            limit = l
        }
        return (.ok, depthBody(symbol: symbol, limit: limit) ?? [])
    }


    /// The reply for a public market-data path, or nil when `path` is not one.
    func marketData(_ method: HTTPMethod, _ path: String, _ query: Query) -> (HTTPResponseStatus, [UInt8])? {
        guard method == .GET else { return nil }
        switch path {
        case "/fapi/v1/trades": return symbolRequired(query) { (m: SimMarket) throws(VenueError) -> String in try recentTrades(m, query) }
        case "/fapi/v1/historicalTrades": return symbolRequired(query) { (m: SimMarket) throws(VenueError) -> String in try recentTrades(m, query) }
        case "/fapi/v1/aggTrades": return symbolRequired(query) { (m: SimMarket) throws(VenueError) -> String in try aggTrades(m, query) }
        case "/fapi/v1/klines": return symbolRequired(query) { (m: SimMarket) throws(VenueError) -> String in try klines(m.tape.trades, m, query, volumes: true) }
        case "/fapi/v1/markPriceKlines": return symbolRequired(query) { (m: SimMarket) throws(VenueError) -> String in try klines(m.tape.marks, m, query, volumes: false) }
        case "/fapi/v1/indexPriceKlines": return symbolRequired(query, key: "pair") { (m: SimMarket) throws(VenueError) -> String in try klines(m.tape.indexes, m, query, volumes: false) }
        case "/fapi/v1/ticker/24hr": return perSymbol(query) { ticker24h($0) }
        case "/fapi/v1/ticker/price", "/fapi/v2/ticker/price": return perSymbol(query) { priceTicker($0) }
        case "/fapi/v1/ticker/bookTicker": return perSymbol(query) { bookTicker($0) }
        case "/fapi/v1/premiumIndex": return perSymbol(query) { premiumIndex($0) }
        case "/fapi/v1/fundingInfo":
            let list = markets.keys.sorted().map { s in
                #"{"symbol":"\#(s)","adjustedFundingRateCap":"0.02000000","adjustedFundingRateFloor":"-0.02000000","fundingIntervalHours":\#(markets[s]!.fundingIntervalHours),"disclaimer":false}"#
            }
            return (.ok, Array(("[" + list.joined(separator: ",") + "]").utf8))
        case "/fapi/v1/fundingRate": return fundingHistory(query)
        case "/fapi/v1/openInterest": return symbolRequired(query) { (m: SimMarket) throws(VenueError) -> String in openInterest(m) }
        default: return nil
        }
    }

    /// Runs `body` for the market named by `symbol` (or `key`), with Binance's errors for a missing or
    /// unknown one; a thrown `VenueError` is the reply.
    private func symbolRequired(
        _ query: Query, key: String = "symbol", _ body: (SimMarket) throws(VenueError) -> String
    ) -> (HTTPResponseStatus, [UInt8]) {
        guard let name = query[key], !name.isEmpty else { return VenueError.mandatory(key).reply }
        guard let symbol = Symbol(name), name == name.uppercased(), let market = markets[symbol] else {
            return VenueError.badSymbol.reply
        }
        do {
            return (.ok, Array(try body(market).utf8))
        } catch {
            return error.reply
        }
    }

    /// One object for `symbol`, or an array over every symbol when it is not sent.
    private func perSymbol(_ query: Query, _ render: (SimMarket) -> String) -> (HTTPResponseStatus, [UInt8]) {
        if let name = query["symbol"] {
            guard let symbol = Symbol(name), name == name.uppercased(), let market = markets[symbol] else {
                return VenueError.badSymbol.reply
            }
            return (.ok, Array(render(market).utf8))
        }
        let all = markets.keys.sorted().map { render(markets[$0]!) }
        return (.ok, Array(("[" + all.joined(separator: ",") + "]").utf8))
    }

    /// `limit` within 1…max (default when absent), else `-1130`.
    private func limit(_ query: Query, default value: Int, max: Int) throws(VenueError) -> Int {
        guard let text = query["limit"] else { return value }
        guard let n = Int(text), n >= 1 else { throw VenueError.invalidParameter("limit") }
        return min(n, max)
    }

    private func millis(_ query: Query, _ name: String) throws(VenueError) -> Int64? {
        guard let text = query[name] else { return nil }
        guard let v = Int64(text) else { throw VenueError.invalidParameter(name) }
        return v
    }

    private func recentTrades(_ m: SimMarket, _ query: Query) throws(VenueError) -> String {
        let n = try limit(query, default: 500, max: 1000)
        let i = m.script.instrument
        let list = m.tape.recent(limit: n).map { t in
            let quote = Notional(price: t.price, quantity: t.quantity) ?? .zero
            return #"{"id":\#(t.id),"price":"\#(t.price.formatted(minFractionDigits: i.priceFractionDigits))","qty":"\#(t.quantity.formatted(minFractionDigits: i.quantityFractionDigits))","quoteQty":"\#(quote)","time":\#(t.timeMillis),"isBuyerMaker":\#(t.buyerIsMaker),"isRPITrade":false}"#
        }
        return "[" + list.joined(separator: ",") + "]"
    }

    private func aggTrades(_ m: SimMarket, _ query: Query) throws(VenueError) -> String {
        let n = try limit(query, default: 500, max: 1000)
        let fromID = try millis(query, "fromId")
        let start = try millis(query, "startTime")
        let end = try millis(query, "endTime")
        if let start, let end, end - start > 3_600_000 || end < start { throw VenueError(-1127, "More than 1 hours between startTime and endTime.") }
        let i = m.script.instrument
        let list = m.tape.trades(fromID: fromID, start: start, end: end, limit: n).map { t in
            #"{"a":\#(t.id),"p":"\#(t.price.formatted(minFractionDigits: i.priceFractionDigits))","q":"\#(t.quantity.formatted(minFractionDigits: i.quantityFractionDigits))","nq":"\#(t.quantity.formatted(minFractionDigits: i.quantityFractionDigits))","f":\#(t.id),"l":\#(t.id),"T":\#(t.timeMillis),"m":\#(t.buyerIsMaker)}"#
        }
        return "[" + list.joined(separator: ",") + "]"
    }

    private func klines(_ series: CandleSeries, _ m: SimMarket, _ query: Query, volumes: Bool) throws(VenueError) -> String {
        guard let name = query["interval"], !name.isEmpty else { throw VenueError.mandatory("interval") }
        guard let interval = CandleInterval(name) else { throw VenueError(-1120, "Invalid interval.") }
        let n = try limit(query, default: 500, max: 1500)
        let start = try millis(query, "startTime")
        let end = try millis(query, "endTime")
        let pd = m.script.instrument.priceFractionDigits
        let qd = m.script.instrument.quantityFractionDigits
        let list = series.candles(interval, start: start, end: end, limit: n).map { c in
            let close = interval.next(after: c.openTime) - 1
            let prices = [c.open, c.high, c.low, c.close].map { #""\#($0.formatted(minFractionDigits: pd))""# }.joined(separator: ",")
            guard volumes else { return #"[\#(c.openTime),\#(prices),"0",\#(close),"0",\#(c.count),"0","0","0"]"# }
            return #"[\#(c.openTime),\#(prices),"\#(c.volume.formatted(minFractionDigits: qd))",\#(close),"\#(c.quoteVolume)",\#(c.count),"\#(c.takerBuyVolume.formatted(minFractionDigits: qd))","\#(c.takerBuyQuoteVolume)","0"]"#
        }
        return "[" + list.joined(separator: ",") + "]"
    }

    private func ticker24h(_ m: SimMarket) -> String {
        let d = DayStats(m, nowMillis: nowMillis())
        let (p, q) = (d.price, d.quantity)
        return #"{"symbol":"\#(m.symbol)","priceChange":"\#(p(d.change))","priceChangePercent":"\#(d.percent.formatted(minFractionDigits: 3))","weightedAvgPrice":"\#(p(d.vwap))","lastPrice":"\#(p(d.last))","lastQty":"\#(q(d.lastQuantity))","openPrice":"\#(p(d.open))","highPrice":"\#(p(d.high))","lowPrice":"\#(p(d.low))","volume":"\#(q(d.volume))","quoteVolume":"\#(d.quoteVolume)","openTime":\#(d.openTime),"closeTime":\#(d.closeTime),"firstId":\#(d.firstID),"lastId":\#(d.lastID),"count":\#(d.count)}"#
    }

    private func priceTicker(_ m: SimMarket) -> String {
        let price = m.tape.last?.price ?? m.book.topOfBook(isSynced: true).mid ?? .zero
        return #"{"symbol":"\#(m.symbol)","price":"\#(price.formatted(minFractionDigits: m.script.instrument.priceFractionDigits))","time":\#(nowMillis())}"#
    }

    private func bookTicker(_ m: SimMarket, updateID: Bool = false) -> String {
        let top = m.book.topOfBook(isSynced: true)
        let pd = m.script.instrument.priceFractionDigits
        let qd = m.script.instrument.quantityFractionDigits
        return #"{"symbol":"\#(m.symbol)","bidPrice":"\#(top.bidPrice.formatted(minFractionDigits: pd))","bidQty":"\#(top.bidQuantity.formatted(minFractionDigits: qd))","askPrice":"\#(top.askPrice.formatted(minFractionDigits: pd))","askQty":"\#(top.askQuantity.formatted(minFractionDigits: qd))","time":\#(nowMillis())\#(updateID ? ",\"lastUpdateId\":\(m.lastUpdateID)" : "")}"#
    }

    private func premiumIndex(_ m: SimMarket) -> String {
        let now = nowMillis()
        let mark = m.markPrice
        return #"{"symbol":"\#(m.symbol)","markPrice":"\#(mark.formatted(minFractionDigits: 8))","indexPrice":"\#(mark.formatted(minFractionDigits: 8))","estimatedSettlePrice":"\#(mark.formatted(minFractionDigits: 8))","lastFundingRate":"\#(m.fundingRate.formatted(minFractionDigits: 8))","interestRate":"0.00010000","nextFundingTime":\#(m.nextFundingTime(after: now)),"time":\#(now)}"#
    }

    private func fundingHistory(_ query: Query) -> (HTTPResponseStatus, [UInt8]) {
        var symbol: Symbol?
        if let name = query["symbol"] {
            guard let s = Symbol(name), markets[s] != nil else { return VenueError.badSymbol.reply }
            symbol = s
        }
        let n: Int
        let start: Int64?
        let end: Int64?
        do {
            n = try limit(query, default: 100, max: 1000)
            start = try millis(query, "startTime")
            end = try millis(query, "endTime")
        } catch {
            return error.reply
        }
        var rows = markets.keys.sorted().filter { symbol == nil || $0 == symbol }.flatMap { s in markets[s]!.fundings.map { (s, $0) } }
        rows = rows.filter { row in row.1.timeMillis >= (start ?? .min) && row.1.timeMillis <= (end ?? .max) }
        rows.sort { $0.1.timeMillis < $1.1.timeMillis }
        let picked = start != nil ? Array(rows.prefix(n)) : Array(rows.suffix(start == nil && end == nil && query["limit"] == nil ? 200 : n))
        let list = picked.map { s, f in
            #"{"symbol":"\#(s)","fundingRate":"\#(f.rate.formatted(minFractionDigits: 8))","fundingTime":\#(f.timeMillis),"markPrice":"\#(f.markPrice.formatted(minFractionDigits: 8))"}"#
        }
        return (.ok, Array(("[" + list.joined(separator: ",") + "]").utf8))
    }

    private func openInterest(_ m: SimMarket) -> String {
        // What the venue's accounts hold, long side (every long has a short somewhere).
        var longs = Quantity.zero
        for a in exchange.accounts.values { for (k, p) in a.positions where k.symbol == m.symbol && p.quantity.raw > 0 { longs += p.quantity } }
        var shorts = Quantity.zero
        for a in exchange.accounts.values { for (k, p) in a.positions where k.symbol == m.symbol && p.quantity.raw < 0 { shorts -= p.quantity } }
        let oi = max(longs, shorts)
        return #"{"openInterest":"\#(oi.formatted(minFractionDigits: m.script.instrument.quantityFractionDigits))","symbol":"\#(m.symbol)","time":\#(nowMillis())}"#
    }
}

/// A symbol's rolling 24 hours, as the 24 h ticker (REST and streams) reports it.
struct DayStats {
    var open, high, low, last, change, vwap: Price
    var percent: Ratio
    var lastQuantity, volume: Quantity
    var quoteVolume: Notional
    var openTime, closeTime, firstID, lastID: Int64
    var count: Int
    let priceDigits: Int
    let quantityDigits: Int

    init(_ m: SimMarket, nowMillis now: Int64) {
        let day: Int64 = 86_400_000
        let mid = m.book.topOfBook(isSynced: true).mid ?? .zero
        let w = m.tape.trades.window(endingAt: now, span: day)
        open = w?.open ?? mid
        high = w?.high ?? mid
        low = w?.low ?? mid
        last = m.tape.last?.price ?? mid
        lastQuantity = m.tape.last?.quantity ?? .zero
        change = last - open
        // Percent with three decimals, and the volume-weighted average, both from exact integers.
        percent = open.raw == 0 ? .zero : Ratio(raw: Int64(Int128(change.raw) * 100 * Int128(FixedPointScale.unit) / Int128(open.raw)))
        volume = w?.volume ?? .zero
        quoteVolume = w?.quoteVolume ?? .zero
        vwap = volume.raw == 0 ? .zero : Price(raw: Int64(Int128(quoteVolume.raw) * Int128(FixedPointScale.unit) / Int128(volume.raw)))
        let ids = m.tape.ids(since: now - day)
        (firstID, lastID) = ids
        count = w?.count ?? 0
        openTime = now - day
        closeTime = now
        priceDigits = m.script.instrument.priceFractionDigits
        quantityDigits = m.script.instrument.quantityFractionDigits
    }

    func price(_ v: Price) -> String { v.formatted(minFractionDigits: priceDigits) }
    func quantity(_ v: Quantity) -> String { v.formatted(minFractionDigits: quantityDigits) }
}
