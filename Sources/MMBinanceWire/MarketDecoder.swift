import MMBook
import MMCore

/// Decodes Binance USDⓈ-M market messages straight from frame bytes: `depthUpdate`, `bookTicker`, `trade`,
/// `aggTrade`, partial depth and the REST depth snapshot, bare or inside the combined-stream envelope
/// `{"stream":…,"data":…}`. Fields may come in any order; unknown fields and message types are skipped.
public enum MarketDecoder {
    /// Decodes `bytes` into `message`, returning its kind. Malformed input throws and leaves `message`
    /// partially written. `fastPath: false` skips the fixed-layout depth reader (for equivalence tests).
    @inlinable
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, into message: inout MarketMessage, fastPath: Bool = true
    ) throws(WireError) -> MarketMessage.Kind {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw .notAnObject }
        let start = base.assumingMemoryBound(to: UInt8.self)
        message.depth.clear()
        message.snapshot.clear()
        if fastPath && decodeDepthFast(start, start + bytes.count, into: &message) {
            message.kind = .depthUpdate
            return .depthUpdate
        }
        var scanner = ByteScanner(start, count: bytes.count)
        var fields = SeenFields()
        guard try scanner.peek() == UInt8(ascii: "{") else { throw .notAnObject }
        try decodeObject(&scanner, &message, &fields, topLevel: true)
        scanner.skipWhitespace()
        if !scanner.atEnd { throw .unexpectedByte(scanner.p.pointee, offset: scanner.offset) }
        let kind = try classify(&message, fields)
        message.kind = kind
        return kind
    }

    /// Decodes a `[UInt8]` message (tests and tools).
    public static func decode(_ bytes: [UInt8], into message: inout MarketMessage, fastPath: Bool = true) throws(WireError) -> MarketMessage.Kind {
        let result: Result<MarketMessage.Kind, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try decode(raw, into: &message, fastPath: fastPath)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decodes a string message (tests and tools).
    public static func decode(_ text: String, into message: inout MarketMessage) throws(WireError) -> MarketMessage.Kind {
        try decode(Array(text.utf8), into: &message)
    }
}

/// Event types the decoder distinguishes.
@usableFromInline
enum EventType: UInt8 {
    case none, depthUpdate, bookTicker, trade, aggTrade, other
}

/// What one pass over a message saw, to classify it and check required fields afterwards.
@usableFromInline
struct SeenFields {
    @usableFromInline var event: EventType = .none
    @usableFromInline var bits: UInt32 = 0
    @usableFromInline var partialStream = false
    @usableFromInline var bookTickerStream = false
    /// First decode error of a field whose meaning depends on the (possibly later) event type.
    @usableFromInline var deferred: WireError? = nil
    @usableFromInline var finalUpdateID: Int64 = 0
    @usableFromInline var numericA: Int64 = 0

    @inlinable init() {}

    @inlinable mutating func mark(_ f: WireField) { bits |= 1 << UInt32(f.rawValue) }
    @inlinable func has(_ f: WireField) -> Bool { bits & (1 << UInt32(f.rawValue)) != 0 }
    @inlinable static func mask(_ f: WireField) -> UInt32 { 1 << UInt32(f.rawValue) }
    @usableFromInline static let depthRequired = mask(.symbol) | mask(.firstUpdateID) | mask(.finalUpdateID)
        | mask(.bids) | mask(.asks)
    @usableFromInline static let bookTickerRequired = mask(.symbol) | mask(.finalUpdateID) | mask(.bidPrice)
        | mask(.bidQuantity) | mask(.askPrice) | mask(.askQuantity)
    @usableFromInline static let tradeRequired = mask(.symbol) | mask(.price) | mask(.quantity) | mask(.tradeID)
        | mask(.buyerIsMaker)

    /// Throws for the first field of `mask` not seen; a single test on the common path.
    @inlinable
    func require(_ mask: UInt32) throws(WireError) {
        if bits & mask == mask { return }
        var raw: UInt8 = 0
        while let field = WireField(rawValue: raw) {
            if mask & SeenFields.mask(field) != 0 && !has(field) { throw .missingField(field) }
            raw += 1
        }
    }

    @usableFromInline static let snapshotBids: UInt32 = 1 << 30
    @usableFromInline static let snapshotAsks: UInt32 = 1 << 31
}

