import MMCore

/// Binance's REST limits: request weight per IP per minute (`X-MBX-USED-WEIGHT-1M`, 429 and `-1003`
/// beyond it, with `Retry-After`), and new orders per account per 10 s and per minute
/// (`X-MBX-ORDER-COUNT-10S` / `-1M`, `-1015` beyond them). Windows are aligned to the wall clock. A client
/// that keeps sending after a 429, before its `Retry-After`, is banned: 418 for 2 minutes, doubling for
/// each repeat up to 3 days.
struct RateLimits: Sendable {
    /// Requests tolerated inside a 429's back-off window before the ban.
    static let toleratedAfterRefusal = BanTracker.toleratedAfterRefusal
    /// Bans for clients that keep sending inside a 429's back-off.
    private(set) var bans = BanTracker()
    /// End of the ban in force (0: none yet).
    var bannedUntil: Int64 { bans.bannedUntil }

    /// A ban in force: the 418 and the seconds until it lifts.
    struct Ban: Equatable {
        var error: VenueError
        var retryAfterSeconds: Int
    }

    /// Checks a request at `now` against a ban, and counts it when it ignores a 429's back-off.
    mutating func admit(nowMillis now: Int64) -> Ban? {
        _ = bans.check(nowMillis: now)
        return activeBan(nowMillis: now)
    }

    /// The ban in force at `now`, if any, without counting a request.
    func activeBan(nowMillis now: Int64) -> Ban? {
        let until = bans.bannedUntil
        guard now < until else { return nil }
        let error = VenueError(
            .imATeapot, -1003, "Way too many requests; IP banned until \(until). Please use the websocket for live updates to avoid bans.")
        return Ban(error: error, retryAfterSeconds: Int((until - now + 999) / 1000))
    }

    /// A 429 was sent: requests before `untilMillis` ignore it.
    mutating func noteRefused(untilMillis: Int64) { bans.noteRefused(untilMillis: untilMillis) }
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

    /// Counts an order request for an account (`tenSeconds` and `minute` as the endpoint's documentation
    /// charges them); `nil` when allowed, else the limit it broke.
    mutating func countOrder(apiKey: String, tenSeconds: Int = 1, minute perMinute: Int = 1, nowMillis: Int64) -> VenueError? {
        let ten = nowMillis / 10_000 * 10_000
        let minute = nowMillis / 60_000 * 60_000
        var w = orderWindows[apiKey] ?? (ten, 0, minute, 0)
        if w.tenStart != ten { w = (ten, 0, w.minuteStart, w.minute) }
        if w.minuteStart != minute { w = (w.tenStart, w.ten, minute, 0) }
        w.ten += tenSeconds
        w.minute += perMinute
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

    /// Documented weights of the venue's REST endpoints (request weight per IP; order requests count
    /// against the order limits instead).
    static func weight(method: String, path: String, query: Query) -> Int {
        let all = query["symbol"] == nil
        func byLimit(_ defaultLimit: Int) -> Int {
            switch Int(query["limit"] ?? "") ?? defaultLimit {
            case ..<100: return 1
            case ..<500: return 2
            case ...1000: return 5
            default: return 10
            }
        }
        switch path {
        case "/fapi/v1/klines", "/fapi/v1/markPriceKlines", "/fapi/v1/indexPriceKlines", "/fapi/v1/premiumIndexKlines",
            "/fapi/v1/continuousKlines":
            return byLimit(500)
        case "/fapi/v1/trades", "/fapi/v1/userTrades", "/fapi/v1/allOrders", "/fapi/v1/symbolConfig", "/fapi/v1/accountConfig":
            return 5
        case "/fapi/v1/aggTrades", "/fapi/v1/historicalTrades", "/fapi/v1/commissionRate": return 20
        case "/fapi/v1/ticker/24hr": return all ? 40 : 1
        case "/fapi/v1/ticker/price", "/fapi/v2/ticker/price": return all ? 2 : 1
        case "/fapi/v1/ticker/bookTicker": return all ? 5 : 2
        case "/fapi/v1/premiumIndex": return all ? 10 : 1
        case "/fapi/v1/fundingRate", "/fapi/v1/fundingInfo": return 0
        case "/fapi/v1/batchOrders": return method == "DELETE" ? 1 : 5
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
        case "/fapi/v1/order": return method == "POST" || method == "PUT" ? 0 : 1
        case "/fapi/v2/account", "/fapi/v3/account", "/fapi/v2/positionRisk", "/fapi/v3/positionRisk",
            "/fapi/v2/balance", "/fapi/v3/balance":
            return 5
        default: return 1
        }
    }
}

/// What Binance and MEXC do to a client that ignores a 429: requests inside its back-off are counted, and
/// more than five of them are an IP ban (418), 2 minutes at first, doubling with each repeat up to 3 days.
struct BanTracker: Sendable {
    /// Requests tolerated inside a 429's back-off window before the ban.
    static let toleratedAfterRefusal = 5
    private(set) var backOffUntil: Int64 = 0
    private var ignored = 0
    private(set) var bannedUntil: Int64 = 0
    private(set) var count = 0

    /// Counts a request at `now` if it ignores a back-off; the end of the ban in force, if any.
    mutating func check(nowMillis now: Int64) -> Int64? {
        if now < backOffUntil {
            ignored += 1
            if ignored > Self.toleratedAfterRefusal {
                let minutes = min(Int64(2) << min(count, 12), 3 * 24 * 60)
                bannedUntil = max(bannedUntil, now + minutes * 60_000)
                count += 1
                ignored = 0
                backOffUntil = 0
            }
        }
        return now < bannedUntil ? bannedUntil : nil
    }

    /// A 429 was sent: requests before `untilMillis` ignore it.
    mutating func noteRefused(untilMillis: Int64) {
        if untilMillis > backOffUntil {
            backOffUntil = untilMillis
            ignored = 0
        }
    }
}
