import MMCore

/// Faults the venue can inject, as a spec (`--faults`) and at run time (`POST /sim/fault`).
public enum FaultKind: String, CaseIterable, Sendable, Hashable {
    /// Close every market-stream and user-stream connection.
    case wsClose = "ws_close"
    /// Leave one diff (or merged diff) of every symbol out of the depth streams: clients must see a gap.
    case gap
    /// Send no market data for `duration` seconds.
    case stall
    /// Answer REST requests with a server error (503).
    case http5xx = "http_5xx"
    /// Refuse every REST request as rate limited (429 with `Retry-After`) for `duration` seconds.
    case rateLimit = "rate_limit"
    /// Move the venue's clock by `ms` milliseconds (signed timestamps are checked against it).
    case clockSkew = "clock_skew"
    /// Expire every user-data-stream key now.
    case listenKeyExpire = "listen_key_expire"
    /// Hold REST responses back for `ms` milliseconds.
    case delay
    /// Never answer a REST request.
    case drop
    /// Close every WebSocket API connection and refuse new ones for `duration` seconds.
    case wsAPIDown = "ws_api_down"
    /// Send malformed frames on every market and user stream: truncated JSON, absurd and exponent numbers,
    /// an unknown symbol, bytes that are not JSON. Clients must count them and carry on.
    case garbage
    /// Refuse every cancel-all request with a server error (503) for `duration` seconds.
    case cancelAllRefuse = "cancel_all_refuse"
    /// Carry out WebSocket API requests but send no reply, for `duration` seconds.
    case wsAPIDrop = "ws_api_drop"
    /// Keep user streams connected (pings answered) but deliver no event, for `duration` seconds.
    case userSilent = "user_silent"
}

/// One rule of a fault plan: a kind, when it fires, and its parameters.
public struct FaultRule: Sendable, Equatable {
    public var kind: FaultKind
    /// Fire every this many seconds (wall time).
    public var everySeconds: Double?
    /// Fire for each eligible event (REST request) with this probability.
    public var rate: Double?
    /// For `stall` and `rate_limit`: how long, in seconds.
    public var durationSeconds: Double?
    /// For `clock_skew` and `delay`: milliseconds.
    public var milliseconds: Int64?
    /// For the per-request faults (`http_5xx`, `delay`, `drop`): only requests to this path (no query), e.g.
    /// `/fapi/v1/allOpenOrders`; nil: any request.
    public var path: String?

    public init(
        kind: FaultKind, everySeconds: Double? = nil, rate: Double? = nil, durationSeconds: Double? = nil, milliseconds: Int64? = nil, path: String? = nil
    ) {
        self.kind = kind
        self.everySeconds = everySeconds
        self.rate = rate
        self.durationSeconds = durationSeconds
        self.milliseconds = milliseconds
        self.path = path
    }

    /// Whether this per-request rule covers a request to `path`: it names no path, or this one.
    public func applies(to path: Substring) -> Bool { self.path.map { $0 == path } ?? true }
}

/// A set of fault rules and the seed of their randomness.
public struct FaultPlan: Sendable, Equatable {
    public var rules: [FaultRule] = []
    public var seed: UInt64 = 1

    public init(rules: [FaultRule] = [], seed: UInt64 = 1) {
        self.rules = rules
        self.seed = seed
    }

