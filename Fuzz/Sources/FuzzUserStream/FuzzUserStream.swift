import FuzzDriver
import MMBinanceWire
import MMCore
import MMExecution

nonisolated(unsafe) var tracker = OrderTracker(symbol: Symbol("BTCUSDT")!)

/// User data stream events: decode, and apply what decodes to an order tracker.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let event = try? UserStreamDecoder.decode(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    switch event {
    case .execution(let report): _ = tracker.apply(report)
    case .account(let update):
        for p in update.positions { tracker.setPosition(p.quantity, entryPrice: p.entryPrice) }
    default: break
    }
    _ = tracker.unrealized(at: Price(raw: 6_000_000_000_000))
    return 0
}

@_cdecl("FuzzUserStream_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
