import CWireSIMD
import MMBook
import MMCore

/// The layout Binance USDⓈ-M sends every diff in, read as a fixed template:
///
///     {"stream":"<s>@depth…","data":{"e":"depthUpdate","E":…,"T":…,"s":"…","U":…,"u":…,"pu":…,"b":[…],"a":[…]}}
///
/// (or the same object bare). Matching known bytes a word at a time instead of dispatching on each key
/// removes most of the per-field work. Any deviation — another field order, whitespace, an extra field, a
/// long number — makes it return `false`, and the general decoder reads the message from the start (and
/// reports errors).
extension MarketDecoder {
    @inlinable
    static func decodeDepthFast(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into m: inout MarketMessage) -> Bool {
        var q = start
        var enveloped = false
        if m.layout.head.matches(q, readable: q.distance(to: end)) {
            q += m.layout.head.count
            enveloped = m.layout.enveloped
        } else {
            guard head(&q, end, enveloped: &enveloped) else { return false }
            m.layout.head.remember(start, count: start.distance(to: q))
            m.layout.enveloped = enveloped
        }
        var header = Header()
        guard m.shapes.vector && vectorHeader(start, &q, end, &m.layout, into: &header) || swiftHeader(&q, end, &m.layout, into: &header),
            lists(&q, end, &m.depth, &m.shapes, frame: start), consumeLiteral(&q, end, "}"), !enveloped || consumeLiteral(&q, end, "}"), atEnd(q, end)
        else {
            m.depth.bids.removeAll()
            m.depth.asks.removeAll()
            return false
        }
        m.depth.symbol = m.layout.symbol
        m.depth.eventTimeMillis = header.eventTime
        m.depth.transactionTimeMillis = header.transactionTime
        m.depth.firstUpdateID = header.first
        m.depth.finalUpdateID = header.final
        m.depth.prevFinalUpdateID = header.previous
        return true
    }

    /// A diff's integers from `E` to `pu`.
    @usableFromInline
    @frozen
    struct Header {
        @usableFromInline var eventTime: Int64 = 0
        @usableFromInline var transactionTime: Int64 = 0
        @usableFromInline var first: Int64 = 0
        @usableFromInline var final: Int64 = 0
        @usableFromInline var previous: Int64 = 0
        @inlinable init() {}
    }

    /// From the event time's first digit through `,"b":[`, read with vector instructions
    /// (`mm_depth_header`) when the symbol part is the remembered one; false (`q` unmoved) otherwise.
    @inlinable @inline(always)
    static func vectorHeader(
        _ frame: UnsafePointer<UInt8>, _ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ layout: inout DepthLayout,
        into header: inout Header
    ) -> Bool {
        let n = layout.symbolPart.count
        guard n > 0 else { return false }
        let next = withUnsafeBytes(of: &layout.symbolPart.words) { part in
            withUnsafeMutableBytes(of: &header) { out in
                mm_depth_header(
                    frame, q, end, part.baseAddress!.assumingMemoryBound(to: UInt8.self), n,
                    out.baseAddress!.assumingMemoryBound(to: Int64.self))
            }
        }
        guard let next else { return false }
        q = next
        return true
    }

