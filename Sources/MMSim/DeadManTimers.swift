import MMCore

/// `countdownCancelAll` timers: per account and symbol, a deadline after which every open order on that
/// symbol is cancelled, unless the timer is called again first. A value; the hub asks it what is due.
struct DeadManTimers: Sendable {
    private var deadlines: [String: (apiKey: String, symbol: Symbol, deadline: Int64)] = [:]

    /// Arms (or re-arms) a timer `millis` from `now`; 0 disarms it.
    mutating func set(apiKey: String, symbol: Symbol, millis: Int64, nowMillis: Int64) {
        let key = apiKey + "/" + symbol.description
        deadlines[key] = millis == 0 ? nil : (apiKey, symbol, nowMillis + millis)
    }

    /// Timers whose deadline has passed; they are disarmed.
    mutating func due(nowMillis: Int64) -> [(apiKey: String, symbol: Symbol)] {
        var fired: [(String, Symbol)] = []
        for (key, t) in deadlines where t.deadline <= nowMillis {
            deadlines[key] = nil
            fired.append((t.apiKey, t.symbol))
        }
        return fired
    }

    var armed: Int { deadlines.count }
}
