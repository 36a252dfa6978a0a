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
    private let payloadBuffer = Buffer(capacity: capacity)
    private let paramsBuffer = Buffer(capacity: capacity)
    private let outputBuffer = Buffer(capacity: capacity * 2)

    public init() {}

    /// `name=value&…` without the signature: the payload to sign.
    public var payload: UnsafeRawBufferPointer { payloadBuffer.bytes }

    /// Writes the payload for `r`. `apiKey` is included for the WebSocket API (REST sends it as a header).
    public func encode(_ r: OrderRequest, apiKey: String?, timestamp: Int64, recvWindow: Int64) {
        payloadBuffer.count = 0
        paramsBuffer.count = 0
        if var key = apiKey { key.withUTF8 { text("apiKey", UnsafeRawBufferPointer($0)) } }
        let side: StaticString = r.side == .buy ? "BUY" : "SELL"
        switch r.kind {
        case .placeLimit:
            r.clientOrderID.withBytes { text("newClientOrderId", $0) }
            decimal("price", r.price.raw)
            decimal("quantity", r.quantity.raw)
            integer("recvWindow", recvWindow)
            if r.reduceOnly { text("reduceOnly", "true") }
            text("side", side)
            r.symbol.withBytes { text("symbol", $0) }
            text("timeInForce", "GTX")
            integer("timestamp", timestamp)
            text("type", "LIMIT")
        case .placeMarket:
            r.clientOrderID.withBytes { text("newClientOrderId", $0) }
            decimal("quantity", r.quantity.raw)
            integer("recvWindow", recvWindow)
            text("reduceOnly", "true")
            text("side", side)
            r.symbol.withBytes { text("symbol", $0) }
            integer("timestamp", timestamp)
            text("type", "MARKET")
        case .modify:
            r.clientOrderID.withBytes { text("origClientOrderId", $0) }
            decimal("price", r.price.raw)
            decimal("quantity", r.quantity.raw)
            integer("recvWindow", recvWindow)
            text("side", side)
            r.symbol.withBytes { text("symbol", $0) }
            integer("timestamp", timestamp)
        case .cancel, .query:
            r.clientOrderID.withBytes { text("origClientOrderId", $0) }
            integer("recvWindow", recvWindow)
            r.symbol.withBytes { text("symbol", $0) }
            integer("timestamp", timestamp)
        }
    }

    /// `payload&signature=<hex>` (REST query string).
    public func restQuery(signature: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let out = outputBuffer
        out.count = 0
        out.append(payload)
        out.append("&signature=")
        out.append(signature)
        return out.bytes
    }

    /// `{"id":"<id>","method":"<method>","params":{…,"signature":"<hex>"}}`.
    public func webSocketJSON(id: UnsafeRawBufferPointer, method: StaticString, signature: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let out = outputBuffer
        out.count = 0
        out.append("{\"id\":\"")
        out.append(id)
        out.append("\",\"method\":\"")
        out.append(method)
        out.append("\",\"params\":{")
        out.append(paramsBuffer.bytes)
        out.append("\"signature\":\"")
        out.append(signature)
        out.append("\"}}")
        return out.bytes
    }

    // MARK: Writers: each parameter goes to the payload (`&name=value`) and the JSON members (`"name":"value",`)

    private func text(_ name: StaticString, _ value: StaticString) {
        value.withUTF8Buffer { text(name, UnsafeRawBufferPointer($0)) }
    }

    private func text(_ name: StaticString, _ value: UnsafeRawBufferPointer) {
        let p = payloadBuffer
        if p.count > 0 { p.append(UInt8(ascii: "&")) }
        p.append(name)
        p.append(UInt8(ascii: "="))
        p.append(value)
        let j = paramsBuffer
        j.append(UInt8(ascii: "\""))
        j.append(name)
        j.append("\":\"")
        j.append(value)
        j.append("\",")
    }

    private func decimal(_ name: StaticString, _ raw: Int64) {
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            let count = DecimalCodec.write(raw, into: buf)
            text(name, UnsafeRawBufferPointer(rebasing: buf[0..<count]))
        }
    }

    /// Whole numbers (timestamps, windows) go into the JSON as numbers.
    private func integer(_ name: StaticString, _ value: Int64) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            var v = value.magnitude
            var i = 24
            repeat {
                i -= 1
                buf[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            if value < 0 {
                i -= 1
                buf[i] = UInt8(ascii: "-")
            }
            let digits = UnsafeRawBufferPointer(rebasing: buf[i..<24])
            let p = payloadBuffer
            if p.count > 0 { p.append(UInt8(ascii: "&")) }
            p.append(name)
            p.append(UInt8(ascii: "="))
            p.append(digits)
            let j = paramsBuffer
            j.append(UInt8(ascii: "\""))
            j.append(name)
            j.append("\":")
            j.append(digits)
            j.append(UInt8(ascii: ","))
        }
    }

    /// A fixed byte buffer with a write cursor. Requests are far below its size; overflow traps rather than
    /// sending a truncated order.
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

        func append(_ byte: UInt8) {
            precondition(count < capacity, "order request too long")
            base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
        }

        func append(_ bytes: UnsafeRawBufferPointer) {
            precondition(count + bytes.count <= capacity, "order request too long")
            if let src = bytes.baseAddress { (base + count).copyMemory(from: src, byteCount: bytes.count) }
            count += bytes.count
        }

        func append(_ s: StaticString) {
            s.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
        }
    }
}
