import MMBook
import MMCore
import NIOCore
import NIOWebSocket

/// The streams that push on a clock rather than on every change: partial depth, mark price, klines,
/// tickers and mini tickers (single and all-market), and the all-market book tickers.
extension StreamHub {
    /// Sends every periodic stream that is due, rendered once per stream name.
    func publishPeriodic(nowMillis now: Int64, touched: inout [ObjectIdentifier: Channel]) {
        var due: [String: [String]] = [:]
        for sub in subscribers.values {
            for stream in sub.streams where due[stream.name] == nil && sub.route.carries(stream.kind) {
                guard let period = stream.periodMillis, !Self.isAggregatedDiff(stream.kind) else { continue }
                let at = nextPeriodic[stream.name] ?? now
                guard now >= at else { continue }
                nextPeriodic[stream.name] = (now / Int64(period) + 1) * Int64(period)
                due[stream.name] = payloads(stream, nowMillis: now)
            }
        }
        guard !due.isEmpty else { return }
        for (id, sub) in subscribers {
            for stream in sub.streams where sub.route.carries(stream.kind) {
                guard let messages = due[stream.name] else { continue }
                for text in messages {
                    let framed = sub.combined ? #"{"stream":"\#(stream.name)","data":\#(text)}"# : text
                    sub.channel.write(WebSocketFrame(fin: true, opcode: .text, data: sub.channel.allocator.buffer(string: framed)), promise: nil)
                    touched[id] = sub.channel
                }
            }
        }
    }

    static func isAggregatedDiff(_ kind: StreamName.Kind) -> Bool {
        if case .depth = kind { return true }
        return false
    }

    /// The messages a periodic stream sends now (several for `!bookTicker`, one otherwise).
    private func payloads(_ stream: StreamName, nowMillis now: Int64) -> [String] {
        let symbols = stream.symbol.map { [$0] } ?? markets.keys.sorted()
        let chosen = symbols.compactMap { markets[$0] }
        guard !chosen.isEmpty else { return [] }
        func array(_ items: [String]) -> String { stream.symbol == nil ? "[" + items.joined(separator: ",") + "]" : items[0] }
        switch stream.kind {
        case .partialDepth(let levels, _):
            let m = chosen[0]
            let previous = lastPartialU[stream.name] ?? m.lastUpdateID
            lastPartialU[stream.name] = m.lastUpdateID
            let i = m.script.instrument
            func side(_ s: BookSide) -> String {
                m.book.levels(s, limit: levels).map {
                    #"["\#($0.price.formatted(minFractionDigits: i.priceFractionDigits))","\#($0.quantity.formatted(minFractionDigits: i.quantityFractionDigits))"]"#
                }.joined(separator: ",")
            }
            return [#"{"e":"depthUpdate","E":\#(now),"T":\#(now),"s":"\#(m.symbol)","U":\#(min(previous + 1, m.lastUpdateID)),"u":\#(m.lastUpdateID),"pu":\#(previous),"b":[\#(side(.bid))],"a":[\#(side(.ask))]}"#]
        case .markPrice:
            return [array(chosen.map { m in
                let mark = m.markPrice.formatted(minFractionDigits: 8)
                return #"{"e":"markPriceUpdate","E":\#(now),"s":"\#(m.symbol)","p":"\#(mark)","ap":"\#(mark)","i":"\#(mark)","P":"\#(mark)","r":"\#(m.fundingRate.formatted(minFractionDigits: 8))","T":\#(m.nextFundingTime(after: now))}"#
            })]
        case .kline(let name):
            let m = chosen[0]
            guard let interval = CandleInterval(name) else { return [] }
            let start = interval.start(of: now)
            let d = DayStats(m, nowMillis: now)
            let c = m.tape.trades.candles(interval, start: start, end: nil, limit: 1).first
                ?? Candle(openTime: start, price: m.tape.last?.price ?? d.last)
            let ids = m.tape.ids(since: start)
            let closed = interval.next(after: start) - 1
            return [#"{"e":"kline","E":\#(now),"s":"\#(m.symbol)","k":{"t":\#(start),"T":\#(closed),"s":"\#(m.symbol)","i":"\#(name)","f":\#(ids.first),"L":\#(ids.last),"o":"\#(d.price(c.open))","c":"\#(d.price(c.close))","h":"\#(d.price(c.high))","l":"\#(d.price(c.low))","v":"\#(d.quantity(c.volume))","n":\#(c.count),"x":false,"q":"\#(c.quoteVolume)","V":"\#(d.quantity(c.takerBuyVolume))","Q":"\#(c.takerBuyQuoteVolume)","B":"0"}}"#]
        case .miniTicker:
            return [array(chosen.map { m in
                let d = DayStats(m, nowMillis: now)
                return #"{"e":"24hrMiniTicker","E":\#(now),"s":"\#(m.symbol)","c":"\#(d.price(d.last))","o":"\#(d.price(d.open))","h":"\#(d.price(d.high))","l":"\#(d.price(d.low))","v":"\#(d.quantity(d.volume))","q":"\#(d.quoteVolume)"}"#
            })]
        case .ticker:
            return [array(chosen.map { m in
                let d = DayStats(m, nowMillis: now)
                return #"{"e":"24hrTicker","E":\#(now),"s":"\#(m.symbol)","p":"\#(d.price(d.change))","P":"\#(d.percent.formatted(minFractionDigits: 3))","w":"\#(d.price(d.vwap))","c":"\#(d.price(d.last))","Q":"\#(d.quantity(d.lastQuantity))","o":"\#(d.price(d.open))","h":"\#(d.price(d.high))","l":"\#(d.price(d.low))","v":"\#(d.quantity(d.volume))","q":"\#(d.quoteVolume)","O":\#(d.openTime),"C":\#(d.closeTime),"F":\#(d.firstID),"L":\#(d.lastID),"n":\#(d.count)}"#
            })]
        case .bookTicker:
            return chosen.map { m in
                let top = m.book.topOfBook(isSynced: true)
                let i = m.script.instrument
                let (pd, qd) = (i.priceFractionDigits, i.quantityFractionDigits)
                return #"{"e":"bookTicker","u":\#(m.lastUpdateID),"E":\#(now),"T":\#(now),"s":"\#(m.symbol)","b":"\#(top.bidPrice.formatted(minFractionDigits: pd))","B":"\#(top.bidQuantity.formatted(minFractionDigits: qd))","a":"\#(top.askPrice.formatted(minFractionDigits: pd))","A":"\#(top.askQuantity.formatted(minFractionDigits: qd))"}"#
            }
        case .depth, .trade, .aggTrade, .forceOrder:
            return []
        }
    }
}