extension MarketDecoder {
    @inlinable
    static func decodeObject(
        _ s: inout ByteScanner, _ m: inout MarketMessage, _ f: inout SeenFields, topLevel: Bool
    ) throws(WireError) {
        try s.expect(UInt8(ascii: "{"))
        if try s.peek() == UInt8(ascii: "}") {
            s.p += 1
            return
        }
        repeat {
            let key = try s.readStringSpan()
            try s.expect(UInt8(ascii: ":"))
            try decodeField(key, &s, &m, &f, topLevel: topLevel)
        } while try s.next(closing: UInt8(ascii: "}"))
    }

    @inlinable
    static func decodeField(
        _ key: UnsafeRawBufferPointer, _ s: inout ByteScanner, _ m: inout MarketMessage, _ f: inout SeenFields,
        topLevel: Bool
    ) throws(WireError) {
        if key.count == 1 {
            switch key[0] {
            case UInt8(ascii: "e"):
                guard try s.peek() == UInt8(ascii: "\"") else { return try s.skipValue() }
                let v = try s.readStringSpan()
                if v.equals("depthUpdate") { f.event = .depthUpdate }
                else if v.equals("bookTicker") { f.event = .bookTicker }
                else if v.equals("trade") { f.event = .trade }
                else if v.equals("aggTrade") { f.event = .aggTrade }
                else { f.event = .other }
                f.mark(.eventType)
            case UInt8(ascii: "E"):
                if let v = try readIntField(&s, .eventTime, &f) {
                    m.depth.eventTimeMillis = v
                    m.bookTicker.eventTimeMillis = v
                    m.trade.eventTimeMillis = v
                    m.snapshot.eventTimeMillis = v
                }
            case UInt8(ascii: "T"):
                if let v = try readIntField(&s, .transactionTime, &f) {
                    m.depth.transactionTimeMillis = v
                    m.bookTicker.transactionTimeMillis = v
                    m.trade.transactionTimeMillis = v
                    m.snapshot.transactionTimeMillis = v
                }
            case UInt8(ascii: "s"):
                guard try s.peek() == UInt8(ascii: "\"") else { return try s.skipValue() }
                let at = s.offset
                let span = try s.readStringSpan()
                guard let sym = Symbol(bytes: span) else {
                    if f.deferred == nil { f.deferred = .badSymbol(offset: at) }
                    return
                }
                m.depth.symbol = sym
                m.bookTicker.symbol = sym
                m.trade.symbol = sym
                m.snapshot.symbol = sym
                f.mark(.symbol)
            case UInt8(ascii: "U"):
                if let v = try readIntField(&s, .firstUpdateID, &f) { m.depth.firstUpdateID = v }
            case UInt8(ascii: "u"):
                if let v = try readIntField(&s, .finalUpdateID, &f) {
                    m.depth.finalUpdateID = v
                    m.bookTicker.updateID = v
                }
            case UInt8(ascii: "b"):
                let c = try s.peek()
                if c == UInt8(ascii: "[") {
                    try readLevels(&s, into: &m.depth.bids, &m.shapes)
                    f.mark(.bids)
                } else {
                    if let v = try readDecimalField(&s, .bidPrice, &f) { m.bookTicker.bidPrice = Price(raw: v) }
                }
            case UInt8(ascii: "a"):
                let c = try s.peek()
                if c == UInt8(ascii: "[") {
                    try readLevels(&s, into: &m.depth.asks, &m.shapes)
                    f.mark(.asks)
                } else if c == UInt8(ascii: "\"") {
                    if let v = try readDecimalField(&s, .askPrice, &f) { m.bookTicker.askPrice = Price(raw: v) }
                } else {
                    // aggTrade's aggregate trade ID.
                    if let v = try readIntField(&s, .tradeID, &f) { m.trade.tradeID = v }
                }
            case UInt8(ascii: "B"):
                if let v = try readDecimalField(&s, .bidQuantity, &f) { m.bookTicker.bidQuantity = Quantity(raw: v) }
            case UInt8(ascii: "A"):
                if let v = try readDecimalField(&s, .askQuantity, &f) { m.bookTicker.askQuantity = Quantity(raw: v) }
            case UInt8(ascii: "p"):
                if let v = try readDecimalField(&s, .price, &f) { m.trade.price = Price(raw: v) }
            case UInt8(ascii: "q"):
                if let v = try readDecimalField(&s, .quantity, &f) { m.trade.quantity = Quantity(raw: v) }
            case UInt8(ascii: "t"):
                if let v = try readIntField(&s, .tradeID, &f) { m.trade.tradeID = v }
            case UInt8(ascii: "m"):
                let c = try s.peek()
                if c == UInt8(ascii: "t") || c == UInt8(ascii: "f") {
                    m.trade.buyerIsMaker = try s.readBool(.buyerIsMaker)
                    f.mark(.buyerIsMaker)
                } else {
                    try s.skipValue()
                }
            default:
                try s.skipValue()
            }
            return
        }
        if key.equals("pu") {
            if let v = try readIntField(&s, .prevFinalUpdateID, &f) { m.depth.prevFinalUpdateID = v }
        } else if key.equals("lastUpdateId") {
            if let v = try readIntField(&s, .lastUpdateID, &f) { m.snapshot.lastUpdateID = v }
        } else if key.equals("bids") {
            try readLevels(&s, into: &m.snapshot.bids, &m.shapes)
            f.bits |= SeenFields.snapshotBids
        } else if key.equals("asks") {
            try readLevels(&s, into: &m.snapshot.asks, &m.shapes)
            f.bits |= SeenFields.snapshotAsks
        } else if topLevel && key.equals("data") {
            if try s.peek() == UInt8(ascii: "{") {
                try decodeObject(&s, &m, &f, topLevel: false)
            } else {
                f.event = .other
                f.mark(.eventType)
                try s.skipValue()
            }
        } else if topLevel && key.equals("stream") {
            guard try s.peek() == UInt8(ascii: "\"") else { return try s.skipValue() }
            let name = try s.readStringSpan()
            classifyStreamName(name, &f)
        } else if key.equals("symbol") {
            guard try s.peek() == UInt8(ascii: "\"") else { return try s.skipValue() }
            let span = try s.readStringSpan()
            if let sym = Symbol(bytes: span) { m.snapshot.symbol = sym }
        } else {
            try s.skipValue()
        }
    }