    /// `vectorHeader` in Swift, learning the symbol part when it is not the remembered one.
    @inlinable @inline(always)
    static func swiftHeader(
        _ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ layout: inout DepthLayout, into header: inout Header
    ) -> Bool {
        guard let eventTime = SWARDecimal.integer(&q, end),
            consumeLiteral(&q, end, #","T":"#), let transactionTime = SWARDecimal.integer(&q, end)
        else { return false }
        if layout.symbolPart.matches(q, readable: q.distance(to: end)) {
            q += layout.symbolPart.count
        } else {
            let from = q
            guard symbolPart(&q, end, into: &layout.symbol) else { return false }
            layout.symbolPart.remember(from, count: from.distance(to: q))
        }
        guard let first = SWARDecimal.integer(&q, end),
            consumeLiteral(&q, end, #","u":"#), let final = SWARDecimal.integer(&q, end),
            consumeLiteral(&q, end, #","pu":"#), let previous = SWARDecimal.integer(&q, end),
            consumeLiteral(&q, end, #","b":["#)
        else { return false }
        header.eventTime = eventTime
        header.transactionTime = transactionTime
        header.first = first
        header.final = final
        header.previous = previous
        return true
    }

    /// Through `"E":`: the envelope with a diff stream's name, if any, and the event type.
    @inlinable
    static func head(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, enveloped: inout Bool) -> Bool {
        enveloped = false
        if consumeLiteral(&q, end, #"{"stream":""#) {
            guard diffStreamName(&q, end), consumeLiteral(&q, end, #","data":"#) else { return false }
            enveloped = true
        }
        return consumeLiteral(&q, end, #"{"e":"depthUpdate","E":"#)
    }

    /// `,"s":"<symbol>","U":`, the symbol read into `symbol`.
    @inlinable
    static func symbolPart(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into symbol: inout Symbol) -> Bool {
        guard consumeLiteral(&q, end, #","s":""#), let close = find(UInt8(ascii: "\""), q, end),
            let s = Symbol(bytes: q, count: q.distance(to: close), readable: q.distance(to: end))
        else { return false }
        var p = close + 1
        guard consumeLiteral(&p, end, #","U":"#) else { return false }
        q = p
        symbol = s
        return true
    }

    /// True when only JSON whitespace is left.
    @inlinable @inline(always)
    static func atEnd(_ q: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        var q = q
        while q < end && (q.pointee == 0x20 || q.pointee == 0x0A || q.pointee == 0x0D || q.pointee == 0x09) { q += 1 }
        return q == end
    }

    /// A diff stream's name and closing quote: `<symbol>@depth` alone or followed by `@<speed>`. Partial
    /// books (`@depth5`…) share the diff layout but are snapshots, and anything else is left to the
    /// general path too.
    @inlinable @inline(always)
    static func diffStreamName(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        guard let close = find(UInt8(ascii: "\""), q, end), let at = find(UInt8(ascii: "@"), q, close), at > q else {
            return false
        }
        var p = at
        guard consumeLiteral(&p, close, "@depth"), p == close || p.pointee == UInt8(ascii: "@") else { return false }
        q = close + 1
        return true
    }

    /// The first `byte` in `[q, end)`, eight bytes at a time.
    @inlinable @inline(always)
    static func find(_ byte: UInt8, _ q: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        var p = q
        #if _endian(little)
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        while p.distance(to: end) >= 8 {
            let x = SWARDecimal.load(p) ^ pattern
            let zero = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            // The lowest flagged byte is always a real match (borrows only run upward).
            if zero != 0 { return p + (zero.trailingZeroBitCount &>> 3) }
            p += 8
        }
        #endif
        while p < end {
            if p.pointee == byte { return p }
            p += 1
        }
        return nil
    }

    /// Both level lists, from the bid list's first byte through the ask list's `]`: with vector
    /// instructions in one call (`mm_compact_depth_lists`) where the shapes allow, the Swift readers
    /// reading on from wherever it stopped.
    @inlinable @inline(always)
    static func lists(
        _ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ depth: inout DepthUpdate, _ shapes: inout LevelShapes,
        frame: UnsafePointer<UInt8>
    ) -> Bool {
        if shapes.vector {
            let from = q
            let room = from.distance(to: end) / 10 + 1
            let fp = Int32(truncatingIfNeeded: shapes.price.fractionDigits)
            let fq = Int32(truncatingIfNeeded: shapes.quantity.fractionDigits)
            var run = mm_depth_lists(next: from, bids: 0, asks: 0, state: 0)
            depth.bids.append(upTo: room) { bids, bidsWritten in
                depth.asks.append(upTo: room) { asks, asksWritten in
                    // A level is two Int64 values, price then quantity, as the C side writes them.
                    run = mm_compact_depth_lists(
                        frame, from, end, UnsafeMutableRawPointer(bids).assumingMemoryBound(to: Int64.self),
                        UnsafeMutableRawPointer(asks).assumingMemoryBound(to: Int64.self), fp, fq)
                    bidsWritten = run.bids
                    asksWritten = run.asks
                }
            }
            q = run.next
            switch run.state {
            case 3: return true
            case 2: return levels(&q, end, into: &depth.asks, &shapes, frame: frame)
            case 1: return consumeLiteral(&q, end, #","a":["#) && levels(&q, end, into: &depth.asks, &shapes, frame: frame)
            default: break  // inside the bids: on as below
            }
        }
        return levels(&q, end, into: &depth.bids, &shapes, frame: frame) && consumeLiteral(&q, end, #","a":["#)
            && levels(&q, end, into: &depth.asks, &shapes, frame: frame)
    }

    /// Levels after the opening `[`, through the closing `]`, written straight into the list's storage.
    /// `frame` is the message's first byte (the vector reader may read back to it).
    @inlinable @inline(always)
    static func levels(
        _ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into out: inout LevelList, _ shapes: inout LevelShapes,
        frame: UnsafePointer<UInt8>
    ) -> Bool {
        guard q < end else { return false }
        if q.pointee == UInt8(ascii: "]") {
            q += 1
            return true
        }
        var state = (p: q, ok: false)
        // Each level with its separator takes at least 10 bytes (`["1","1"],`).
        out.append(upTo: q.distance(to: end) / 10 + 1) { slots, written in
            // The cursor in a local, not the captured state, so that the loop keeps it in a register; the
            // shapes are read in place (copying their eight words in and out cost more than reading them).
            var p = state.p
            var n = 0
            defer {
                written = n
                state.p = p
            }
            while true {
                let run =
                    shapes.vector
                    ? vectorRun(frame, p, end, into: slots + n, price: shapes.price, quantity: shapes.quantity)
                    : shapes.price.longFraction | shapes.quantity.longFraction == 0
                        ? compactRun(p, end, into: slots + n, price: shapes.price, quantity: shapes.quantity)
                        : compactRunAnyLength(p, end, into: slots + n, price: shapes.price, quantity: shapes.quantity)
                n &+= run.count
                p = run.next
                if run.closed {
                    state.ok = true
                    return
                }
                // A level of another shape (which the next run then expects), or near the end.
                guard let level = quickLevel(&p, end, &shapes), p < end else { return }
                slots[n] = level
                n &+= 1
                let c = p.pointee
                p += 1
                if c == UInt8(ascii: "]") {
                    state.ok = true
                    return
                }
                if c != UInt8(ascii: ",") { return }
            }
        }
        q = state.p
        return state.ok
    }

    /// `compactRun` with vector instructions (`mm_compact_levels`): numbers of 1-7 integer digits and the
    /// shapes' fraction digits, short or long alike, the frame's last level included.
    @inlinable @inline(always)
    static func vectorRun(
        _ frame: UnsafePointer<UInt8>, _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
        into out: UnsafeMutablePointer<PriceLevel>, price: SWARDecimal.Shape, quantity: SWARDecimal.Shape
    ) -> CompactRun {
        // A level is two Int64 values, price then quantity, as the C side writes them.
        let pairs = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int64.self)
        let run = mm_compact_levels(
            frame, start, end, pairs, Int32(truncatingIfNeeded: price.fractionDigits), Int32(truncatingIfNeeded: quantity.fractionDigits))
        return CompactRun(next: run.next, count: run.count, closed: run.closed)
    }
}
