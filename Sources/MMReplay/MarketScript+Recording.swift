import MMBinanceWire
import MMBook
import MMCore
import MMSimCore

extension MarketScript {
    /// Scripts for every symbol of a recording that contains a depth snapshot, in symbol order.
    public static func load(paths: [String], instruments: [Instrument] = EmbeddedInstruments.all) throws(ReplayError) -> [MarketScript] {
        var builders: [Symbol: MarketScript.Builder] = [:]
        var message = MarketMessage()
        let reader = try RecordingReader(paths: paths)
        while let (line, file) = try reader.next() {
            defer { try? reader.consume(file: file) }
            guard let kind = try? MarketDecoder.decode(line.json, into: &message) else { continue }
            let ts = line.receivedNanos
            switch kind {
            case .depthUpdate:
                reader.noteSymbol(message.depth.symbol, file: file)
                builders[message.depth.symbol, default: .init()].add(diff: message.depth, at: ts)
            case .depthSnapshot:
                let symbol = message.snapshot.symbol.isEmpty
                    ? (line.symbolHint ?? reader.lastSymbol(file: file) ?? Symbol()) : message.snapshot.symbol
                guard !symbol.isEmpty else { continue }
                var snapshot = message.snapshot
                snapshot.symbol = symbol
                builders[symbol, default: .init()].add(snapshot: snapshot, at: ts)
            case .bookTicker:
                reader.noteSymbol(message.bookTicker.symbol, file: file)
                builders[message.bookTicker.symbol, default: .init()].add(ticker: message.bookTicker, at: ts)
            case .trade, .aggTrade:
                reader.noteSymbol(message.trade.symbol, file: file)
                builders[message.trade.symbol, default: .init()].add(trade: message.trade, at: ts)
            default:
                continue
            }
        }
        var table: [Symbol: Instrument] = [:]
        for i in instruments { table[i.symbol] = i }
        let scripts = builders.keys.sorted().compactMap { symbol in
            builders[symbol]!.script(instrument: table[symbol] ?? Instrument.unitGrid(symbol: symbol))
        }
        if scripts.isEmpty {
            throw ReplayError("no symbol in \(paths.joined(separator: ", ")) has a depth snapshot followed by diffs")
        }
        return scripts
    }
}
