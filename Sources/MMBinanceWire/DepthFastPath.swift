import MMBook
import MMCore

/// The layout Binance USDⓈ-M sends every diff in, read as a fixed template:
///
///     {"stream":"<s>@depth…","data":{"e":"depthUpdate","E":…,"T":…,"s":"…","U":…,"u":…,"pu":…,"b":[…],"a":[…]}}
///
/// (or the same object bare). Matching known bytes instead of dispatching on each key removes most of the
/// per-field work. Any deviation — another field order, whitespace, an extra field, a long number — makes
/// it return `false`, and the general decoder reads the message from the start (and reports errors).
extension MarketDecoder {
    @inlinable
    static func decodeDepthFast(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into m: inout MarketMessage) -> Bool {
        var q = start
        var enveloped = false
        if consumeLiteral(&q, end, #"{"stream":""#) {
            // Partial-book streams (`@depth5`…) share the layout but are snapshots: leave them to the general path.
            guard let close = find(UInt8(ascii: "\""), q, end) else { return false }
            let name = UnsafeRawBufferPointer(start: q, count: q.distance(to: close))
            var f = SeenFields()
            classifyStreamName(name, &f)
            if f.partialStream { return false }
            q = close + 1
            guard consumeLiteral(&q, end, #","data":"#) else { return false }
            enveloped = true
        }
        guard consumeLiteral(&q, end, #"{"e":"depthUpdate","E":"#), let eventTime = integer(&q, end),
            consumeLiteral(&q, end, #","T":"#), let transactionTime = integer(&q, end),
            consumeLiteral(&q, end, #","s":""#), let close = find(UInt8(ascii: "\""), q, end),
            let symbol = Symbol(bytes: UnsafeRawBufferPointer(start: q, count: q.distance(to: close)))
        else { return false }
        q = close + 1
        guard consumeLiteral(&q, end, #","U":"#), let first = integer(&q, end),
            consumeLiteral(&q, end, #","u":"#), let final = integer(&q, end),
            consumeLiteral(&q, end, #","pu":"#), let previous = integer(&q, end),
            consumeLiteral(&q, end, #","b":["#), levels(&q, end, into: &m.depth.bids),
            consumeLiteral(&q, end, #","a":["#), levels(&q, end, into: &m.depth.asks),
            consumeLiteral(&q, end, "}")
        else {
            m.depth.bids.removeAll(keepingCapacity: true)
            m.depth.asks.removeAll(keepingCapacity: true)
            return false
        }
        if enveloped && !consumeLiteral(&q, end, "}") {
            m.depth.bids.removeAll(keepingCapacity: true)
            m.depth.asks.removeAll(keepingCapacity: true)
            return false
        }
        while q < end && (q.pointee == 0x20 || q.pointee == 0x0A || q.pointee == 0x0D || q.pointee == 0x09) { q += 1 }
        guard q == end else {
            m.depth.bids.removeAll(keepingCapacity: true)
            m.depth.asks.removeAll(keepingCapacity: true)
            return false
        }
        m.depth.symbol = symbol
        m.depth.eventTimeMillis = eventTime
        m.depth.transactionTimeMillis = transactionTime
        m.depth.firstUpdateID = first
        m.depth.finalUpdateID = final
        m.depth.prevFinalUpdateID = previous
        return true
    }

    @inlinable @inline(__always)
    static func find(_ byte: UInt8, _ q: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        var p = q
        while p < end {
            if p.pointee == byte { return p }
            p += 1
        }
        return nil
    }

    /// A non-negative integer of 1 to 18 digits (no overflow possible), not followed by `.`/`e`.
    @inlinable @inline(__always)
    static func integer(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
        var p = q
        var v: UInt64 = 0
        while p < end {
            let d = p.pointee &- 48
            if d > 9 { break }
            v = v &* 10 &+ UInt64(d)
            p += 1
        }
        let n = q.distance(to: p)
        guard n > 0, n <= 18, p < end, p.pointee == UInt8(ascii: ",") || p.pointee == UInt8(ascii: "}") else { return nil }
        q = p
        return Int64(v)
    }

    /// Levels after the opening `[`, through the closing `]`. Levels are decoded into a stack buffer and
    /// appended a chunk at a time, so the array's copy-on-write check runs once per chunk, not per level.
    @inlinable @inline(__always)
    static func levels(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into out: inout ContiguousArray<PriceLevel>) -> Bool {
        guard q < end else { return false }
        if q.pointee == UInt8(ascii: "]") {
            q += 1
            return true
        }
        return withUnsafeTemporaryAllocation(of: PriceLevel.self, capacity: 64) { chunk -> Bool in
            let base = chunk.baseAddress!
            var n = 0
            while true {
                guard let level = quickLevel(&q, end), q < end else { return false }
                (base + n).initialize(to: level)
                n &+= 1
                let c = q.pointee
                q += 1
                if c == UInt8(ascii: "]") {
                    out.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
                    return true
                }
                if c != UInt8(ascii: ",") { return false }
                if n == 64 {
                    out.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
                    n = 0
                }
            }
        }
    }
}