    /// Reads an integer whose meaning depends on the event type: a wrong type is skipped, a bad value deferred.
    @inlinable
    static func readIntField(_ s: inout ByteScanner, _ field: WireField, _ f: inout SeenFields) throws(WireError) -> Int64? {
        let c = try s.peek()
        guard c == UInt8(ascii: "-") || (c >= 48 && c <= 57) || c == UInt8(ascii: "\"") else {
            try s.skipValue()
            return nil
        }
        let save = s.p
        do throws(WireError) {
            let v = try s.readInt(field)
            f.mark(field)
            return v
        } catch {
            if case .unexpectedEnd = error { throw error }
            if f.deferred == nil { f.deferred = error }
            s.p = save
            try s.skipValue()
            return nil
        }
    }

    @inlinable
    static func readDecimalField(_ s: inout ByteScanner, _ field: WireField, _ f: inout SeenFields) throws(WireError) -> Int64? {
        let c = try s.peek()
        guard c == UInt8(ascii: "-") || (c >= 48 && c <= 57) || c == UInt8(ascii: "\"") else {
            try s.skipValue()
            return nil
        }
        let save = s.p
        do throws(WireError) {
            let v = try s.readDecimal(field)
            f.mark(field)
            return v
        } catch {
            if case .unexpectedEnd = error { throw error }
            if f.deferred == nil { f.deferred = error }
            s.p = save
            try s.skipValue()
            return nil
        }
    }

    /// Reads `[["price","qty"], ...]` into `levels`. Extra elements in a level are skipped.
    @inlinable
    static func readLevels(
        _ s: inout ByteScanner, into levels: inout LevelList, _ shapes: inout LevelShapes
    ) throws(WireError) {
        try s.expect(UInt8(ascii: "["))
        if try s.peek() == UInt8(ascii: "]") {
            s.p += 1
            return
        }
        repeat {
            if let level = quickLevel(&s.p, s.end, &shapes) {
                levels.append(level)
                continue
            }
            try s.expect(UInt8(ascii: "["))
            let price = try s.readDecimal(.level)
            try s.expect(UInt8(ascii: ","))
            let qty = try s.readDecimal(.level)
            while try s.next(closing: UInt8(ascii: "]")) { try s.skipValue(depth: 2) }
            levels.append(PriceLevel(price: Price(raw: price), quantity: Quantity(raw: qty)))
        } while try s.next(closing: UInt8(ascii: "]"))
    }

    /// The shapes of the last prices and quantities read (see `SWARDecimal.Shape`), kept in the
    /// `MarketMessage` scratch because the next message's numbers most likely share them.
    @usableFromInline
    struct LevelShapes: Sendable {
        @usableFromInline var price = SWARDecimal.Shape.unknown
        @usableFromInline var quantity = SWARDecimal.Shape.unknown
        /// Diff headers and levels in these shapes are read with vector instructions (`mm_depth_header`,
        /// `mm_compact_depth_lists`), not by the Swift readers.
        @usableFromInline var vector = MarketMessage.vectorLevelsAvailable
        @inlinable init() {}
    }

