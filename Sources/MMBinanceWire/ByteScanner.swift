import MMCore

/// A forward-only JSON reader over raw bytes. It never copies or allocates: strings are returned as spans
/// of the input, numbers are read in place.
@usableFromInline
struct ByteScanner {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline var p: UnsafePointer<UInt8>
    @usableFromInline let end: UnsafePointer<UInt8>

    @inlinable
    init(_ start: UnsafePointer<UInt8>, count: Int) {
        base = start
        p = start
        end = start + count
    }

    @inlinable var offset: Int { base.distance(to: p) }
    @inlinable var atEnd: Bool { p >= end }

    @inlinable
    mutating func skipWhitespace() {
        while p < end {
            let b = p.pointee
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { p += 1 } else { return }
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inlinable
    mutating func peek() throws(WireError) -> UInt8 {
        skipWhitespace()
        guard p < end else { throw .unexpectedEnd }
        return p.pointee
    }

    @inlinable
    mutating func expect(_ byte: UInt8) throws(WireError) {
        skipWhitespace()
        guard p < end else { throw .unexpectedEnd }
        guard p.pointee == byte else { throw .unexpectedByte(p.pointee, offset: offset) }
        p += 1
    }

    /// After a member or element: true if another follows (consumes ','), false at the closing byte (consumed).
    @inlinable
    mutating func next(closing: UInt8) throws(WireError) -> Bool {
        skipWhitespace()
        guard p < end else { throw .unexpectedEnd }
        let b = p.pointee
        p += 1
        if b == UInt8(ascii: ",") { return true }
        if b == closing { return false }
        throw .unexpectedByte(b, offset: offset - 1)
    }

    /// Reads a string and returns its raw (still escaped) bytes between the quotes.
    @inlinable
    mutating func readStringSpan() throws(WireError) -> UnsafeRawBufferPointer {
        try expect(UInt8(ascii: "\""))
        let start = p
        while p < end {
            let b = p.pointee
            if b == UInt8(ascii: "\"") {
                let span = UnsafeRawBufferPointer(start: start, count: start.distance(to: p))
                p += 1
                return span
            }
            if b == UInt8(ascii: "\\") { p += 1 }
            else if b < 0x20 { throw .unexpectedByte(b, offset: offset) }
            p += 1
        }
        throw .unexpectedEnd
    }

    /// Reads an integer, bare or quoted.
    @inlinable
    mutating func readInt(_ field: WireField) throws(WireError) -> Int64 {
        skipWhitespace()
        let quoted = p < end && p.pointee == UInt8(ascii: "\"")
        if quoted { p += 1 }
        let start = p
        var negative = false
        if p < end && p.pointee == UInt8(ascii: "-") {
            negative = true
            p += 1
        }
        var value: UInt64 = 0
        let digitsStart = p
        while p < end {
            let d = p.pointee &- 48
            if d > 9 { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { throw .badInteger(field: field, offset: base.distance(to: start)) }
            value = s
            p += 1
        }
        if p == digitsStart || value > UInt64(Int64.max) {
            throw .badInteger(field: field, offset: base.distance(to: start))
        }
        if p < end, p.pointee == UInt8(ascii: ".") || p.pointee | 0x20 == UInt8(ascii: "e") {
            throw .badInteger(field: field, offset: base.distance(to: start))
        }
        if quoted {
            guard p < end else { throw .unexpectedEnd }
            guard p.pointee == UInt8(ascii: "\"") else { throw .badInteger(field: field, offset: base.distance(to: start)) }
            p += 1
        }
        return negative ? -Int64(value) : Int64(value)
    }

    /// Reads a decimal at the fixed-point scale, quoted (Binance's form) or bare.
    @inlinable
    mutating func readDecimal(_ field: WireField) throws(WireError) -> Int64 {
        skipWhitespace()
        guard p < end else { throw .unexpectedEnd }
        let quoted = p.pointee == UInt8(ascii: "\"")
        if quoted { p += 1 }
        let start = p
        let value: Int64
        do throws(DecimalError) {
            let (v, next) = try DecimalCodec.scan(p, end)
            value = v
            p = next
        } catch {
            throw .badDecimal(field: field, error, offset: base.distance(to: start))
        }
        if quoted {
            guard p < end else { throw .unexpectedEnd }
            guard p.pointee == UInt8(ascii: "\"") else {
                throw .badDecimal(field: field, .unexpectedByte(p.pointee, offset: start.distance(to: p)),
                    offset: base.distance(to: start))
            }
            p += 1
        } else if p < end, p.pointee | 0x20 == UInt8(ascii: "e") {
            throw .badDecimal(field: field, .unexpectedByte(p.pointee, offset: start.distance(to: p)),
                offset: base.distance(to: start))
        }
        return value
    }

    @inlinable
    mutating func readBool(_ field: WireField) throws(WireError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        guard p < end else { throw .unexpectedEnd }
        throw .unexpectedByte(p.pointee, offset: offset)
    }

    @inlinable
    mutating func matchLiteral(_ literal: StaticString) -> Bool { consumeLiteral(&p, end, literal) }

    /// Skips one value of any type, refusing nesting beyond `maxDepth`.
    @inlinable
    mutating func skipValue(depth: Int = 0) throws(WireError) {
        if depth > 64 { throw .nestingTooDeep(offset: offset) }
        let b = try peek()
        switch b {
        case UInt8(ascii: "\""):
            _ = try readStringSpan()
        case UInt8(ascii: "{"):
            p += 1
            if try peek() == UInt8(ascii: "}") {
                p += 1
                return
            }
            repeat {
                _ = try readStringSpan()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while try next(closing: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            p += 1
            if try peek() == UInt8(ascii: "]") {
                p += 1
                return
            }
            repeat {
                try skipValue(depth: depth + 1)
            } while try next(closing: UInt8(ascii: "]"))
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            if !(matchLiteral("true") || matchLiteral("false") || matchLiteral("null")) {
                throw .unexpectedByte(b, offset: offset)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = p
            while p < end {
                let c = p.pointee
                let isNumberByte = (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e")
                if !isNumberByte { break }
                p += 1
            }
            if p == start { throw .unexpectedByte(b, offset: offset) }
        default:
            throw .unexpectedByte(b, offset: offset)
        }
    }
}

/// Moves `p` past `literal` when the bytes at `p` are exactly it; otherwise leaves `p` and returns false.
/// Compares a word at a time (the literal's words fold to constants once inlined).
@inlinable @inline(always)
func consumeLiteral(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard p.distance(to: end) >= n else { return false }
    let a = UnsafeRawPointer(p)
    let b = UnsafeRawPointer(literal.utf8Start)
    @inline(always) func differs<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
        a.loadUnaligned(fromByteOffset: offset, as: T.self) ^ b.loadUnaligned(fromByteOffset: offset, as: T.self)
    }
    var diff: UInt64 = 0
    if n >= 8 {
        var i = 0
        while i &+ 8 <= n {
            diff |= differs(UInt64.self, i)
            i &+= 8
        }
        // The tail as one more word overlapping the last.
        if i < n { diff |= differs(UInt64.self, n &- 8) }
    } else if n >= 4 {
        diff = UInt64(differs(UInt32.self, 0) | differs(UInt32.self, n &- 4))
    } else if n >= 2 {
        diff = UInt64(differs(UInt16.self, 0) | differs(UInt16.self, n &- 2))
    } else if n == 1 {
        diff = UInt64(differs(UInt8.self, 0))
    }
    guard diff == 0 else { return false }
    p += n
    return true
}

extension UnsafeRawBufferPointer {
    /// Byte-wise equality with a static ASCII literal.
    @inlinable
    func equals(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard count == n else { return false }
        let lit = literal.utf8Start
        for i in 0..<n where self[i] != lit[i] { return false }
        return true
    }
}
