import FuzzDriver
import MMBinanceWire
import MMBook
import MMCore

/// One decoder and one book reused across inputs, as on the ingest thread.
nonisolated(unsafe) var message = MarketMessage()
nonisolated(unsafe) var book = SyncedBook(instrument: Instrument.unitGrid(symbol: Symbol("BTCUSDT")!), levelCapacity: 1024)

/// Market-data frames (depth diffs, bookTicker, snapshots, envelopes): decode, and feed what decodes into a
/// synced book. Any input must give a value or an error, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let kind = try? MarketDecoder.decode(bytes, into: &message) else { return 0 }
    switch kind {
    case .depthUpdate:
        message.depth.symbol = Symbol("BTCUSDT")!
        _ = book.onDiff(message.depth)
    case .depthSnapshot:
        _ = book.onSnapshot(message.snapshot)
    default:
        break
    }
    return 0
}

// SwiftPM links executables through `<module>_main`; hand control to libFuzzer's driver from there.
@_cdecl("FuzzDepth_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
