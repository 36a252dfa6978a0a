/// What Binance enforces on every WebSocket connection and on connection attempts, as its documentation
/// states it: a ping every 3 minutes and disconnection without a pong within 10 minutes, a 24-hour
/// lifetime, at most 10 incoming messages a second on market and user streams (5 pings or pongs a second
/// on the WebSocket API), at most 1024 streams per connection, and 300 connection attempts per 5 minutes
/// per IP. A pure value: the hub asks it and closes what it says to close.
public struct ConnectionPolicy: Sendable, Equatable {
    public var pongTimeoutMillis: Int64 = 600_000
    public var maxAgeMillis: Int64 = 86_400_000
    public var inboundPerSecond = 10
    public var controlFramesPerSecond = 5
    public var maxStreams = 1024
    public var connectionsPerWindow = 300
    public var connectionWindowMillis: Int64 = 300_000

    public init() {}

    /// Why a connection is closed.
    public enum Reason: String, Sendable, Equatable {
        case pongTimeout = "no pong within the timeout"
        case maxAge = "connection older than its lifetime"
        case tooManyMessages = "too many incoming messages"
    }

    /// One connection's counters.
    public struct Connection: Sendable, Equatable {
        public let openedAtMillis: Int64
        public var lastPongMillis: Int64
        var windowStartMillis: Int64
        var messages = 0
        var controlFrames = 0
        /// WebSocket API connections count pings and pongs separately (their requests have weights).
        public let isOrderAPI: Bool

        public init(openedAtMillis: Int64, isOrderAPI: Bool = false) {
            self.openedAtMillis = openedAtMillis
            lastPongMillis = openedAtMillis
            windowStartMillis = openedAtMillis
            self.isOrderAPI = isOrderAPI
        }
    }

    /// An incoming frame at `now`; a reason when it breaks the per-second limit.
    public func inbound(_ c: inout Connection, isControl: Bool, isPong: Bool, nowMillis now: Int64) -> Reason? {
        if isPong { c.lastPongMillis = now }
        if now - c.windowStartMillis >= 1000 {
            c.windowStartMillis = now
            c.messages = 0
            c.controlFrames = 0
        }
        if c.isOrderAPI {
            guard isControl else { return nil }
            c.controlFrames += 1
            return c.controlFrames > controlFramesPerSecond ? .tooManyMessages : nil
        }
        c.messages += 1
        return c.messages > inboundPerSecond ? .tooManyMessages : nil
    }

    /// The clock's verdict on a connection at `now`.
    public func check(_ c: Connection, nowMillis now: Int64) -> Reason? {
        if now - c.openedAtMillis >= maxAgeMillis { return .maxAge }
        if now - c.lastPongMillis >= pongTimeoutMillis { return .pongTimeout }
        return nil
    }

    /// Connection attempts of one IP in the sliding window.
    public struct Attempts: Sendable, Equatable {
        var times: [Int64] = []
        public init() {}
    }

    /// Records an attempt at `now`; false when it is over the limit (refused).
    public func admit(_ a: inout Attempts, nowMillis now: Int64) -> Bool {
        a.times.removeAll { now - $0 >= connectionWindowMillis }
        guard a.times.count < connectionsPerWindow else { return false }
        a.times.append(now)
        return true
    }
}
