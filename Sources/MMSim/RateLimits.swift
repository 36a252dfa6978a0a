import MMCore

/// Binance's REST limits: request weight per IP per minute (`X-MBX-USED-WEIGHT-1M`, 429 and `-1003`
/// beyond it, with `Retry-After`), and new orders per account per 10 s and per minute
/// (`X-MBX-ORDER-COUNT-10S` / `-1M`, `-1015` beyond them). Windows are aligned to the wall clock.
struct RateLimits: Sendable {
    let weightPerMinute: Int
    let ordersPer10s: Int
    let ordersPerMinute: Int
    private var weightWindow: Int64 = 0
    private(set) var usedWeight = 0
    private var orderWindows: [String: (tenStart: Int64, ten: Int, minuteStart: Int64, minute: Int)] = [:]
    /// Requests refused for weight, and new orders refused for count (for logs and tests).
    private(set) var weightRefusals = 0
    private(set) var orderRefusals = 0

    init(weightPerMinute: Int, ordersPer10s: Int, ordersPerMinute: Int) {
        self.weightPerMinute = weightPerMinute
        self.ordersPer10s = ordersPer10s
        self.ordersPerMinute = ordersPerMinute
    }

    /// Spends `weight`; on refusal returns the seconds until the window resets.
    mutating func spend(_ weight: Int, nowMillis: Int64) -> Int? {
        let window = nowMillis / 60_000 * 60_000
        if window != weightWindow {
            weightWindow = window
            usedWeight = 0
        }
        usedWeight += weight
        guard usedWeight > weightPerMinute else { return nil }
        weightRefusals += 1
        return Int((window + 60_000 - nowMillis + 999) / 1000)
    }

    /// Counts a new order for an account; `nil` when allowed, else the limit it broke.
    mutating func countOrder(apiKey: String, nowMillis: Int64) -> VenueError? {
        let ten = nowMillis / 10_000 * 10_000
        let minute = nowMillis / 60_000 * 60_000
        var w = orderWindows[apiKey] ?? (ten, 0, minute, 0)
        if w.tenStart != ten { w = (ten, 0, w.minuteStart, w.minute) }
        if w.minuteStart != minute { w = (w.tenStart, w.ten, minute, 0) }
        w.ten += 1
        w.minute += 1
        orderWindows[apiKey] = w
        if w.ten > ordersPer10s {
            orderRefusals += 1
            return VenueError(.tooManyRequests, -1015, "Too many new orders; current limit is \(ordersPer10s) orders per TEN_SECONDS.")
        }
        if w.minute > ordersPerMinute {
            orderRefusals += 1
            return VenueError(.tooManyRequests, -1015, "Too many new orders; current limit is \(ordersPerMinute) orders per MINUTE.")
        }
        return nil
    }

    /// `X-MBX-ORDER-COUNT-10S` and `-1M` for an account.
    func orderCounts(apiKey: String) -> (tenSeconds: Int, minute: Int) {
        guard let w = orderWindows[apiKey] else { return (0, 0) }
        return (w.ten, w.minute)
    }

    /// Documented weights of the venue's REST endpoints.
    static func weight(method: String, path: String, query: Query) -> Int {
        switch path {
        case "/fapi/v1/depth":
            switch Int(query["limit"] ?? "500") ?? 500 {
            case ...50: return 2
            case ...100: return 5
            case ...500: return 10
            default: return 20
            }
        case "/fapi/v1/openOrders": return query["symbol"] == nil ? 40 : 1
        case "/fapi/v1/income": return 30
        case "/fapi/v1/positionSide/dual", "/fapi/v1/multiAssetsMargin", "/fapi/v1/feeBurn": return method == "GET" ? 30 : 1
        case "/fapi/v1/countdownCancelAll": return 10
        case "/fapi/v1/order": return method == "POST" ? 0 : 1
        case "/fapi/v2/account", "/fapi/v3/account", "/fapi/v2/positionRisk", "/fapi/v3/positionRisk",
            "/fapi/v2/balance", "/fapi/v3/balance":
            return 5
        default: return 1
        }
    }
}
