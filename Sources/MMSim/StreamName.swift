import MMCore

/// A market stream a client can subscribe to, parsed from Binance's names.
public struct StreamName: Hashable, Sendable, CustomStringConvertible {
    /// What the stream carries.
    public enum Kind: Hashable, Sendable {
        /// `<sym>@depth` (250 ms), `@depth@500ms`, `@depth@100ms`, `@depth@0ms` (every diff).
        case depth(intervalMillis: Int)
        /// `<sym>@depth<levels>[@500ms|@100ms]`: the top 5, 10 or 20 levels.
        case partialDepth(levels: Int, intervalMillis: Int)
        case bookTicker
        case trade
        case aggTrade
        /// `<sym>@markPrice` (3 s) or `@markPrice@1s`; `!markPrice@arr[@1s]` for every symbol.
        case markPrice(intervalMillis: Int)
        /// `<sym>@kline_<interval>`.
        case kline(String)
        case miniTicker
        case ticker
        case forceOrder
    }

    /// The symbol, or nil for an all-market stream (`!bookTicker`, `!ticker@arr`, ...).
    public let symbol: Symbol?
    public let kind: Kind
    /// The name as Binance spells it (lower-case symbol), echoed in the combined-stream envelope.
    public let name: String

    /// Parses Binance's stream names; `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = String(text).split(separator: "@", omittingEmptySubsequences: false).map(String.init)
        name = String(text)
        if parts[0].hasPrefix("!") {
            symbol = nil
            switch parts.joined(separator: "@") {
            case "!bookTicker": kind = .bookTicker
            case "!markPrice@arr": kind = .markPrice(intervalMillis: 3000)
            case "!markPrice@arr@1s": kind = .markPrice(intervalMillis: 1000)
            case "!miniTicker@arr": kind = .miniTicker
            case "!ticker@arr": kind = .ticker
            case "!forceOrder@arr": kind = .forceOrder
            default: return nil
            }
            return
        }
        guard parts.count >= 2, let symbol = Symbol(parts[0]), parts[0] == parts[0].lowercased() else { return nil }
        self.symbol = symbol
        let interval: [String: Int] = ["0ms": 0, "100ms": 100, "250ms": 250, "500ms": 500]
        switch (parts[1], parts.count) {
        case ("depth", 2): kind = .depth(intervalMillis: 250)
        case ("depth", 3):
            guard let ms = interval[parts[2]] else { return nil }
            kind = .depth(intervalMillis: ms)
        case ("depth5", _), ("depth10", _), ("depth20", _):
            let levels = Int(parts[1].dropFirst(5))!
            guard parts.count == 2 || (parts.count == 3 && ["100ms", "500ms"].contains(parts[2])) else { return nil }
            kind = .partialDepth(levels: levels, intervalMillis: parts.count == 3 ? interval[parts[2]]! : 250)
        case ("bookTicker", 2): kind = .bookTicker
        case ("trade", 2): kind = .trade
        case ("aggTrade", 2): kind = .aggTrade
        case ("markPrice", 2): kind = .markPrice(intervalMillis: 3000)
        case ("markPrice", 3) where parts[2] == "1s": kind = .markPrice(intervalMillis: 1000)
        case ("miniTicker", 2): kind = .miniTicker
        case ("ticker", 2): kind = .ticker
        case ("forceOrder", 2): kind = .forceOrder
        default:
            guard parts.count == 2, parts[1].hasPrefix("kline_"), CandleInterval(String(parts[1].dropFirst(6))) != nil else { return nil }
            kind = .kline(String(parts[1].dropFirst(6)))
        }
    }

    public var description: String { name }

    /// How often a periodic stream pushes (nil: on every change).
    var periodMillis: Int? {
        switch kind {
        case .depth(let ms): return ms == 0 ? nil : ms
        case .partialDepth(_, let ms): return ms
        case .markPrice(let ms): return ms
        case .kline: return 250
        case .miniTicker, .ticker: return symbol == nil ? 1000 : 2000
        case .bookTicker: return symbol == nil ? 5000 : nil
        case .trade, .aggTrade, .forceOrder: return nil
        }
    }

    /// Binance's routed endpoints since 2026-04-23 (the change notice): `/public` carries the book (diff and
    /// partial depth, book tickers), `/market` the regular market data (trades, mark price, klines, tickers,
    /// liquidations). A stream subscribed on the other route is accepted and stays silent, as on the
    /// exchange; the legacy `/ws` and `/stream` carry only what `/public` does.
    public enum Route: Sendable {
        case legacy, publicRoute, marketRoute

        func carries(_ kind: Kind) -> Bool {
            let book: Bool
            switch kind {
            case .depth, .partialDepth, .bookTicker: book = true
            default: book = false
            }
            return self == .marketRoute ? !book : book
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
