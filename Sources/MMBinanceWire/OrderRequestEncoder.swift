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
        /// The symbol, receive window and API key every compiled shape is for (another one starts over).
        var symbol = Symbol()
        var recvWindow: Int64 = -1
        var apiKey: String?
        /// The last price and quantity written, as text (a quote's size rarely changes, its price often repeats).
        var lastPrice = CachedDecimal()
        var lastQuantity = CachedDecimal()
    }

    private let state: UnsafeMutablePointer<State>
    /// Each request shape's constant runs, compiled into raw memory (no reference counting when read), by
    /// `Template.slot` (kind × side × reduce-only).
    private let shapes: UnsafeMutablePointer<Compiled>

    public init() {
        state = .allocate(capacity: 1)
        state.initialize(to: State())
        shapes = .allocate(capacity: Template.slots)
        shapes.initialize(repeating: Compiled(), count: Template.slots)
    }

    deinit {
        for i in 0..<Template.slots { shapes[i].release() }
        shapes.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// `name=value&…` without the signature: the payload to sign.
    public var payload: UnsafeRawBufferPointer { payloadBuffer.bytes }

    /// Writes the payload for `r`. `apiKey` is included for the WebSocket API (REST sends it as a header).
    public func encode(_ r: OrderRequest, apiKey: String?, timestamp: Int64, recvWindow: Int64) {
        let s = state
        if s.pointee.symbol != r.symbol || s.pointee.recvWindow != recvWindow || s.pointee.apiKey != apiKey {
            for i in 0..<Template.slots { shapes[i].release() }
            s.pointee.symbol = r.symbol
            s.pointee.recvWindow = recvWindow
            s.pointee.apiKey = apiKey
        }
        let slot = Template.slot(r)
        if shapes[slot].blob == nil {
            // Built once per shape: a bid, an ask, a cancel, ….
            shapes[slot] = Compiled(Template(Template.Key(
                kind: r.kind, reduceOnly: r.reduceOnly, side: r.side, symbol: r.symbol, recvWindow: recvWindow, apiKey: apiKey)))
        }
        let c = shapes[slot]
        let blob = UnsafeRawPointer(c.blob!)
        // Both outputs are written through cursors held in locals: each constant run (names, separators, the
        // API key, the symbol, the receive window) is one copy, and only the values are formatted.
        var payload = Cursor(payloadBuffer)
        var params = Cursor(jsonBuffer, from: Self.jsonPrefixRoom)
        for i in 0...c.valueCount {
            payload.put(UnsafeRawBufferPointer(start: blob + Int(c.payload[i].offset), count: Int(c.payload[i].count)))
            params.put(UnsafeRawBufferPointer(start: blob + Int(c.params[i].offset), count: Int(c.params[i].count)))
            guard i < c.valueCount else { break }
            switch c.values[i] {
            case 0:
                r.clientOrderID.withBytes {
                    payload.put($0)
                    params.put($0)
                }
            case 1: s.pointee.lastPrice.put(r.price.raw, &payload, &params)
            case 2: s.pointee.lastQuantity.put(r.quantity.raw, &payload, &params)
            default: Self.integer(timestamp, &payload, &params)
            }
        }
        payloadBuffer.count = payload.at
        jsonBuffer.count = params.at
    }

    /// A `Template` in raw memory: its runs back to back in `blob`, located by offset and length.
    struct Compiled {
        var blob: UnsafeMutableRawPointer?
        var payload = InlineArray<6, (offset: Int32, count: Int32)>(repeating: (0, 0))
        var params = InlineArray<6, (offset: Int32, count: Int32)>(repeating: (0, 0))
        /// 0 client order ID, 1 price, 2 quantity, 3 timestamp.
        var values = InlineArray<5, UInt8>(repeating: 0)
        var valueCount = 0

        init() {}

        init(_ t: Template) {
            let runs = t.payload + t.params
            let total = runs.reduce(0) { $0 + $1.count }
            let memory = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 8)
            var at = 0
            for (i, run) in runs.enumerated() {
                run.withUnsafeBytes { if let base = $0.baseAddress { (memory + at).copyMemory(from: base, byteCount: run.count) } }
                let located = (Int32(at), Int32(run.count))
                if i < t.payload.count { payload[i] = located } else { params[i - t.payload.count] = located }
                at += run.count
            }
            for (i, v) in t.values.enumerated() {
                switch v {
                case .clientOrderID: values[i] = 0
                case .price: values[i] = 1
                case .quantity: values[i] = 2
                case .timestamp: values[i] = 3
                }
            }
            valueCount = t.values.count
            blob = memory
        }

        mutating func release() {
            blob?.deallocate()
            blob = nil
        }
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

        static let slots = 20

        /// Where a request's shape is kept: kind (5) × side (2) × reduce-only (2).
        @inline(__always)
        static func slot(_ r: OrderRequest) -> Int {
            let kind: Int
            switch r.kind {
            case .placeLimit: kind = 0
            case .placeMarket: kind = 1
            case .modify: kind = 2
            case .cancel: kind = 3
            case .query: kind = 4
            }
            return kind * 4 + (r.side == .buy ? 0 : 2) + (r.reduceOnly ? 1 : 0)
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
