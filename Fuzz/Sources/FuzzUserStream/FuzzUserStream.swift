import FuzzDriver
import MMBinanceWire
import MMCore
import MMExecution

nonisolated(unsafe) var keeper = PositionKeeper()

/// User data stream events: decode, and apply what decodes to a position keeper, as the order manager does
/// (plausible reports only; fills by trade ID, the account's positions as advisories).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let event = try? UserStreamDecoder.decode(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    switch event {
    case .execution(let r):
        if OrderTracker.isPlausible(r) && r.lastQuantity > .zero {
            _ = keeper.fill(tradeID: r.tradeID, side: r.side, price: r.lastPrice, quantity: r.lastQuantity, maker: r.isMaker, time: r.transactionTime.millis)
        }
    case .account(let update):
        for p in update.positions where OrderTracker.isPlausible(p.quantity, p.entryPrice) { keeper.advisory(quantity: p.quantity, entry: p.entryPrice, time: update.transactionTime.millis, nowNanos: 0) }
    default: break
    }
    _ = keeper.unrealized(at: Price(raw: 6_000_000_000_000))
    return 0
}

@_cdecl("FuzzUserStream_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
