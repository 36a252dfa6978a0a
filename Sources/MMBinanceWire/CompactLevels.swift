import MMBook
import MMCore

/// Where a run of compact levels stopped.
@usableFromInline
@frozen
struct CompactRun {
    /// After the last level read and its separator, or at the level the run could not read.
    @usableFromInline var next: UnsafePointer<UInt8>
    /// Levels written.
    @usableFromInline var count: Int
    /// The list's closing `]` was read.
    @usableFromInline var closed: Bool

    @inlinable init(next: UnsafePointer<UInt8>, count: Int, closed: Bool) {
        self.next = next
        self.count = count
        self.closed = closed
    }
}

extension MarketDecoder {
    /// Reads levels of the exact compact form, `["63943.90","46.372"]` with both numbers in the shapes of
    /// the previous ones, each with its `,` or closing `]`, into `out`; it stops without consuming at the
    /// first level it cannot read that way (another shape, whitespace, a bad separator, the frame's last
    /// bytes) and leaves that level to `quickLevel` or the general path.
    ///
    /// A function of its own, not inlined into the message decoder, so that its loop keeps the cursor,
    /// the shapes and the digit constants in registers. `out` has room for every level the bytes can hold
    /// (each takes at least 10).
    @usableFromInline @inline(never)
    static func compactRun(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<PriceLevel>,
        price: SWARDecimal.Shape, quantity: SWARDecimal.Shape
    ) -> CompactRun {
        var q = start
        var n = 0
        while true {
            // The level and its separator.
            guard q.distance(to: end) > CompactLevel.maximumLength, let level = CompactLevel(q, price: price, quantity: quantity)
            else { break }
            let c = q[level.length]
            guard c == UInt8(ascii: ",") || c == UInt8(ascii: "]") else { break }
            out[n] = level.level
            n &+= 1
            q += level.length &+ 1
            if c == UInt8(ascii: "]") { return CompactRun(next: q, count: n, closed: true) }
        }
        return CompactRun(next: q, count: n, closed: false)
    }

    /// `compactRun` for shapes of which one at least is long (`"60000.10000000"`), kept apart so that the
    /// short-number loop stays as it is. (One loop for both, the reader passed in and inlined, measured
    /// 300 more instructions a message on either shape under callgrind.)
    @usableFromInline @inline(never)
    static func compactRunAnyLength(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<PriceLevel>,
        price: SWARDecimal.Shape, quantity: SWARDecimal.Shape
    ) -> CompactRun {
        var q = start
        var n = 0
        let room = CompactLevel.maximumLength(price: price, quantity: quantity)
        while true {
            guard q.distance(to: end) > room, let level = CompactLevel(anyLength: q, price: price, quantity: quantity) else { break }
            let c = q[level.length]
            guard c == UInt8(ascii: ",") || c == UInt8(ascii: "]") else { break }
            out[n] = level.level
            n &+= 1
            q += level.length &+ 1
            if c == UInt8(ascii: "]") { return CompactRun(next: q, count: n, closed: true) }
        }
        return CompactRun(next: q, count: n, closed: false)
    }
}

/// One level of the compact form, `["63943.90","46.372"]` with both numbers in known shapes, read at a
/// point where `maximumLength(price:quantity:)` bytes may be loaded.
@usableFromInline
@frozen
struct CompactLevel {
    @usableFromInline var level: PriceLevel
    /// Bytes through the closing `]`.
    @usableFromInline var length: Int

    /// `["`, two numbers of at most eight bytes with their closing quotes, `","`'s last two bytes and `]`.
    @inlinable static var maximumLength: Int { 23 }

    /// The same for numbers of any length: as far as their readers may load (39 bytes for two long ones).
    @inlinable @inline(always)
    static func maximumLength(price: SWARDecimal.Shape, quantity: SWARDecimal.Shape) -> Int { 5 &+ price.readLength &+ quantity.readLength }

    @inlinable @inline(always)
    init?(_ q: UnsafePointer<UInt8>, price: SWARDecimal.Shape, quantity: SWARDecimal.Shape) {
        self.init(q, price: price, quantity: quantity, reading: SWARDecimal.quoted(_:in:))
    }

    /// The same with numbers of either length, at a point where `maximumLength(price:quantity:)` bytes may
    /// be loaded.
    @inlinable @inline(always)
    init?(anyLength q: UnsafePointer<UInt8>, price: SWARDecimal.Shape, quantity: SWARDecimal.Shape) {
        self.init(q, price: price, quantity: quantity, reading: SWARDecimal.quotedAnyLength(_:in:))
    }

    /// The level's frame around two numbers, each read by `read`.
    @inlinable @inline(always)
    init?(
        _ q: UnsafePointer<UInt8>, price: SWARDecimal.Shape, quantity: SWARDecimal.Shape,
        reading read: (inout UnsafePointer<UInt8>, SWARDecimal.Shape) -> Int64?
    ) {
        guard UnsafeRawPointer(q).loadUnaligned(as: UInt16.self) == UInt16(littleEndian: 0x225B) else { return nil }
        var r = q + 2
        guard let p = read(&r, price), UnsafeRawPointer(r).loadUnaligned(as: UInt16.self) == UInt16(littleEndian: 0x222C) else { return nil }
        r += 2
        guard let v = read(&r, quantity), r[0] == UInt8(ascii: "]") else { return nil }
        level = PriceLevel(price: Price(raw: p), quantity: Quantity(raw: v))
        length = q.distance(to: r) &+ 1
    }
}
