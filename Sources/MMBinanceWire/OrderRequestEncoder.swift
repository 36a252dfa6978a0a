import MMCore

/// What one order request asks for.
public struct OrderRequest: Sendable, Equatable, BitwiseCopyable {
    public enum Kind: Sendable, Equatable, BitwiseCopyable {
        /// A post-only (GTX) limit order.
        case placeLimit
        /// A reduce-only market order (flattening).
        case placeMarket
        case cancel
        case modify
        case query
    }

    public var kind: Kind
    public var symbol: Symbol
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    /// `newClientOrderId` for a new order, `origClientOrderId` otherwise.
    public var clientOrderID: ClientOrderID
    public var reduceOnly: Bool

    public init(
        kind: Kind, symbol: Symbol, side: Side = .buy, price: Price = .zero, quantity: Quantity = .zero, clientOrderID: ClientOrderID,
        reduceOnly: Bool = false
    ) {
        self.kind = kind
        self.symbol = symbol
        self.side = side
        self.price = price
        self.quantity = quantity
        self.clientOrderID = clientOrderID
        self.reduceOnly = reduceOnly
    }

    /// The WebSocket API method.
    public var method: StaticString {
        switch kind {
        case .placeLimit, .placeMarket: "order.place"
        case .cancel: "order.cancel"
        case .modify: "order.modify"
        case .query: "order.status"
        }
    }
}

/// Encodes signed order requests into buffers it owns: the parameters sorted by name (the order the
/// WebSocket API signs, and a valid REST query) and, alongside, the same parameters as JSON members; given
/// the signature, a REST query or a WebSocket API request. Allocation free after creation. One thread.
public final class OrderRequestEncoder {
    private static let capacity = 2048
    /// Room before the JSON members in `jsonBuffer` for `{"id":…,"method":…,"params":{`, written in front of
    /// them once the ID is known (the members are not copied again).
    private static let jsonPrefixRoom = 128
    private let payloadBuffer = Buffer(capacity: capacity)
    private let jsonBuffer = Buffer(capacity: capacity * 2)
    private let restBuffer = Buffer(capacity: capacity * 2)
    /// What the encoder keeps between requests, behind a pointer: the class's own stored `var`s would pay a
    /// dynamic exclusivity check on every touch.
    private struct State {
        /// The constant parts of the last request shape, between its variable values (see `Template`).
        var template: Template?
        /// The last price and quantity written, as text (a quote's size rarely changes, its price often repeats).
        var lastPrice = CachedDecimal()
        var lastQuantity = CachedDecimal()
    }

    private let state: UnsafeMutablePointer<State>

