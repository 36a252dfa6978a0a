import MMBinanceAuth
import MMBinanceWire
import MMCore

// Usage: ProfileSign [orders]
// Sign + encode one order (HMAC-SHA256 over the sorted parameters, WebSocket API JSON), as a plain loop
// for callgrind and quick timing.
let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
let signer = HMACSigner(secret: "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
let encoder = OrderRequestEncoder()
let prefix = ClientOrderID("mmq-mwrimpdl-")!
let symbol = Symbol("BTCUSDT")!
let quantity = Quantity(raw: 200_000)
let apiKey = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
let id: StaticString = "17"
var hex: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
var bytes = 0
/// The benchmark's order `seq`: a bid at one of a hundred prices.
func request(_ seq: UInt64) -> OrderRequest {
    OrderRequest(
        kind: .placeLimit, symbol: symbol, side: .buy, price: Price(raw: 6_394_075_000_000 + Int64(seq % 100) * 1_000_000), quantity: quantity,
        clientOrderID: ClientOrderID(prefix: prefix, sequence: seq)!)
}
let start = MonotonicInstant.now().nanos
for seq in 1...UInt64(count) {
    let r = request(seq)
    encoder.encode(r, apiKey: apiKey, timestamp: 1_795_332_524_276 + Int64(seq), recvWindow: 5000)
    withUnsafeMutableBytes(of: &hex) { h in
        signer.sign(encoder.payload, hexInto: h)
        id.withUTF8Buffer { i in
            bytes &+= encoder.webSocketJSON(id: UnsafeRawBufferPointer(i), method: r.method, signature: UnsafeRawBufferPointer(h)).count
        }
    }
}
let elapsed = MonotonicInstant.now().nanos - start
print("\(count) orders, \(bytes / count) bytes each, \(elapsed / Int64(count)) ns/order")
if CommandLine.arguments.contains("split") {
    let payload = Array(encoder.payload)
    let t0 = MonotonicInstant.now().nanos
    var x = 0
    payload.withUnsafeBytes { p in
        for _ in 0..<count {
            withUnsafeMutableBytes(of: &hex) { h in signer.sign(p, hexInto: h); x &+= Int(h[0]) }
        }
    }
    let t1 = MonotonicInstant.now().nanos
    for seq in 1...UInt64(count) {
        let r = request(seq)
        encoder.encode(r, apiKey: apiKey, timestamp: 1_795_332_524_276 + Int64(seq), recvWindow: 5000)
        withUnsafeBytes(of: &hex) { h in
            id.withUTF8Buffer { i in x &+= encoder.webSocketJSON(id: UnsafeRawBufferPointer(i), method: r.method, signature: h).count }
        }
    }
    let t2 = MonotonicInstant.now().nanos
    print("payload \(payload.count) bytes: sign \((t1 - t0) / Int64(count)) ns, encode \((t2 - t1) / Int64(count)) ns (\(x))")
}
if CommandLine.arguments.contains("parts") {
    let requests = (1...UInt64(1024)).map(request)
    var x = 0
    let t0 = MonotonicInstant.now().nanos
    for k in 0..<count {
        encoder.encode(requests[k & 1023], apiKey: apiKey, timestamp: 1_795_332_524_276 + Int64(k), recvWindow: 5000)
        x &+= encoder.payload.count
    }
    let t1 = MonotonicInstant.now().nanos
    for _ in 0..<count {
        withUnsafeBytes(of: &hex) { h in
            id.withUTF8Buffer { i in x &+= encoder.webSocketJSON(id: UnsafeRawBufferPointer(i), method: "order.place", signature: h).count }
        }
    }
    let t2 = MonotonicInstant.now().nanos
    var buf: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for k in 0..<count {
        x &+= withUnsafeMutableBytes(of: &buf) { DecimalCodec.write(6_394_075_000_000 + Int64(k & 255) * 1_000_000, into: $0) }
    }
    let t3 = MonotonicInstant.now().nanos
    print("encode \((t1 - t0) / Int64(count)) ns, json \((t2 - t1) / Int64(count)) ns, one decimal \((t3 - t2) / Int64(count)) ns (\(x))")
}