    /// The exact compact form Binance sends, `["63943.90","46.372"]`, read in one pass. Anything else
    /// (whitespace, signs, long numbers, extra elements) returns `nil` without moving `p`, and the general
    /// path then reads it or reports the precise error.
    @inlinable @inline(always)
    static func quickLevel(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ shapes: inout LevelShapes) -> PriceLevel? {
        // Both numbers in the known shapes, with room for one length check to serve the whole level.
        if end - p >= CompactLevel.maximumLength(price: shapes.price, quantity: shapes.quantity),
            let level = CompactLevel(anyLength: p, price: shapes.price, quantity: shapes.quantity)
        {
            p += level.length
            return level.level
        }
        var q = p
        // `["` and `","` as two-byte words.
        guard end - q >= 9, UnsafeRawPointer(q).loadUnaligned(as: UInt16.self) == UInt16(littleEndian: 0x225B) else { return nil }
        q += 2
        guard let price = quickDecimal(&q, end, &shapes.price), end - q >= 3,
            UnsafeRawPointer(q).loadUnaligned(as: UInt16.self) == UInt16(littleEndian: 0x222C)
        else { return nil }
        q += 2
        guard let qty = quickDecimal(&q, end, &shapes.quantity), q < end, q[0] == UInt8(ascii: "]") else { return nil }
        p = q + 1
        return PriceLevel(price: Price(raw: price), quantity: Quantity(raw: qty))
    }

    /// A decimal up to and including its closing quote (`p` is just after the opening quote); `nil` for
    /// anything the general path must read or reject. Short numbers take the word-at-a-time reader;
    /// the rest (and the last few bytes of a frame) go through the same scan the general path uses.
    @inlinable @inline(always)
    static func quickDecimal(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ shape: inout SWARDecimal.Shape) -> Int64? {
        if let v = SWARDecimal.quoted(&p, end, shape: &shape) { return v }
        return scannedDecimal(&p, end)
    }

    @inlinable
    static func scannedDecimal(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
        guard let (value, next) = try? DecimalCodec.scan(p, end), next < end, next.pointee == UInt8(ascii: "\"") else {
            return nil
        }
        p = next + 1
        return value
    }

    @inlinable
    static func classifyStreamName(_ name: UnsafeRawBufferPointer, _ f: inout SeenFields) {
        // "<sym>@depth<N>..." is a partial book; "<sym>@bookTicker" / "!bookTicker" a best bid/offer.
        guard let at = name.firstIndex(of: UInt8(ascii: "@")) else { return }
        let rest = UnsafeRawBufferPointer(rebasing: name[(at + 1)...])
        if rest.count > 5, rest[0] == UInt8(ascii: "d"), UnsafeRawBufferPointer(rebasing: rest[0..<5]).equals("depth"),
            rest[5] >= 48 && rest[5] <= 57
        {
            f.partialStream = true
        } else if rest.equals("bookTicker") {
            f.bookTickerStream = true
        }
    }

    @inlinable
    static func classify(_ m: inout MarketMessage, _ f: SeenFields) throws(WireError) -> MarketMessage.Kind {
        var event = f.event
        if event == .none {
            if f.bits & SeenFields.snapshotBids != 0 && f.bits & SeenFields.snapshotAsks != 0 {
                if let e = f.deferred { throw e }
                guard f.has(.lastUpdateID) else { throw .missingField(.lastUpdateID) }
                return f.partialStream ? .partialDepth : .depthSnapshot
            }
            // Spot-style bookTicker carries no "e".
            if f.bookTickerStream || (f.has(.bidPrice) && f.has(.askPrice) && f.has(.finalUpdateID)) {
                event = .bookTicker
            } else {
                return .other
            }
        }
        switch event {
        case .depthUpdate:
            if let e = f.deferred { throw e }
            try f.require(SeenFields.depthRequired)
            if !f.has(.prevFinalUpdateID) { m.depth.prevFinalUpdateID = unknownUpdateID }
            return f.partialStream ? .partialDepth : .depthUpdate
        case .bookTicker:
            if let e = f.deferred { throw e }
            try f.require(SeenFields.bookTickerRequired)
            return .bookTicker
        case .trade, .aggTrade:
            if let e = f.deferred { throw e }
            try f.require(SeenFields.tradeRequired)
            return event == .trade ? .trade : .aggTrade
        default:
            return .other
        }
    }
}
