import MMCore

/// One message of a recording: when it was received and its raw JSON.
public struct RecordingLine {
    /// Local receive time in nanoseconds since the epoch (0 when the format has none).
    public var receivedNanos: Int64
    /// The message body, a view valid until the reader advances.
    public var json: UnsafeRawBufferPointer
    /// Symbol named outside the body (a REST URL's `symbol=`), when the body does not carry it.
    public var symbolHint: Symbol?
}

/// The line formats of recorded Binance data this tool reads.
public enum RecordingFormat {
    /// What a line turned out to be.
    public enum Parsed {
        case message(RecordingLine)
        /// A header or blank line with no message.
        case skip
        /// Not a recognised line format.
        case malformed
    }

    /// Recognises, per line:
    /// - hftbacktest: `<ns or µs timestamp> <json>`;
    /// - cryptofeed websocket capture: `<seconds.fraction>: <json>` (its `URL <-> ts` header is skipped);
    /// - cryptofeed REST capture: `<url> -> <seconds.fraction>: <json>`;
    /// - bare JSON lines.
    public static func parse(_ line: UnsafeRawBufferPointer) -> Parsed {
        var i = 0
        let n = line.count
        while i < n && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
        if i == n { return .skip }
        let first = line[i]
        if first == UInt8(ascii: "{") {
            return .message(RecordingLine(receivedNanos: 0, json: slice(line, from: i), symbolHint: nil))
        }
        if first >= 48 && first <= 57 {
            guard let (nanos, next) = timestamp(line, from: i) else { return .malformed }
            var j = next
            if j < n && line[j] == UInt8(ascii: ":") { j += 1 }
            while j < n && line[j] == 0x20 { j += 1 }
            guard j < n, line[j] == UInt8(ascii: "{") || line[j] == UInt8(ascii: "[") else { return .malformed }
            return .message(RecordingLine(receivedNanos: nanos, json: slice(line, from: j), symbolHint: nil))
        }
        // URL lines: "wss://… <-> ts" headers, "https://…?symbol=X… -> ts: body" REST captures.
        guard let arrow = find(line, " -> ") else {
            return find(line, " <-> ") != nil ? .skip : .malformed
        }
        if find(line, " <-> ") != nil { return .skip }
        guard let (nanos, next) = timestamp(line, from: arrow + 4) else { return .malformed }
        var j = next
        if j < n && line[j] == UInt8(ascii: ":") { j += 1 }
        while j < n && line[j] == 0x20 { j += 1 }
        guard j < n, line[j] == UInt8(ascii: "{") else { return .malformed }
        var hint: Symbol? = nil
        if let s = find(UnsafeRawBufferPointer(rebasing: line[0..<arrow]), "symbol=") {
            var e = s + 7
            while e < arrow, line[e] != UInt8(ascii: "&"), line[e] != 0x20 { e += 1 }
            hint = Symbol(bytes: UnsafeRawBufferPointer(rebasing: line[(s + 7)..<e]))
        }
        return .message(RecordingLine(receivedNanos: nanos, json: slice(line, from: j), symbolHint: hint))
    }

    /// Reads `digits[.digits]` as a time: integers below 1e17 are microseconds, ≥ 1e17 nanoseconds; a
    /// fraction means seconds. No floating point.
    static func timestamp(_ line: UnsafeRawBufferPointer, from start: Int) -> (Int64, Int)? {
        var i = start
        var whole: Int64 = 0
        var digits = 0
        while i < line.count, line[i] >= 48, line[i] <= 57 {
            guard digits < 19 else { return nil }
            whole = whole * 10 + Int64(line[i] - 48)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        if i < line.count, line[i] == UInt8(ascii: ".") {
            i += 1
            var frac: Int64 = 0
            var fracDigits = 0
            while i < line.count, line[i] >= 48, line[i] <= 57 {
                if fracDigits < 9 {
                    frac = frac * 10 + Int64(line[i] - 48)
                    fracDigits += 1
                }
                i += 1
            }
            while fracDigits < 9 {
                frac *= 10
                fracDigits += 1
            }
            guard whole < 9_000_000_000 else { return nil }
            return (whole * 1_000_000_000 + frac, i)
        }
        return (whole < 100_000_000_000_000_000 ? whole &* 1000 : whole, i)
    }

    static func slice(_ line: UnsafeRawBufferPointer, from i: Int) -> UnsafeRawBufferPointer {
        var end = line.count
        while end > i && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: line[i..<end])
    }

    static func find(_ hay: UnsafeRawBufferPointer, _ needle: StaticString) -> Int? {
        let m = needle.utf8CodeUnitCount
        guard hay.count >= m else { return nil }
        let p = needle.utf8Start
        outer: for i in 0...(hay.count - m) {
            for k in 0..<m where hay[i + k] != p[k] { continue outer }
            return i
        }
        return nil
    }
}

/// Reads several recordings as one stream in receive-time order (a k-way merge that keeps each file's own
/// order), so day files of one session, or a websocket capture and its REST capture, replay together.
public final class RecordingReader {
    private let readers: [LineReader]
    private var heads: [RecordingLine?]
    /// Symbol most recently seen in each file, for bodies that carry none (hftbacktest's snapshot line).
    private var lastSymbol: [Symbol?]
    public private(set) var malformedLines = 0
    public private(set) var lines = 0
    public var paths: [String] { readers.map(\.path) }

    public init(paths: [String]) throws(ReplayError) {
        var list: [LineReader] = []
        for p in paths { list.append(try LineReader(path: p)) }
        readers = list
        heads = Array(repeating: nil, count: list.count)
        lastSymbol = Array(repeating: nil, count: list.count)
        for i in 0..<list.count { try advance(i) }
    }

    /// The next message in time order and the index of the file it came from.
    public func next() throws(ReplayError) -> (line: RecordingLine, file: Int)? {
        var best = -1
        for i in 0..<heads.count {
            guard let h = heads[i] else { continue }
            if best < 0 || h.receivedNanos < heads[best]!.receivedNanos { best = i }
        }
        guard best >= 0 else { return nil }
        return (heads[best]!, best)
    }

    /// Moves past the message last returned by `next()` for `file`.
    public func consume(file: Int) throws(ReplayError) { try advance(file) }

    /// Remembers the symbol of the file's latest message.
    public func noteSymbol(_ symbol: Symbol, file: Int) { lastSymbol[file] = symbol }

    /// The symbol last seen in a file.
    public func lastSymbol(file: Int) -> Symbol? { lastSymbol[file] }

    private func advance(_ i: Int) throws(ReplayError) {
        while let raw = try readers[i].nextLine() {
            lines += 1
            switch RecordingFormat.parse(raw) {
            case .message(let line):
                heads[i] = line
                return
            case .skip:
                continue
            case .malformed:
                malformedLines += 1
            }
        }
        heads[i] = nil
    }
}
