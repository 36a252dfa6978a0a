import FuzzDriver
import MMBinanceWire
import MMCore

/// REST response bodies: exact-number JSON, exchangeInfo filters into instruments, error bodies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let doc = try? JSONValue.parse(bytes) {
        _ = doc["code"]?.int64
        _ = doc["orderId"]?.int64
        for p in doc.arrayValue ?? [] { _ = p["positionAmt"]?.text.flatMap { Quantity($0) } }
    }
    _ = try? ExchangeInfo.instruments(from: bytes)
    return 0
}

@_cdecl("FuzzREST_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
