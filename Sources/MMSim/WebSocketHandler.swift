import MMCore
import MMBinanceWire
import NIOCore
import NIOWebSocket

/// What every venue WebSocket does with control frames and request IDs.
enum WebSocketControl {
    /// Pong for ping, close for close; `true` when the frame was one of those.
    static func handle(_ frame: WebSocketFrame, context: ChannelHandlerContext) -> Bool {
        switch frame.opcode {
        case .ping:
            var payload = frame.unmaskedData
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: payload.readSlice(length: payload.readableBytes) ?? ByteBuffer())
            context.writeAndFlush(NIOAny(pong), promise: nil)
            return true
        case .connectionClose:
            close(context: context, code: .normalClosure)
            return true
        default:
            return false
        }
    }

    static func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(NIOAny(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    /// A request `id` echoed back: numbers as sent, strings as JSON strings.
    static func renderID(_ v: JSONValue) -> String {
        switch v {
        case .number(let n): return n
        case .string(let s): return JSONString.quoted(s)
        default: return "null"
        }
    }
}

/// Closes a connection from outside its handler (fault injection), with a close frame first.
enum WebSocketClose {
    static func send(_ channel: Channel) {
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .goingAway)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// One market-stream connection: registers with the hub, answers SUBSCRIBE / UNSUBSCRIBE /
/// LIST_SUBSCRIPTIONS, pings and close frames. Runs on the hub's event loop.
final class MarketStreamHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hub: StreamHub
    private let request: StreamRequest
    private var closing = false

    init(hub: StreamHub, request: StreamRequest) {
        self.hub = hub
        self.request = request
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Names in the URL that are not streams are ignored, as Binance does: clients such as CCXT connect to
        // `/ws/<n>` and subscribe afterwards.
        hub.register(context.channel, combined: request.combined, route: request.route, names: request.names.filter { StreamName($0) != nil })
    }

    func channelInactive(context: ChannelHandlerContext) {
        hub.unregister(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard hub.inbound(frame, on: context.channel) else { return WebSocketControl.close(context: context, code: .policyViolation) }
        if WebSocketControl.handle(frame, context: context) { return }
        if frame.opcode == .text {
            var data = frame.unmaskedData
            handleRequest(data.readBytes(length: data.readableBytes) ?? [], context: context)
        }
    }

    private func handleRequest(_ bytes: [UInt8], context: ChannelHandlerContext) {
        // Binance's documented errors of the control protocol.
        guard let request = try? JSONValue.parse(bytes) else {
            reply(#"{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}"#, context: context)
            return
        }
        guard let method = request["method"]?.text else {
            reply(#"{"error":{"code":2,"msg":"Invalid request: missing field `method` at line 1 column \#(bytes.count)"},"id":null}"#, context: context)
            return
        }
        let id = request["id"].map(WebSocketControl.renderID) ?? "null"
        let params = (request["params"]?.arrayValue ?? []).compactMap(\.text)
        switch method {
        case "SUBSCRIBE":
            let invalid = hub.subscribe(context.channel, names: params)
            if invalid.isEmpty {
                reply(#"{"result":null,"id":\#(id)}"#, context: context)
            } else {
                reply(#"{"error":{"code":2,"msg":\#(JSONString.quoted("Invalid request: unknown stream " + invalid[0]))},"id":\#(id)}"#, context: context)
            }
        case "UNSUBSCRIBE":
            hub.unsubscribe(context.channel, names: params)
            reply(#"{"result":null,"id":\#(id)}"#, context: context)
        case "LIST_SUBSCRIPTIONS":
            let list = hub.subscriptions(context.channel).map { "\"\($0)\"" }.joined(separator: ",")
            reply(#"{"result":[\#(list)],"id":\#(id)}"#, context: context)
        default:
            let variant = JSONString.quoted(method).dropFirst().dropLast()
            reply(#"{"error":{"code":2,"msg":"Invalid request: unknown variant `\#(variant)`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 28"},"id":\#(id)}"#, context: context)
        }
    }

    private func reply(_ text: String, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: text)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
    }

    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closing else { return }
        closing = true
        WebSocketControl.close(context: context, code: code)
    }
}

/// Where a user data stream URL names its listen key, and what it may receive: `/private/ws?listenKey=<key>`
/// (Binance's routed form, with an optional `events=A/B` filter) receives the key's events; the legacy
/// `/ws/<key>` and `/private/ws/<key>` connect but, as on Binance since 2026-04-23, receive nothing.
struct UserStreamRequest: Equatable {
    /// One listen key and the event types it delivers (nil: all).
    struct Subscription: Equatable {
        var listenKey: String
        var events: Set<String>?
    }

    /// `/private/stream` takes several keys, each followed by its own `events`.
    var subscriptions: [Subscription]
    /// A retired path: connected, silent.
    var silent: Bool

    init?(uri: String) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts[0]
        if path == "/private/ws" || path == "/private/stream", parts.count > 1 {
            var subscriptions: [Subscription] = []
            for (name, value) in Query(String(parts[1])).items {
                if name == "listenKey" {
                    subscriptions.append(Subscription(listenKey: value))
                } else if name == "events", !subscriptions.isEmpty {
                    subscriptions[subscriptions.count - 1].events = Set(value.split(separator: "/").map(String.init))
                }
            }
            guard !subscriptions.isEmpty, path == "/private/stream" || subscriptions.count == 1 else { return nil }
            self.subscriptions = subscriptions
            silent = false
            return
        }
        for prefix in ["/private/ws/", "/ws/"] where path.hasPrefix(prefix) {
            let key = path.dropFirst(prefix.count)
            // Listen keys are long and alphanumeric; stream names have '@'.
            if key.count >= 32 && key.allSatisfy({ $0.isLetter || $0.isNumber }) {
                subscriptions = [Subscription(listenKey: String(key))]
                silent = true
                return
            }
        }
        return nil
    }

    /// Whether `key` is one of this connection's listen keys, delivering events of `type`.
    func delivers(_ type: String, for key: String) -> Bool {
        subscriptions.contains { $0.listenKey == key && ($0.events?.contains(type) ?? true) }
    }
}

/// A user data stream connection: events arrive from the hub; this answers pings and close frames.
final class UserStreamHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hub: StreamHub
    private let request: UserStreamRequest

    init(hub: StreamHub, request: UserStreamRequest) {
        self.hub = hub
        self.request = request
    }

    func handlerAdded(context: ChannelHandlerContext) {
        hub.registerUser(context.channel, request: request)
    }

    func channelInactive(context: ChannelHandlerContext) {
        hub.unregister(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Clients send nothing but control frames here.
        let frame = unwrapInboundIn(data)
        guard hub.inbound(frame, on: context.channel) else { return WebSocketControl.close(context: context, code: .policyViolation) }
        _ = WebSocketControl.handle(frame, context: context)
    }
}
