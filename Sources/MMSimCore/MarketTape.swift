import MMBook
import MMCore

/// One candle: prices, traded volume and count over an interval.
public struct Candle: Sendable, Equatable {
    public var openTime: Int64
    public var open: Price
    public var high: Price
    public var low: Price
    public var close: Price
    public var volume = Quantity.zero
    public var quoteVolume = Notional.zero
    public var count = 0
    public var takerBuyVolume = Quantity.zero
    public var takerBuyQuoteVolume = Notional.zero

    public init(openTime: Int64, price: Price) {
        self.openTime = openTime
        open = price
        high = price
        low = price
        close = price
    }

    mutating func add(_ price: Price) {
        if price > high { high = price }
        if price < low { low = price }
        close = price
    }

    /// `other`, a later candle, folded into this one.
    mutating func merge(_ other: Candle) {
        if other.high > high { high = other.high }
        if other.low < low { low = other.low }
        close = other.close
        volume = volume + other.volume
        quoteVolume = quoteVolume + other.quoteVolume
        count += other.count
        takerBuyVolume = takerBuyVolume + other.takerBuyVolume
        takerBuyQuoteVolume = takerBuyQuoteVolume + other.takerBuyQuoteVolume
    }
}

/// A candle interval (`1m` … `1M`).
public enum CandleInterval: Sendable, Equatable {
    case fixed(millis: Int64)
    case week
    case month

    public init?(_ name: String) {
        let minute: Int64 = 60_000
        switch name {
        case "1m": self = .fixed(millis: minute)
        case "3m": self = .fixed(millis: 3 * minute)
        case "5m": self = .fixed(millis: 5 * minute)
        case "15m": self = .fixed(millis: 15 * minute)
        case "30m": self = .fixed(millis: 30 * minute)
        case "1h": self = .fixed(millis: 60 * minute)
        case "2h": self = .fixed(millis: 120 * minute)
        case "4h": self = .fixed(millis: 240 * minute)
        case "6h": self = .fixed(millis: 360 * minute)
        case "8h": self = .fixed(millis: 480 * minute)
        case "12h": self = .fixed(millis: 720 * minute)
        case "1d": self = .fixed(millis: 1440 * minute)
        case "3d": self = .fixed(millis: 3 * 1440 * minute)
        case "1w": self = .week
        case "1M": self = .month
        default: return nil
        }
    }

    /// Start of the interval holding `millis` (weeks open on Monday 00:00 UTC, months on the 1st).
    public func start(of millis: Int64) -> Int64 {
        switch self {
        case .fixed(let length): return floorDiv(millis, length) * length
        case .week:
            let week: Int64 = 7 * 86_400_000
            let monday: Int64 = 4 * 86_400_000  // 1970-01-05
            return floorDiv(millis - monday, week) * week + monday
        case .month:
            let (y, m, _) = CivilDate.from(days: floorDiv(millis, 86_400_000))
            return CivilDate.days(year: y, month: m, day: 1) * 86_400_000
        }
    }

