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

    public init(kind: Kind, symbol: Symbol, side: Side = .buy, price: Price = .zero, quantity: Quantity = .zero, clientOrderID: ClientOrderID, reduceOnly: Bool = false) {
        self.kind = kind
        self.symbol = symbol
        self.side = side
        self.price = price
        self.quantity = quantity
        self.clientOrderID = clientOrderID
        self.reduceOnly = reduceOnly
    }

    /// The WebSocket API method.
    public var method: String {
        switch kind {
        case .placeLimit, .placeMarket: "order.place"
        case .cancel: "order.cancel"
        case .modify: "order.modify"
        case .query: "order.status"
        }
    }
}

/// Encodes signed order requests into reusable byte buffers: the parameters sorted by name (the order the
/// WebSocket API signs, and a valid REST query), then, given the signature, a REST query or a WebSocket API
/// JSON request. Allocation free once the buffers have grown.
public struct OrderRequestEncoder: Sendable {
    /// `name=value&…` without the signature: the payload to sign.
    public private(set) var payload: [UInt8] = []
    /// The last request rendered by `restQuery` or `webSocketJSON`.
    public private(set) var output: [UInt8] = []

    public init() {
        payload.reserveCapacity(512)
        output.reserveCapacity(1024)
    }

    /// Writes the payload for `r`. `apiKey` is included for the WebSocket API (REST sends it as a header).
    public mutating func encode(_ r: OrderRequest, apiKey: String?, timestamp: Int64, recvWindow: Int64) {
        payload.removeAll(keepingCapacity: true)
        if let apiKey { param("apiKey", apiKey) }
        switch r.kind {
        case .placeLimit:
            param("newClientOrderId", r.clientOrderID)
            decimal("price", r.price.raw)
            decimal("quantity", r.quantity.raw)
            integer("recvWindow", recvWindow)
            if r.reduceOnly { param("reduceOnly", "true") }
            param("side", r.side == .buy ? "BUY" : "SELL")
            param("symbol", r.symbol)
            param("timeInForce", "GTX")
            integer("timestamp", timestamp)
            param("type", "LIMIT")
        case .placeMarket:
            param("newClientOrderId", r.clientOrderID)
            decimal("quantity", r.quantity.raw)
            integer("recvWindow", recvWindow)
            param("reduceOnly", "true")
            param("side", r.side == .buy ? "BUY" : "SELL")
            param("symbol", r.symbol)
            integer("timestamp", timestamp)
            param("type", "MARKET")
        case .modify:
            param("origClientOrderId", r.clientOrderID)
            decimal("price", r.price.raw)
            decimal("quantity", r.quantity.raw)
            integer("recvWindow", recvWindow)
            param("side", r.side == .buy ? "BUY" : "SELL")
            param("symbol", r.symbol)
            integer("timestamp", timestamp)
        case .cancel, .query:
            param("origClientOrderId", r.clientOrderID)
            integer("recvWindow", recvWindow)
            param("symbol", r.symbol)
            integer("timestamp", timestamp)
        }
    }

    /// `payload&signature=<hex>` (REST query string).
    public mutating func restQuery(signature: some Collection<UInt8>) -> [UInt8] {
        output.removeAll(keepingCapacity: true)
        output.append(contentsOf: payload)
        append(&output, "&signature=")
        output.append(contentsOf: signature)
        return output
    }

    /// `{"id":"<id>","method":"<method>","params":{…,"signature":"<hex>"}}` from the payload.
    public mutating func webSocketJSON(id: some StringProtocol, method: String, signature: some Collection<UInt8>) -> [UInt8] {
        output.removeAll(keepingCapacity: true)
        append(&output, "{\"id\":\"")
        append(&output, id)
        append(&output, "\",\"method\":\"")
        append(&output, method)
        append(&output, "\",\"params\":{\"")
        // name=value&name=value → "name":"value","name":value (timestamps and windows as numbers).
        var i = 0
        let n = payload.count
        while i < n {
            let nameStart = i
            while payload[i] != UInt8(ascii: "=") { i += 1 }
            let nameEnd = i
            i += 1
            let valueStart = i
            while i < n && payload[i] != UInt8(ascii: "&") { i += 1 }
            output.append(contentsOf: payload[nameStart..<nameEnd])
            let numeric = payload[nameStart] == UInt8(ascii: "t") && nameEnd - nameStart == 9 || payload[nameStart] == UInt8(ascii: "r") && nameEnd - nameStart == 10
            append(&output, numeric ? "\":" : "\":\"")
            output.append(contentsOf: payload[valueStart..<i])
            append(&output, numeric ? ",\"" : "\",\"")
            i += 1
        }
        append(&output, "signature\":\"")
        output.append(contentsOf: signature)
        append(&output, "\"}}")
        return output
    }

    // MARK: Writers

    private mutating func separator() {
        if !payload.isEmpty { payload.append(UInt8(ascii: "&")) }
    }

    private mutating func param(_ name: StaticString, _ value: some StringProtocol) {
        separator()
        append(&payload, name)
        payload.append(UInt8(ascii: "="))
        append(&payload, value)
    }

    private mutating func param(_ name: StaticString, _ value: Symbol) {
        separator()
        append(&payload, name)
        payload.append(UInt8(ascii: "="))
        value.withBytes { payload.append(contentsOf: $0) }
    }

    private mutating func param(_ name: StaticString, _ value: ClientOrderID) {
        separator()
        append(&payload, name)
        payload.append(UInt8(ascii: "="))
        value.withBytes { payload.append(contentsOf: $0) }
    }

    private mutating func decimal(_ name: StaticString, _ raw: Int64) {
        separator()
        append(&payload, name)
        payload.append(UInt8(ascii: "="))
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            let count = DecimalCodec.write(raw, into: buf)
            payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[0..<count]))
        }
    }

    private mutating func integer(_ name: StaticString, _ value: Int64) {
        separator()
        append(&payload, name)
        payload.append(UInt8(ascii: "="))
        if value < 0 { payload.append(UInt8(ascii: "-")) }
        var v = value.magnitude
        let start = payload.count
        repeat {
            payload.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        payload[start...].reverse()
    }

    private func append(_ out: inout [UInt8], _ s: StaticString) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private func append(_ out: inout [UInt8], _ s: some StringProtocol) {
        out.append(contentsOf: s.utf8)
    }
}
