/// A parsed JSON document for cold paths (exchangeInfo, REST replies). Numbers keep their exact text so
/// that money never passes through floating point.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's exact source text.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in source order.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Parses a whole document.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw .unexpectedEnd }
        var s = ByteScanner(base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        let value = try parseValue(&s, depth: 0)
        s.skipWhitespace()
        if !s.atEnd { throw .unexpectedByte(s.p.pointee, offset: s.offset) }
        return value
    }

    /// Parses a whole document from bytes.
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> JSONValue {
        let r: Result<JSONValue, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Parses a whole document from text.
    public static func parse(_ text: String) throws(WireError) -> JSONValue { try parse(Array(text.utf8)) }

    /// Member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The string value, or the text of a number.
    public var text: String? {
        switch self {
        case .string(let s), .number(let s): return s
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An integer from a number or numeric string.
    public var int64: Int64? { text.flatMap { Int64($0) } }

    private static func parseValue(_ s: inout ByteScanner, depth: Int) throws(WireError) -> JSONValue {
        if depth > 64 { throw .nestingTooDeep(offset: s.offset) }
        let b = try s.peek()
        switch b {
        case UInt8(ascii: "{"):
            s.p += 1
            var members: [(String, JSONValue)] = []
            if try s.peek() == UInt8(ascii: "}") {
                s.p += 1
                return .object(members)
            }
            repeat {
                let key = try unescape(try s.readStringSpan(), at: s.offset)
                try s.expect(UInt8(ascii: ":"))
                members.append((key, try parseValue(&s, depth: depth + 1)))
            } while try s.next(closing: UInt8(ascii: "}"))
            return .object(members)
        case UInt8(ascii: "["):
            s.p += 1
            var items: [JSONValue] = []
            if try s.peek() == UInt8(ascii: "]") {
                s.p += 1
                return .array(items)
            }
            repeat {
                items.append(try parseValue(&s, depth: depth + 1))
            } while try s.next(closing: UInt8(ascii: "]"))
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try unescape(try s.readStringSpan(), at: s.offset))
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .bool(try s.readBool(.level))
        case UInt8(ascii: "n"):
            if s.matchLiteral("null") { return .null }
            throw .unexpectedByte(b, offset: s.offset)
        default:
            let start = s.p
            try s.skipValue(depth: depth)
            let text = String(decoding: UnsafeRawBufferPointer(start: start, count: start.distance(to: s.p)), as: UTF8.self)
            return .number(text)
        }
    }

    private static func unescape(_ span: UnsafeRawBufferPointer, at offset: Int) throws(WireError) -> String {
        if !span.contains(UInt8(ascii: "\\")) { return String(decoding: span, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(span.count)
        var i = 0
        while i < span.count {
            let c = span[i]
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < span.count else { throw .unexpectedEnd }
            let e = span[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard i + 4 <= span.count,
                    let code = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: span[i..<i + 4]), as: UTF8.self), radix: 16)
                else { throw .unexpectedByte(e, offset: offset) }
                i += 4
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