    public init() {
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// `name=value&…` without the signature: the payload to sign.
    public var payload: UnsafeRawBufferPointer { payloadBuffer.bytes }

    /// Writes the payload for `r`. `apiKey` is included for the WebSocket API (REST sends it as a header).
    public func encode(_ r: OrderRequest, apiKey: String?, timestamp: Int64, recvWindow: Int64) {
        let s = state
        if !(s.pointee.template?.fits(r, recvWindow: recvWindow, apiKey: apiKey) ?? false) {
            s.pointee.template = Template(Template.Key(
                kind: r.kind, reduceOnly: r.reduceOnly, side: r.side, symbol: r.symbol, recvWindow: recvWindow, apiKey: apiKey))
        }
        // Both outputs are written through cursors held in locals: each constant run (names, separators, the
        // API key, the symbol, the receive window) is one copy, and only the values are formatted.
        var payload = Cursor(payloadBuffer)
        var params = Cursor(jsonBuffer, from: Self.jsonPrefixRoom)
        let count = s.pointee.template!.values.count
        for i in 0..<count {
            s.pointee.template!.payload[i].withUnsafeBytes { payload.put($0) }
            s.pointee.template!.params[i].withUnsafeBytes { params.put($0) }
            switch s.pointee.template!.values[i] {
            case .clientOrderID:
                r.clientOrderID.withBytes {
                    payload.put($0)
                    params.put($0)
                }
            case .price: s.pointee.lastPrice.put(r.price.raw, &payload, &params)
            case .quantity: s.pointee.lastQuantity.put(r.quantity.raw, &payload, &params)
            case .timestamp: Self.integer(timestamp, &payload, &params)
            }
        }
        s.pointee.template!.payload[count].withUnsafeBytes { payload.put($0) }
        s.pointee.template!.params[count].withUnsafeBytes { params.put($0) }
        payloadBuffer.count = payload.at
        jsonBuffer.count = params.at
    }

    /// A decimal's text, kept for the next request that has the same value.
    struct CachedDecimal {
        var raw: Int64 = .min
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0

        @inline(__always)
        mutating func put(_ value: Int64, _ payload: inout Cursor, _ params: inout Cursor) {
            if value != raw {
                raw = value
                count = withUnsafeMutableBytes(of: &text) { DecimalCodec.write(value, into: $0) }
            }
            let n = count
            withUnsafeBytes(of: &text) { buf in
                let digits = UnsafeRawBufferPointer(rebasing: buf[0..<n])
                payload.put(digits)
                params.put(digits)
            }
        }
    }

    @inline(__always)
    private static func integer(_ value: Int64, _ payload: inout Cursor, _ params: inout Cursor) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            let digits = UnsafeRawBufferPointer(rebasing: buf[DecimalCodec.writeInteger(value, rightAlignedIn: buf)..<24])
            payload.put(digits)
            params.put(digits)
        }
    }

    /// One request shape (kind, side, symbol, API key, receive window) as constant byte runs around its
    /// variable values: `payload[i]` and `params[i]` come before `values[i]`, the last runs after them. The
    /// parameters are in the order Binance signs them (sorted by name).
    struct Template {
        struct Key: Equatable {
            var kind: OrderRequest.Kind
            var reduceOnly: Bool
            var side: Side
            var symbol: Symbol
            var recvWindow: Int64
            var apiKey: String?
        }

        enum Value { case clientOrderID, price, quantity, timestamp }

        /// A parameter: its name, and either a constant text (`quoted`: a JSON string, else a JSON number)
        /// or a value filled in per request.
        enum Part {
            case constant(String, quoted: Bool)
            case value(Value, quoted: Bool)
        }

        let key: Key
        var payload: [[UInt8]] = [[]]
        var params: [[UInt8]] = [[]]
        var values: [Value] = []

        /// Whether `r` has this shape (compared field by field: building a key would retain the API key).
        @inline(__always)
        func fits(_ r: OrderRequest, recvWindow: Int64, apiKey: String?) -> Bool {
            key.kind == r.kind && key.reduceOnly == r.reduceOnly && key.side == r.side && key.symbol == r.symbol && key.recvWindow == recvWindow
                && key.apiKey == apiKey
        }

        init(_ key: Key) {
            self.key = key
            let side = key.side == .buy ? "BUY" : "SELL"
            var parts: [(String, Part)] = []
            if let apiKey = key.apiKey { parts.append(("apiKey", .constant(apiKey, quoted: true))) }
            let window = ("recvWindow", Part.constant(String(key.recvWindow), quoted: false))
            let symbol = ("symbol", Part.constant(key.symbol.description, quoted: true))
            let timestamp = ("timestamp", Part.value(.timestamp, quoted: false))
            switch key.kind {
            case .placeLimit:
                parts += [
                    ("newClientOrderId", .value(.clientOrderID, quoted: true)), ("price", .value(.price, quoted: true)),
                    ("quantity", .value(.quantity, quoted: true)), window,
                ]
                if key.reduceOnly { parts.append(("reduceOnly", .constant("true", quoted: true))) }
                parts += [("side", .constant(side, quoted: true)), symbol, ("timeInForce", .constant("GTX", quoted: true)), timestamp,
                    ("type", .constant("LIMIT", quoted: true))]
            case .placeMarket:
                parts += [
                    ("newClientOrderId", .value(.clientOrderID, quoted: true)), ("quantity", .value(.quantity, quoted: true)), window,
                    ("reduceOnly", .constant("true", quoted: true)), ("side", .constant(side, quoted: true)), symbol, timestamp,
                    ("type", .constant("MARKET", quoted: true)),
                ]
            case .modify:
                parts += [
                    ("origClientOrderId", .value(.clientOrderID, quoted: true)), ("price", .value(.price, quoted: true)),
                    ("quantity", .value(.quantity, quoted: true)), window, ("side", .constant(side, quoted: true)), symbol, timestamp,
                ]
            case .cancel, .query:
                parts += [("origClientOrderId", .value(.clientOrderID, quoted: true)), window, symbol, timestamp]
            }
            for (n, (name, part)) in parts.enumerated() {
                if n > 0 { payload[payload.count - 1] += Array("&".utf8) }
                payload[payload.count - 1] += Array((name + "=").utf8)
                params[params.count - 1] += Array(("\"" + name + "\":").utf8)
                switch part {
                case .constant(let text, let quoted):
                    payload[payload.count - 1] += Array(text.utf8)
                    params[params.count - 1] += Array((quoted ? "\"" + text + "\"," : text + ",").utf8)
                case .value(let v, let quoted):
                    if quoted { params[params.count - 1] += Array("\"".utf8) }
                    values.append(v)
                    payload.append([])
                    params.append(quoted ? Array("\",".utf8) : Array(",".utf8))
                }
            }
        }
    }

    /// `payload&signature=<hex>` (REST query string).
    public func restQuery(signature: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var out = Cursor(restBuffer)
        out.put(payload)
        out.put("&signature=")
        out.put(signature)
        restBuffer.count = out.at
        return restBuffer.bytes
    }

    /// `{"id":"<id>","method":"<method>","params":{…,"signature":"<hex>"}}`. The members written by
    /// `encode` stay where they are; the start is written in front of them.
    public func webSocketJSON(id: UnsafeRawBufferPointer, method: StaticString, signature: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let room = Self.jsonPrefixRoom
        let prefixLength = 7 + id.count + 12 + method.utf8CodeUnitCount + 12
        precondition(prefixLength <= room, "request id too long")
        var head = Cursor(jsonBuffer, from: room - prefixLength)
        head.put("{\"id\":\"")
        head.put(id)
        head.put("\",\"method\":\"")
        head.put(method)
        head.put("\",\"params\":{")
        var tail = Cursor(jsonBuffer, from: jsonBuffer.count)
        tail.put("\"signature\":\"")
        tail.put(signature)
        tail.put("\"}}")
        return UnsafeRawBufferPointer(start: jsonBuffer.base + (room - prefixLength), count: tail.at - (room - prefixLength))
    }

    /// A write position in a `Buffer`, kept in registers while a request is written.
    struct Cursor {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var at = 0

        @inline(__always)
        init(_ buffer: Buffer, from start: Int = 0) {
            base = buffer.base
            capacity = buffer.capacity
            at = start
        }

        @inline(__always)
        mutating func put(_ byte: UInt8) {
            precondition(at < capacity, "order request too long")
            base.storeBytes(of: byte, toByteOffset: at, as: UInt8.self)
            at += 1
        }

        @inline(__always)
        mutating func put(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { put($0) }
        }

        @inline(__always)
        mutating func put(_ s: StaticString) {
            s.withUTF8Buffer { put(UnsafeRawBufferPointer($0)) }
        }

        /// Short runs (names, values) move a word at a time; long ones (the parameters into the request)
        /// go to `memcpy`.
        @inline(__always)
        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            let n = bytes.count
            precondition(n <= capacity - at, "order request too long")
            guard let src = bytes.baseAddress else { return }
            let dst = base + at
            if n >= 8 && n <= 128 {
                var i = 0
                while i + 8 <= n {
                    dst.storeBytes(of: src.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                if i < n {
                    dst.storeBytes(of: src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
                }
            } else if n < 8 {
                for i in 0..<n { dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
            } else {
                dst.copyMemory(from: src, byteCount: n)
            }
            at += n
        }
    }

    /// A fixed byte buffer. Requests are far below its size; overflow traps rather than sending a truncated
    /// order.
    final class Buffer {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var count = 0

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(byteCount: capacity, alignment: 16)
        }

        deinit { base.deallocate() }

        var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    }
}