    /// Start of the interval after the one starting at `start`.
    public func next(after start: Int64) -> Int64 {
        switch self {
        case .fixed(let length): return start + length
        case .week: return start + 7 * 86_400_000
        case .month:
            let (y, m, _) = CivilDate.from(days: floorDiv(start, 86_400_000))
            return CivilDate.days(year: m == 12 ? y + 1 : y, month: m == 12 ? 1 : m + 1, day: 1) * 86_400_000
        }
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Gregorian dates from days since 1970-01-01 and back (Howard Hinnant's algorithms).
enum CivilDate {
    static func from(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// Minute candles, dense from the first price on, for a bounded span; coarser intervals are merged from
/// them on request.
public struct CandleSeries: Sendable {
    /// Minutes kept (two days: a 24 h window and a day of klines to page through).
    public static let capacity = 2 * 1440
    public private(set) var minutes: [Candle] = []

    public init() {}

    /// The minute candle holding `millis`, created (with the gap since the last one filled flat at its
    /// close) if needed.
    mutating func minute(at millis: Int64, price: Price) -> Int {
        let start = floorDiv(millis, 60_000) * 60_000
        if let last = minutes.last {
            if start < last.openTime {
                // A price older than the current minute (a clock step back): it belongs to the current one.
                return minutes.count - 1
            }
            if start > last.openTime {
                let gap = (start - last.openTime) / 60_000
                if gap > Int64(Self.capacity) {
                    minutes.removeAll(keepingCapacity: true)
                } else {
                    var t = last.openTime + 60_000
                    while t < start {
                        minutes.append(Candle(openTime: t, price: last.close))
                        t += 60_000
                    }
                }
                minutes.append(Candle(openTime: start, price: minutes.last?.close ?? price))
            }
        } else {
            minutes.append(Candle(openTime: start, price: price))
        }
        if minutes.count > Self.capacity + 64 { minutes.removeFirst(minutes.count - Self.capacity) }
        return minutes.count - 1
    }

    /// Fills the span before `endMillis` with a history of closes, one per `intervalMillis` (a whole number
    /// of minutes), oldest first: each interval opens at the previous close and ends at its own. Only an
    /// empty series takes a history.
    public mutating func seed(closes: [Price], intervalMillis: Int64, endingAt endMillis: Int64) {
        guard minutes.isEmpty, let first = closes.first, intervalMillis >= 60_000 else { return }
        let perInterval = Int(intervalMillis / 60_000)
        let end = floorDiv(endMillis, intervalMillis) * intervalMillis
        let keep = min(closes.count, Self.capacity / perInterval)
        var t = end - Int64(keep) * intervalMillis
        var previous = closes.count > keep ? closes[closes.count - keep - 1] : first
        for close in closes.suffix(keep) {
            for m in 0..<perInterval {
                var c = Candle(openTime: t + Int64(m) * 60_000, price: m == 0 ? previous : close)
                c.add(close)
                minutes.append(c)
            }
            previous = close
            t += intervalMillis
        }
    }

    /// Records a price with no volume (a mark or index sample).
    public mutating func sample(_ price: Price, at millis: Int64) {
        let i = minute(at: millis, price: price)
        minutes[i].add(price)
    }

    /// Records a trade.
    public mutating func trade(price: Price, quantity: Quantity, buyerIsMaker: Bool, at millis: Int64) {
        let i = minute(at: millis, price: price)
        minutes[i].add(price)
        let quote = Notional(price: price, quantity: quantity) ?? .zero
        minutes[i].volume = minutes[i].volume + quantity
        minutes[i].quoteVolume = minutes[i].quoteVolume + quote
        minutes[i].count += 1
        if !buyerIsMaker {
            minutes[i].takerBuyVolume = minutes[i].takerBuyVolume + quantity
            minutes[i].takerBuyQuoteVolume = minutes[i].takerBuyQuoteVolume + quote
        }
    }

    /// Candles of `interval` as a klines request is answered: those opening in [start, end], the newest `limit`
    /// when no start is given, else the first `limit` from the start; the last may still be open.
    public func candles(_ interval: CandleInterval, start: Int64?, end: Int64?, limit: Int) -> [Candle] {
        var out: [Candle] = []
        for m in minutes {
            let open = interval.start(of: m.openTime)
            if let s = start, open < interval.start(of: s) && open < s { continue }
            if let e = end, open > e { break }
            if var last = out.last, last.openTime == open {
                last.merge(m)
                out[out.count - 1] = last
            } else {
                var c = m
                c.openTime = open
                out.append(c)
            }
        }
        if let s = start { out.removeAll { $0.openTime < s } }
        if start != nil { return Array(out.prefix(limit)) }
        return Array(out.suffix(limit))
    }

    /// The rolling window `[now − span, now]` merged into one candle (nil before any price).
    public func window(endingAt now: Int64, span: Int64) -> Candle? {
        var merged: Candle?
        for m in minutes where m.openTime + 60_000 > now - span && m.openTime <= now {
            if merged == nil {
                merged = m
            } else {
                merged!.merge(m)
            }
        }
        return merged
    }
}

/// One symbol's public trading history as the venue reports it: the recent trades, trade candles, and
/// candles of its mark and index prices.
public struct MarketTape: Sendable {
    /// One public trade.
    public struct Print: Sendable, Equatable {
        public var id: Int64
        public var price: Price
        public var quantity: Quantity
        public var buyerIsMaker: Bool
        public var timeMillis: Int64
    }

    /// Trades kept for `trades` and `aggTrades` (at most 1,000 per request).
    public static let tradeCapacity = 1000
    public private(set) var prints: [Print] = []
    private var head = 0
    public private(set) var trades = CandleSeries()
    public private(set) var marks = CandleSeries()
    public private(set) var indexes = CandleSeries()
    /// The last trade, and the count since the tape started.
    public private(set) var last: Print?
    public private(set) var tradeCount = 0

    public init() {}

    /// Records a public trade.
    public mutating func record(_ t: Print) {
        if prints.count < Self.tradeCapacity {
            prints.append(t)
        } else {
            prints[head] = t
            head = (head + 1) % Self.tradeCapacity
        }
        last = t
        tradeCount += 1
        trades.trade(price: t.price, quantity: t.quantity, buyerIsMaker: t.buyerIsMaker, at: t.timeMillis)
    }

    /// A price history before the first trade (see `CandleSeries.seed`).
    public mutating func seed(closes: [Price], intervalMillis: Int64, endingAt endMillis: Int64) {
        trades.seed(closes: closes, intervalMillis: intervalMillis, endingAt: endMillis)
    }

    /// Records the mark and index prices at a moment.
    public mutating func sample(mark: Price, index: Price, at millis: Int64) {
        marks.sample(mark, at: millis)
        indexes.sample(index, at: millis)
    }

    /// Kept trades, oldest first.
    public var recent: [Print] { Array(prints[head...] + prints[..<head]) }

    /// The newest `limit` trades, oldest first.
    public func recent(limit: Int) -> [Print] { Array(recent.suffix(limit)) }

    /// Trades from an ID, or within a time range, as `aggTrades` selects them.
    public func trades(fromID: Int64?, start: Int64?, end: Int64?, limit: Int) -> [Print] {
        let all = recent
        if let fromID { return Array(all.filter { $0.id >= fromID }.prefix(limit)) }
        if start != nil || end != nil {
            let within = all.filter { t in t.timeMillis >= (start ?? .min) && t.timeMillis <= (end ?? .max) }
            return Array(start != nil ? within.prefix(limit) : within.suffix(limit))
        }
        return Array(all.suffix(limit))
    }

    /// IDs of the first and last trade in the window (−1 when none), for the 24 h ticker.
    public func ids(since millis: Int64) -> (first: Int64, last: Int64) {
        let within = recent.filter { $0.timeMillis >= millis }
        return (within.first?.id ?? -1, within.last?.id ?? -1)
    }
}
