import MMBinanceWire
import MMBook
import MMCore

/// Rebuilds books from recordings and checks them against the exchange's own best bid/offer: every
/// `bookTicker` whose `u` equals an applied diff's `u` must match the rebuilt best bid and ask exactly.
public struct ReplayVerifier {
    /// Per-symbol outcome.
    public struct SymbolReport: Sendable {
        public var symbol: Symbol
        public var counters = SyncCounters()
        public var oracleChecks = 0
        public var oracleMismatches = 0
        public var crossedBooks = 0
        public var rejectedLevels = 0
        public var synced = false
        public var everSynced = false
        public var finalTop = TopOfBook.empty
        /// The first few mismatches, for a person to read.
        public var mismatchSamples: [String] = []
    }

    /// Whole-run outcome.
    public struct Report: Sendable {
        public var files: [String] = []
        public var lines = 0
        public var malformedLines = 0
        public var malformedMessages = 0
        public var snapshotsWithoutSymbol = 0
        public var bookTickers = 0
        public var trades = 0
        public var otherMessages = 0
        public var symbols: [SymbolReport] = []

        func total(_ f: (SymbolReport) -> Int) -> Int { symbols.reduce(0) { $0 + f($1) } }
        public var diffs: Int { total { $0.counters.diffs } }
        public var applied: Int { total { $0.counters.applied } }
        public var buffered: Int { total { $0.counters.buffered } }
        public var gaps: Int { total { $0.counters.gaps } }
        public var resyncs: Int { total { $0.counters.resyncs } }
        public var oracleChecks: Int { total { $0.oracleChecks } }
        public var oracleMismatches: Int { total { $0.oracleMismatches } }
        public var crossedBooks: Int { total { $0.crossedBooks } }
        /// Every symbol with diffs ended in sync.
        public var allSynced: Bool { symbols.allSatisfy { $0.synced || $0.counters.diffs == 0 } }
    }

    private struct SymbolState {
        var book: SyncedBook
        var report: SymbolReport
        /// Best bid/offer after each recently applied diff, by `u`, for bookTickers that arrive late.
        var history: [(u: Int64, top: TopOfBook)] = []
        var historyNext = 0
        /// BookTickers ahead of the book, waiting for the diff with their `u`.
        var pending: [BookTicker] = []
    }

    private var instruments: [Symbol: Instrument]
    private var states: [Symbol: SymbolState] = [:]
    private var message = MarketMessage()
    public private(set) var report = Report()
    static let historySize = 256

    /// Creates a verifier using `instruments` for tick and step grids (unknown symbols use a 1e-8 grid).
    public init(instruments: [Instrument] = EmbeddedInstruments.all) {
        var table: [Symbol: Instrument] = [:]
        for i in instruments { table[i.symbol] = i }
        self.instruments = table
    }

    /// Replays `paths` (merged in receive-time order) and returns the report.
    public static func verify(paths: [String], instruments: [Instrument] = EmbeddedInstruments.all) throws(ReplayError) -> Report {
        var verifier = ReplayVerifier(instruments: instruments)
        let reader = try RecordingReader(paths: paths)
        while let (line, file) = try reader.next() {
            verifier.process(line, file: file, reader: reader)
            try reader.consume(file: file)
        }
        verifier.report.files = reader.paths
        verifier.report.lines = reader.lines
        verifier.report.malformedLines = reader.malformedLines
        return verifier.finish()
    }

    mutating func process(_ line: RecordingLine, file: Int, reader: RecordingReader) {
        let kind: MarketMessage.Kind
        do throws(WireError) {
            kind = try MarketDecoder.decode(line.json, into: &message)
        } catch {
            report.malformedMessages += 1
            return
        }
        switch kind {
        case .depthUpdate:
            let symbol = message.depth.symbol
            reader.noteSymbol(symbol, file: file)
            onDiff(symbol)
        case .depthSnapshot:
            var symbol = message.snapshot.symbol
            if symbol.isEmpty { symbol = line.symbolHint ?? reader.lastSymbol(file: file) ?? Symbol() }
            guard !symbol.isEmpty else {
                report.snapshotsWithoutSymbol += 1
                return
            }
            message.snapshot.symbol = symbol
            onSnapshot(symbol)
        case .bookTicker:
            report.bookTickers += 1
            reader.noteSymbol(message.bookTicker.symbol, file: file)
            onBookTicker(message.bookTicker)
        case .trade, .aggTrade:
            report.trades += 1
            reader.noteSymbol(message.trade.symbol, file: file)
        case .partialDepth, .other:
            report.otherMessages += 1
        }
    }

