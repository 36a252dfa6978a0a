import MMBinanceWire
import MMBook
import MMCore

extension ReplayVerifier.Report {
    /// Exit status of `mm replay --verify`: 0 verified, 1 oracle mismatch or crossed book, 3 a gap left a
    /// book stale or a book never synced (the recording cannot vouch for the book).
    public var exitStatus: Int32 {
        if oracleMismatches > 0 || crossedBooks > 0 { return 1 }
        if !allSynced { return 3 }
        return 0
    }

    /// Status word for the summary.
    public var status: String {
        switch exitStatus {
        case 0: return "verified"
        case 1: return "mismatch"
        default: return symbols.contains { $0.counters.diffs > 0 && !$0.everSynced } ? "never_synced" : "stale"
        }
    }

    /// The summary as one line of JSON (keys in a fixed order).
    public func json() -> String {
        var o = JSONWriter()
        o.field("status", string: status)
        o.field("files", strings: files)
        o.field("lines", lines)
        o.field("malformed_lines", malformedLines)
        o.field("malformed_messages", malformedMessages)
        o.field("diffs", diffs)
        o.field("applied", applied)
        o.field("buffered_before_snapshot", buffered)
        o.field("dropped_before_snapshot", total { $0.counters.droppedBeforeSnapshot })
        o.field("duplicates", total { $0.counters.duplicates })
        o.field("gaps", gaps)
        o.field("resyncs", resyncs)
        o.field("snapshots_loaded", total { $0.counters.snapshotsLoaded })
        o.field("snapshots_without_symbol", snapshotsWithoutSymbol)
        o.field("book_tickers", bookTickers)
        o.field("trades", trades)
        o.field("oracle_checks", oracleChecks)
        o.field("oracle_mismatches", oracleMismatches)
        o.field("crossed_books", crossedBooks)
        o.field("rejected_levels", total { $0.rejectedLevels })
        o.field("synced_at_end", bool: allSynced)
        if symbols.count == 1 {
            o.field("final_best_bid", optional: symbols[0].finalBid)
            o.field("final_best_ask", optional: symbols[0].finalAsk)
        } else {
            o.field("final_best_bid", object: symbols.map { ($0.symbol.description, $0.finalBid) })
            o.field("final_best_ask", object: symbols.map { ($0.symbol.description, $0.finalAsk) })
        }
        o.raw("symbols", "[" + symbols.map { $0.json() }.joined(separator: ",") + "]")
        return o.finish()
    }
}

extension ReplayVerifier.SymbolReport {
    /// Best bid of the final book when it is in sync (a stale book has no trustworthy price).
    var finalBid: String? { synced && finalTop.hasBid ? finalTop.bidPrice.description : nil }
    var finalAsk: String? { synced && finalTop.hasAsk ? finalTop.askPrice.description : nil }

    func json() -> String {
        var o = JSONWriter()
        o.field("symbol", string: symbol.description)
        o.field("diffs", counters.diffs)
        o.field("applied", counters.applied)
        o.field("buffered_before_snapshot", counters.buffered)
        o.field("dropped_before_snapshot", counters.droppedBeforeSnapshot)
        o.field("duplicates", counters.duplicates)
        o.field("gaps", counters.gaps)
        o.field("resyncs", counters.resyncs)
        o.field("snapshots_loaded", counters.snapshotsLoaded)
        o.field("oracle_checks", oracleChecks)
        o.field("oracle_mismatches", oracleMismatches)
        o.field("crossed_books", crossedBooks)
        o.field("rejected_levels", rejectedLevels)
        o.field("synced", bool: synced)
        o.field("final_best_bid", optional: finalBid)
        o.field("final_best_ask", optional: finalAsk)
        if !mismatchSamples.isEmpty { o.field("mismatch_samples", strings: mismatchSamples) }
        return o.finish()
    }
}

/// Minimal ordered JSON object writer for reports.
struct JSONWriter {
    private var parts: [String] = []

    mutating func raw(_ key: String, _ value: String) { parts.append("\(quote(key)):\(value)") }
    mutating func field(_ key: String, _ value: Int) { raw(key, String(value)) }
    mutating func field(_ key: String, bool value: Bool) { raw(key, value ? "true" : "false") }
    mutating func field(_ key: String, string value: String) { raw(key, quote(value)) }
    mutating func field(_ key: String, optional value: String?) { raw(key, value.map(quote) ?? "null") }
    mutating func field(_ key: String, strings: [String]) { raw(key, "[" + strings.map(quote).joined(separator: ",") + "]") }
    mutating func field(_ key: String, object: [(String, String?)]) {
        raw(key, "{" + object.map { "\(quote($0.0)):\($0.1.map(quote) ?? "null")" }.joined(separator: ",") + "}")
    }
    func finish() -> String { "{" + parts.joined(separator: ",") + "}" }

    private func quote(_ s: String) -> String { JSONString.quoted(s) }
}