    /// Parses `kind[:key=value]…` items separated by commas, e.g.
    /// `gap:every=10,http_5xx:rate=0.01,rate_limit:every=60:duration=5,clock_skew:ms=2000,seed=7`;
    /// `path=/fapi/v1/order` narrows a per-request fault to one route.
    /// Every problem is reported, each naming its item.
    public static func parse(_ spec: String) throws(FaultSpecError) -> FaultPlan {
        var plan = FaultPlan()
        var problems: [String] = []
        for item in spec.split(separator: ",").map({ $0.trimmingSpaces() }) where !item.isEmpty {
            let parts = item.split(separator: ":")
            if parts[0].hasPrefix("seed=") {
                if let s = UInt64(parts[0].dropFirst(5)) { plan.seed = s } else { problems.append("'\(item)': seed must be a whole number") }
                continue
            }
            guard let kind = FaultKind(rawValue: String(parts[0])) else {
                problems.append("'\(item)': unknown fault '\(parts[0])' (known: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            var rule = FaultRule(kind: kind)
            for kv in parts.dropFirst() {
                let pair = kv.split(separator: "=", maxSplits: 1)
                if pair.count == 2 && pair[0] == "path" {
                    if pair[1].hasPrefix("/") && [.http5xx, .delay, .drop].contains(kind) {
                        rule.path = String(pair[1])
                    } else {
                        problems.append("'\(item)': path= takes a route starting with '/' and narrows only http_5xx, delay and drop")
                    }
                    continue
                }
                guard pair.count == 2, let value = Double(pair[1]), value >= 0 else {
                    problems.append("'\(item)': '\(kv)' is not key=number")
                    continue
                }
                switch pair[0] {
                case "every": rule.everySeconds = value
                case "rate": rule.rate = value
                case "duration": rule.durationSeconds = value
                case "ms": rule.milliseconds = Int64(value)
                default: problems.append("'\(item)': unknown key '\(pair[0])' (every, rate, duration, ms, path)")
                }
            }
            if let r = rule.rate, r > 1 { problems.append("'\(item)': rate must be between 0 and 1") }
            if rule.everySeconds == nil && rule.rate == nil && kind != .clockSkew {
                problems.append("'\(item)': give every=SECONDS or rate=PROBABILITY")
            }
            if [.stall, .rateLimit, .wsAPIDown, .cancelAllRefuse, .wsAPIDrop, .userSilent].contains(kind) && rule.durationSeconds == nil {
                problems.append("'\(item)': give duration=SECONDS")
            }
            if [.clockSkew, .delay].contains(kind) && rule.milliseconds == nil { problems.append("'\(item)': give ms=MILLISECONDS") }
            plan.rules.append(rule)
        }
        if !problems.isEmpty { throw FaultSpecError(problems: problems) }
        return plan
    }
}

/// Every problem of a fault spec.
public struct FaultSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid --faults: " + problems.joined(separator: "; ") }
}

extension Substring {
    func trimmingSpaces() -> String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

/// The venue's live fault state: what is in force, what fires next, and how often each fault fired.
public struct FaultState: Sendable {
    public var plan: FaultPlan
    private var rng: SimRandom
    private var nextFire: [Int: Int64] = [:]
    public private(set) var counts: [FaultKind: Int] = [:]
    /// End of a stall, on the monotonic clock the audit log uses: market data resumes no earlier than the
    /// `untilNanos` the audit records, so a snapshot taken after the resumption is after it too.
    public var stallUntilNanos: Int64 = 0
    public var rateLimitUntil: Int64 = 0
    public var webSocketAPIDownUntil: Int64 = 0
    public var cancelAllRefuseUntil: Int64 = 0
    public var webSocketAPIDropUntil: Int64 = 0
    public var userSilentUntil: Int64 = 0
    public var clockSkewMillis: Int64 = 0
    /// Per-request faults triggered once: they apply to the next REST request (to the rule's path, if it has one).
    public var nextRequest: [FaultKind: FaultRule] = [:]
    /// Depth streams (interval ms; 0 = every diff) still to leave one message out, per symbol.
    public var gapPending: [String: Set<Int>] = [:]

    public init(plan: FaultPlan) {
        self.plan = plan
        rng = SimRandom(seed: plan.seed)
        for rule in plan.rules where rule.kind == .clockSkew && rule.everySeconds == nil {
            clockSkewMillis = rule.milliseconds ?? 0
        }
    }

    public mutating func count(_ kind: FaultKind, _ n: Int = 1) { counts[kind, default: 0] += n }

    /// Periodic rules due at `nowMillis` (each returned once per period).
    public mutating func due(nowMillis: Int64) -> [FaultRule] {
        var fired: [FaultRule] = []
        for (i, rule) in plan.rules.enumerated() {
            guard let every = rule.everySeconds, every > 0 else { continue }
            let period = Int64(every * 1000)
            let next = nextFire[i] ?? nowMillis + period
            if nowMillis >= next {
                fired.append(rule)
                nextFire[i] = nowMillis + period
            } else {
                nextFire[i] = next
            }
        }
        return fired
    }

    /// Whether a per-request fault of `kind` fires for a request to `path`: a pending one-off, or a rate rule
    /// (either only when it names no path or this one).
    public mutating func roll(_ kind: FaultKind, path: Substring) -> FaultRule? {
        if let once = nextRequest[kind], once.applies(to: path) {
            nextRequest[kind] = nil
            return once
        }
        for rule in plan.rules where rule.kind == kind && rule.applies(to: path) {
            if let r = rule.rate, r > 0, rng.nextUnit() < r { return rule }
        }
        return nil
    }
}

/// The venue's seeded generator, so a fault run (or a soak's schedule) can be replayed exactly.
public typealias SimRandom = SplitMix64