    private mutating func withState(_ symbol: Symbol, _ body: (inout SymbolState) -> Void) {
        if states[symbol] == nil {
            let instrument = instruments[symbol] ?? Instrument.unitGrid(symbol: symbol)
            states[symbol] = SymbolState(book: SyncedBook(instrument: instrument), report: SymbolReport(symbol: symbol))
        }
        body(&states[symbol]!)
    }

    private mutating func onDiff(_ symbol: Symbol) {
        let update = message.depth
        withState(symbol) { st in
            if st.book.onDiff(update) == .applied { Self.afterApplied(&st) }
        }
    }

    private mutating func onSnapshot(_ symbol: Symbol) {
        let snapshot = message.snapshot
        withState(symbol) { st in
            var appliedTops: [(Int64, TopOfBook, Bool)] = []
            _ = st.book.onSnapshot(snapshot) { book in
                appliedTops.append((book.lastUpdateID, book.topOfBook(isSynced: true), book.isCrossed))
            }
            for (u, top, crossed) in appliedTops { Self.record(&st, u: u, top: top, crossed: crossed) }
        }
    }

    private static func afterApplied(_ st: inout SymbolState) {
        record(&st, u: st.book.book.lastUpdateID, top: st.book.topOfBook, crossed: st.book.book.isCrossed)
    }

    private static func record(_ st: inout SymbolState, u: Int64, top: TopOfBook, crossed: Bool) {
        st.report.everSynced = true
        if crossed { st.report.crossedBooks += 1 }
        if st.history.count < historySize {
            st.history.append((u, top))
        } else {
            st.history[st.historyNext] = (u, top)
        }
        st.historyNext = (st.historyNext + 1) % historySize
        if !st.pending.isEmpty {
            for t in st.pending where t.updateID == u { check(&st, t, top) }
            st.pending.removeAll { $0.updateID <= u }
        }
    }

    private mutating func onBookTicker(_ ticker: BookTicker) {
        guard states[ticker.symbol] != nil else { return }
        withState(ticker.symbol) { st in
            guard st.book.isSynced else { return }
            let last = st.book.book.lastUpdateID
            if ticker.updateID > last {
                // The ticker that matches is the newest before its diff, so evict the oldest when full.
                if st.pending.count == 256 { st.pending.removeFirst() }
                st.pending.append(ticker)
                return
            }
            if let entry = st.history.first(where: { $0.u == ticker.updateID }) {
                Self.check(&st, ticker, entry.top)
            }
        }
    }

    private static func check(_ st: inout SymbolState, _ t: BookTicker, _ top: TopOfBook) {
        st.report.oracleChecks += 1
        let ok = top.hasBid && top.hasAsk && top.bidPrice == t.bidPrice && top.bidQuantity == t.bidQuantity
            && top.askPrice == t.askPrice && top.askQuantity == t.askQuantity
        if !ok {
            st.report.oracleMismatches += 1
            if st.report.mismatchSamples.count < 5 {
                st.report.mismatchSamples.append(
                    "u=\(t.updateID) book \(top.bidQuantity)@\(top.bidPrice) / \(top.askQuantity)@\(top.askPrice) "
                        + "bookTicker \(t.bidQuantity)@\(t.bidPrice) / \(t.askQuantity)@\(t.askPrice)")
            }
        }
    }

    private mutating func finish() -> Report {
        report.symbols = states.values.map { st in
            var r = st.report
            r.counters = st.book.counters
            r.synced = st.book.isSynced
            r.finalTop = st.book.topOfBook
            r.rejectedLevels = st.book.book.rejectedLevels
            return r
        }.sorted { $0.symbol < $1.symbol }
        return report
    }
}
