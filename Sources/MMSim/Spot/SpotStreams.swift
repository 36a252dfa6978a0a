import MMBinanceWire
import MMBook
import MMCore
import NIOCore
import NIOWebSocket

/// Binance spot's diff depth streams on the simulated spot venue: `<symbol>@depth` (1000 ms) and
/// `<symbol>@depth@100ms`, raw at `/ws/<names>` or combined at `/stream?streams=<names>`. Each message is
/// the interval's diffs merged: `U` of the first, `u` of the last, no `pu` (clients chain on
/// `U == previous u + 1`). Confined to the venue's event loop.
struct SpotStreams {
    /// A stream name: its symbol and interval.
    struct Name: Hashable {
        var symbol: Symbol
        var intervalMillis: Int
        var text: String

        init?(_ text: String, symbols: Set<Symbol>) {
            let parts = text.split(separator: "@").map(String.init)
            guard parts.count >= 2, parts[1] == "depth", let symbol = Symbol(parts[0].uppercased()), symbols.contains(symbol) else { return nil }
            switch parts.count {
            case 2: intervalMillis = 1000
            case 3 where parts[2] == "100ms": intervalMillis = 100
            case 3 where parts[2] == "1000ms": intervalMillis = 1000
            default: return nil
            }
            self.symbol = symbol
            self.text = text
        }
    }

    struct Subscriber {
        var channel: Channel
        var combined: Bool
        var names: Set<Name>
    }

    static let intervals = [100, 1000]
    private(set) var subscribers: [ObjectIdentifier: Subscriber] = [:]
    private var aggregators: [Symbol: [Int: DepthAggregator]] = [:]
    private var lastFlush: [Int: Int64] = [:]
    /// Streams (symbol, interval) that leave their next message out (the `gap` fault).
    var gapPending: Set<Name> = []
    /// Messages left out for a gap fault.
    private(set) var gapsSent = 0

    /// A request path's streams: `nil` when the path is not a stream path; names that are not depth
    /// streams of a listed symbol are ignored, as Binance does.
    static func request(uri: String, symbols: Set<Symbol>) -> (combined: Bool, names: Set<Name>)? {
        if uri.hasPrefix("/ws/") || uri == "/ws" {
            let names = uri.dropFirst(3).split(separator: "/").compactMap { Name(String($0), symbols: symbols) }
            return (false, Set(names))
        }
        if uri.hasPrefix("/stream") {
            let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first.map { Query(String($0)) }
            let names = (query?["streams"] ?? "").split(separator: "/").compactMap { Name(String($0), symbols: symbols) }
            return (true, Set(names))
        }
        return nil
    }

    mutating func register(_ channel: Channel, combined: Bool, names: Set<Name>) {
        subscribers[ObjectIdentifier(channel)] = Subscriber(channel: channel, combined: combined, names: names)
    }

    mutating func unregister(_ channel: Channel) { subscribers[ObjectIdentifier(channel)] = nil }

    mutating func subscribe(_ channel: Channel, _ names: Set<Name>, add: Bool) {
        guard var s = subscribers[ObjectIdentifier(channel)] else { return }
        if add { s.names.formUnion(names) } else { s.names.subtract(names) }
        subscribers[ObjectIdentifier(channel)] = s
    }

    func names(of channel: Channel) -> [String] { (subscribers[ObjectIdentifier(channel)]?.names ?? []).map(\.text).sorted() }

    /// A diff the venue's book took.
    mutating func add(_ d: DepthUpdate) {
        for interval in Self.intervals { aggregators[d.symbol, default: [:]][interval, default: DepthAggregator(intervalMillis: interval)].add(d) }
    }

    /// Sends every interval that is due at `nowMillis` (all of them with `force`).
    mutating func flush(nowMillis now: Int64, force: Bool = false) {
        for interval in Self.intervals where force || now - (lastFlush[interval] ?? 0) >= Int64(interval) {
            lastFlush[interval] = now
            for symbol in aggregators.keys.sorted() {
                guard let merged = aggregators[symbol]?[interval]?.flush() else { continue }
                let targets = subscribers.values.filter { $0.names.contains { $0.symbol == symbol && $0.intervalMillis == interval } }
                if let name = gapPending.first(where: { $0.symbol == symbol && $0.intervalMillis == interval }) {
                    gapPending.remove(name)
                    gapsSent += 1
                    continue
                }
                guard !targets.isEmpty else { continue }
                let body = Self.encode(merged)
                for t in targets {
                    let name = t.names.first { $0.symbol == symbol && $0.intervalMillis == interval }!.text
                    let text = t.combined ? #"{"stream":"\#(name)","data":\#(body)}"# : body
                    t.channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: t.channel.allocator.buffer(string: text)), promise: nil)
                }
            }
        }
    }

    /// Leaves the next message of every depth stream out.
    mutating func gap(symbols: [Symbol]) {
        for s in symbols {
            for i in Self.intervals { gapPending.insert(Name("\(s.lowercased)@depth@\(i)ms", symbols: [s])!) }
        }
    }

    /// Binance spot's `depthUpdate`: no `T`, no `pu`; prices and quantities with 8 decimals.
    static func encode(_ d: DepthUpdate) -> String {
        func levels(_ l: LevelList) -> String {
            "[" + (0..<l.count).map { #"["\#(l[$0].price.formatted(minFractionDigits: 8))","\#(l[$0].quantity.formatted(minFractionDigits: 8))"]"# }.joined(separator: ",") + "]"
        }
        return #"{"e":"depthUpdate","E":\#(d.eventTimeMillis),"s":"\#(d.symbol)","U":\#(d.firstUpdateID),"u":\#(d.finalUpdateID),"b":\#(levels(d.bids)),"a":\#(levels(d.asks))}"#
    }
}

/// One spot market-stream connection: pings, close frames, and SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS
/// for depth streams. Runs on the venue's event loop.
final class SpotStreamHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let venue: SpotVenue
    private let combined: Bool
    private let names: Set<SpotStreams.Name>

    init(venue: SpotVenue, combined: Bool, names: Set<SpotStreams.Name>) {
        self.venue = venue
        self.combined = combined
        self.names = names
    }

    func handlerAdded(context: ChannelHandlerContext) { venue.streams.register(context.channel, combined: combined, names: names) }

    func channelInactive(context: ChannelHandlerContext) {
        venue.streams.unregister(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if WebSocketControl.handle(frame, context: context) { return }
        guard frame.opcode == .text else { return }
        var data = frame.unmaskedData
        guard let request = try? JSONValue.parse(data.readBytes(length: data.readableBytes) ?? []), let method = request["method"]?.text else {
            return reply(#"{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}"#, context)
        }
        let id = request["id"].map(WebSocketControl.renderID) ?? "null"
        let symbols = Set(venue.markets.keys)
        let asked = Set((request["params"]?.arrayValue ?? []).compactMap { $0.text.flatMap { SpotStreams.Name($0, symbols: symbols) } })
        switch method {
        case "SUBSCRIBE", "UNSUBSCRIBE":
            venue.streams.subscribe(context.channel, asked, add: method == "SUBSCRIBE")
            reply(#"{"result":null,"id":\#(id)}"#, context)
        case "LIST_SUBSCRIPTIONS":
            reply(#"{"result":[\#(venue.streams.names(of: context.channel).map { #""\#($0)""# }.joined(separator: ","))],"id":\#(id)}"#, context)
        default:
            reply(#"{"error":{"code":2,"msg":"Invalid request: unknown variant `\#(method)`"},"id":\#(id)}"#, context)
        }
    }

    private func reply(_ text: String, _ context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))), promise: nil)
    }
}
