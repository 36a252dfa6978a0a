import MMCore
import MMSimCore

/// A spot venue's REST rate limits.
///
/// MEXC: each endpoint has its own budget of 500 weight per 10 s, per IP (and per account for the order
/// endpoints); beyond it a 429 `{"code":429,"msg":"Too many requests"}` with `Retry-After`. Binance spot:
/// 6,000 request weight per IP per minute (`X-MBX-USED-WEIGHT-1M`; 429 and `-1003` beyond it, with
/// `Retry-After`) and 100 new orders per account per 10 s (`-1015`). On both, a client that keeps sending
/// inside a 429's back-off is banned (418), from 2 minutes doubling up to 3 days.
struct SpotLimits: Sendable {
    enum Dialect: Sendable { case mexc, binanceSpot }

    /// A refusal: the HTTP status, the venue's code and text, and the seconds to wait.
    struct Refusal: Equatable {
        var status: Int
        var code: Int
        var message: String
        var retryAfterSeconds: Int
    }

    let dialect: Dialect
    private var windows: [String: (start: Int64, used: Int)] = [:]
    private var minute: (start: Int64, used: Int) = (0, 0)
    private var orders: [String: (start: Int64, count: Int)] = [:]
    private var bans = BanTracker()
    /// Requests refused for rate (for logs and tests).
    private(set) var refusals = 0

    static let mexcBudget = 500
    static let binanceWeightPerMinute = 6000
    static let binanceOrdersPer10s = 100

    init(dialect: Dialect) { self.dialect = dialect }

    /// Weight used this minute (Binance spot's `X-MBX-USED-WEIGHT-1M`).
    var usedWeight: Int { minute.used }

    /// Documented request weights (MEXC spot v3 and Binance spot's `/api/v3`).
    static func weight(_ dialect: Dialect, method: String, path: String, hasSymbol: Bool) -> Int {
        switch (dialect, path) {
        case (.mexc, "/api/v3/exchangeInfo"), (.mexc, "/api/v3/allOrders"), (.mexc, "/api/v3/account"), (.mexc, "/api/v3/myTrades"),
            (.mexc, "/api/v3/capital/config/getall"):
            return 10
        case (.mexc, "/api/v3/trades"): return 5
        case (.mexc, "/api/v3/openOrders"): return method == "GET" ? 3 : 1
        case (.mexc, "/api/v3/order"): return method == "GET" ? 2 : 1
        case (.mexc, _): return 1
        case (.binanceSpot, "/api/v3/exchangeInfo"), (.binanceSpot, "/api/v3/account"), (.binanceSpot, "/api/v3/myTrades"), (.binanceSpot, "/api/v3/allOrders"):
            return 20
        case (.binanceSpot, "/api/v3/depth"), (.binanceSpot, "/api/v3/trades"), (.binanceSpot, "/api/v3/klines"): return 5
        case (.binanceSpot, "/api/v3/openOrders"): return hasSymbol ? 6 : 80
        case (.binanceSpot, "/api/v3/ticker/24hr"): return hasSymbol ? 2 : 80
        case (.binanceSpot, "/api/v3/ticker/price"), (.binanceSpot, "/api/v3/ticker/bookTicker"): return hasSymbol ? 2 : 4
        case (.binanceSpot, "/api/v3/order"): return method == "GET" ? 4 : 1
        default: return 1
        }
    }

    /// A ban in force at `now`; a request inside a 429's back-off counts toward one.
    mutating func ban(nowMillis now: Int64) -> Refusal? {
        guard let until = bans.check(nowMillis: now) else { return nil }
        return Refusal(
            status: 418, code: dialect == .mexc ? 418 : -1003, message: "Way too many requests; IP banned until \(until).",
            retryAfterSeconds: Int((until - now + 999) / 1000))
    }

    /// Admits a request at `now` or refuses it for rate; `apiKey` is the caller's for order limits.
    mutating func admit(method: String, path: String, hasSymbol: Bool, apiKey: String?, nowMillis now: Int64) -> Refusal? {
        let weight = Self.weight(dialect, method: method, path: path, hasSymbol: hasSymbol)
        switch dialect {
        case .mexc:
            let key = method + " " + path
            let start = now / 10_000 * 10_000
            var w = windows[key] ?? (start, 0)
            if w.start != start { w = (start, 0) }
            w.used += weight
            windows[key] = w
            if w.used > Self.mexcBudget { return refuse(until: start + 10_000, now, code: 429, "Too many requests") }
        case .binanceSpot:
            let start = now / 60_000 * 60_000
            if minute.start != start { minute = (start, 0) }
            minute.used += weight
            if minute.used > Self.binanceWeightPerMinute {
                return refuse(
                    until: start + 60_000, now, code: -1003,
                    "Too much request weight used; current limit is \(Self.binanceWeightPerMinute) request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.")
            }
            if method == "POST" && path == "/api/v3/order", let apiKey {
                let ten = now / 10_000 * 10_000
                var o = orders[apiKey] ?? (ten, 0)
                if o.start != ten { o = (ten, 0) }
                o.count += 1
                orders[apiKey] = o
                if o.count > Self.binanceOrdersPer10s {
                    refusals += 1
                    return Refusal(
                        status: 429, code: -1015, message: "Too many new orders; current limit is \(Self.binanceOrdersPer10s) orders per 10 SECOND.",
                        retryAfterSeconds: Int((ten + 10_000 - now + 999) / 1000))
                }
            }
        }
        return nil
    }

    /// A rate-limit refusal until `until` (also what an injected `rate_limit` fault answers).
    mutating func refuse(until: Int64, _ now: Int64, code: Int, _ message: String) -> Refusal {
        refusals += 1
        bans.noteRefused(untilMillis: until)
        return Refusal(status: 429, code: code, message: message, retryAfterSeconds: Int(max(1, (until - now + 999) / 1000)))
    }
}
