import MMCore
import MMReplay

/// What the venue lists: the symbols of the embedded exchangeInfo (a real 2021 body), and ETHUSDC, which
/// Binance listed in 2024. The fixtures hold no exchangeInfo with ETHUSDC, so its filters are ETHUSDT's
/// from that body (tick 0.01, step and minimum 0.001) with the 20 USDC minimum notional of Binance's USDC
/// contracts.
public enum SimInstruments {
    public static let ethusdc: Instrument = {
        do {
            return try Instrument(
                symbol: Symbol("ETHUSDC")!, tickSize: "0.01", stepSize: "0.001", minPrice: "39.86", maxPrice: "100000",
                minQuantity: "0.001", maxQuantity: "10000", minNotional: "20", percentPriceUp: "1.15", percentPriceDown: "0.85",
                pricePrecision: 2, quantityPrecision: 3)
        } catch {
            preconditionFailure("ETHUSDC filters: \(error)")
        }
    }()

    /// Every instrument the venue can list.
    public static let all: [Instrument] = EmbeddedInstruments.all + [ethusdc]

    /// The instrument for `symbol`, if the venue can list it.
    public static func instrument(_ symbol: Symbol) -> Instrument? { all.first { $0.symbol == symbol } }

    /// The shipped recording of a symbol's base asset (relative to the package root) and the symbol it
    /// recorded: ETHUSDC replays the ETHUSDT book, its quote taken at par.
    public static func shippedRecording(for symbol: Symbol) -> (path: String, recorded: Symbol)? {
        let name = symbol.description
        if name.hasPrefix("BTC") { return ("recordings/btcusdt_20240718.gz", Symbol("BTCUSDT")!) }
        if name.hasPrefix("ETH") { return ("recordings/ethusdt_20240718.gz", Symbol("ETHUSDT")!) }
        return nil
    }
}

extension MarketScript {
    /// The same market listed as `instrument` (its symbol on every event, its filters for orders).
    public func relisted(as instrument: Instrument) -> MarketScript {
        let symbol = instrument.symbol
        var snapshot = self.snapshot
        snapshot.symbol = symbol
        var script = MarketScript(
            instrument: instrument, snapshot: snapshot,
            diffs: diffs.map { var d = $0; d.symbol = symbol; return d },
            tickers: tickers.map { var t = $0; t.symbol = symbol; return t },
            trades: trades.map { var t = $0; t.symbol = symbol; return t },
            timeline: timeline)
        script.startMillis = startMillis
        return script
    }
}
