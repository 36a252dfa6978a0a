import MMCore

/// A market stream a client can subscribe to, parsed from Binance's names.
public struct StreamName: Hashable, Sendable, CustomStringConvertible {
    /// What the stream carries.
    public enum Kind: Hashable, Sendable {
        /// `<sym>@depth` (250 ms), `@depth@500ms`, `@depth@100ms`, `@depth@0ms` (every diff).
        case depth(intervalMillis: Int)
        case bookTicker
        case trade
        case aggTrade
    }

    public let symbol: Symbol
    public let kind: Kind
    /// The name as Binance spells it (lower-case symbol), echoed in the combined-stream envelope.
    public let name: String

    /// Parses `btcusdt@depth@100ms`, `btcusdt@bookTicker`, `btcusdt@trade`, `btcusdt@aggTrade`;
    /// `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count >= 2, let symbol = Symbol(parts[0]), parts[0] == parts[0].lowercased() else { return nil }
        let kind: Kind
        switch (parts[1], parts.count) {
        case ("depth", 2): kind = .depth(intervalMillis: 250)
        case ("depth", 3):
            switch parts[2] {
            case "0ms": kind = .depth(intervalMillis: 0)
            case "100ms": kind = .depth(intervalMillis: 100)
            case "250ms": kind = .depth(intervalMillis: 250)
            case "500ms": kind = .depth(intervalMillis: 500)
            default: return nil
            }
        case ("bookTicker", 2): kind = .bookTicker
        case ("trade", 2): kind = .trade
        case ("aggTrade", 2): kind = .aggTrade
        default: return nil
        }
        self.symbol = symbol
        self.kind = kind
        self.name = String(text)
    }

    public var description: String { name }

    /// Binance's routed endpoints: `/public` carries depth and book tickers, `/market` trades. A stream
    /// subscribed on the other route is accepted and stays silent, as on the exchange. Since 2026-04-23 the
    /// legacy `/ws` and `/stream` carry only what `/public` does.
    public enum Route: Sendable {
        case legacy, publicRoute, marketRoute

        func carries(_ kind: Kind) -> Bool {
            switch (self, kind) {
            case (.legacy, .depth), (.legacy, .bookTicker): return true
            case (.publicRoute, .depth), (.publicRoute, .bookTicker): return true
            case (.marketRoute, .trade), (.marketRoute, .aggTrade): return true
            default: return false
            }
        }
    }
}

/// Which streams a WebSocket URL asks for: `/ws/<name>` (raw payloads), `/stream?streams=a/b` (enveloped),
/// optionally under `/public` or `/market`.
public struct StreamRequest: Sendable, Equatable {
    public var names: [String]
    public var combined: Bool
    public var route: StreamName.Route

    public static func == (l: StreamRequest, r: StreamRequest) -> Bool { l.names == r.names && l.combined == r.combined }

    /// Parses a request URI; `nil` when it is not a market-stream path.
    public init?(uri: String) {
        var path = Substring(uri)
        var route = StreamName.Route.legacy
        if path.hasPrefix("/public/") {
            route = .publicRoute
            path = path.dropFirst(7)
        } else if path.hasPrefix("/market/") {
            route = .marketRoute
            path = path.dropFirst(7)
        }
        self.route = route
        if path.hasPrefix("/ws") {
            let rest = path.dropFirst(3)
            combined = false
            if rest.isEmpty || rest == "/" {
                names = []
            } else if rest.hasPrefix("/") {
                names = rest.dropFirst().split(separator: "/").map(String.init)
            } else {
                return nil
            }
        } else if path.hasPrefix("/stream") {
            combined = true
            let query = path.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
            var found: [String] = []
            for pair in query.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 && kv[0] == "streams" { found = kv[1].split(separator: "/").map(String.init) }
            }
            names = found
        } else {
            return nil
        }
    }
}
