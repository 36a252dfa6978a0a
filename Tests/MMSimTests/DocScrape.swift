import Foundation
import MMBinanceWire
import TestSupport

/// What Binance's USDⓈ-M documentation (the scrape in `../shared/fixtures`) says an endpoint answers.
struct DocEndpoint {
    var file: String
    var method: String
    var path: String
    /// The JSON blocks of its "Response Example" section, in order (alternatives such as object-or-array).
    var responses: [JSONValue]
}

/// Reads the documentation scrape: endpoints with their response examples, event examples, and every
/// documented error text.
enum DocScrape {
    static let root = "binance_usdm/official_docs_scrape"

    /// Every REST endpoint page with an HTTP request line.
    static func endpoints() throws -> [DocEndpoint] {
        var out: [DocEndpoint] = []
        for folder in ["market-data/rest-api", "trade/rest-api", "account/rest-api", "user-data-streams"] {
            let dir = Fixtures.path(root + "/" + folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where name.hasSuffix(".md") {
                let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
                guard let request = text.firstMatch(of: /## HTTP Request\s+(GET|POST|PUT|DELETE)\s+`([^`]+)`/) else { continue }
                let section = text.range(of: "## Response Example").map { String(text[$0.upperBound...]) } ?? ""
                out.append(DocEndpoint(
                    file: folder + "/" + name, method: String(request.1), path: String(request.2),
                    responses: jsonBlocks(section).compactMap { try? JSONValue.parse(Array($0.utf8)) }))
            }
        }
        return out
    }

    /// The JSON examples of an event page (`user-data-streams/Event-….md`), parsed.
    static func eventExamples(_ page: String, folder: String = "user-data-streams") throws -> [JSONValue] {
        let text = try String(contentsOfFile: Fixtures.path(root + "/" + folder + "/" + page), encoding: .utf8)
        return jsonBlocks(text).compactMap { try? JSONValue.parse(Array($0.utf8)) }
    }

    /// Code blocks of `text` that hold JSON, with `//` comments and trailing commas removed (the pages
    /// annotate their examples).
    static func jsonBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                if let lines = current {
                    let body = clean(lines.joined(separator: "\n"))
                    if let first = body.first, first == "{" || first == "[" { blocks.append(body) }
                    current = nil
                } else {
                    current = []
                }
            } else if current != nil {
                current!.append(String(line))
            }
        }
        return blocks
    }

    /// Repairs the pages' annotated examples into JSON: comments outside strings removed, commas before a
    /// closing bracket removed, missing commas between lines added, doubled and full-width commas and
    /// non-breaking spaces made plain.
    static func clean(_ s: String) -> String {
        var out: [Character] = []
        var inString = false
        var escaped = false
        var chars = Array(s.replacingOccurrences(of: "\u{00A0}", with: " ").replacingOccurrences(of: "\u{FF0C}", with: ","))[...]
        while var c = chars.popFirst() {
            if c == "\r" { c = "\n" }
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            if c == "/" && chars.first == "/" {
                while let n = chars.first, n != "\n" { chars.removeFirst() }
                continue
            }
            if c == "\"" || c == "{" || c == "," {
                var j = out.count - 1
                var newline = false
                while j >= 0, out[j].isWhitespace {
                    newline = newline || out[j] == "\n"
                    j -= 1
                }
                if c == "," && j >= 0 && out[j] == "," { continue }
                if c != ",", newline, j >= 0, "\"}]el".contains(out[j]) || out[j].isNumber { out.insert(",", at: j + 1) }
            }
            if c == "\"" { inString = true }
            if c == "}" || c == "]" {
                while let last = out.last, last.isWhitespace { out.removeLast() }
                if out.last == "," { out.removeLast() }
            }
            out.append(c)
        }
        return String(out).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Documented error texts: the error-code list (with `%s` standing for any text) and every
    /// `{"code":…,"msg":…}` in an example of the USDⓈ-M pages.
    static func errorTexts() throws -> [Int: [String]] {
        var texts: [Int: [String]] = [:]
        let list = try JSONValue.parse(Fixtures.bytes("binance_usdm/fapi_error_codes_from_official_docs.json"))
        for e in list["errors"]?.arrayValue ?? [] {
            guard let code = e["code"]?.int64 else { continue }
            texts[Int(code), default: []] += (e["messages"]?.arrayValue ?? []).compactMap(\.text)
        }
        let pages = FileManager.default.enumerator(atPath: Fixtures.path(root))
        while let name = pages?.nextObject() as? String {
            guard name.hasSuffix(".md"), let text = try? String(contentsOfFile: Fixtures.path(root + "/" + name), encoding: .utf8) else { continue }
            for m in text.matches(of: /"code":\s*(-\d+),\s*"msg":\s*"((?:[^"\\]|\\.)*)"/) {
                texts[Int(m.1)!, default: []].append(String(m.2))
            }
        }
        return texts
    }

    /// True when `message` is one of `templates`, `%s` matching any text.
    static func matches(_ message: String, _ templates: [String]) -> Bool {
        templates.contains { t in
            let parts = t.components(separatedBy: "%s")
            guard message.hasPrefix(parts[0]) else { return false }
            var rest = message.dropFirst(parts[0].count)
            for (i, part) in parts.dropFirst().enumerated() {
                let isLast = i == parts.count - 2
                if isLast {
                    if !rest.hasSuffix(part) { return false }
                    rest = ""
                } else {
                    guard let r = rest.range(of: part) else { return false }
                    rest = rest[r.upperBound...]
                }
            }
            return parts.count > 1 || rest.isEmpty
        }
    }
}

/// Compares two JSON values by shape: keys, JSON types and nesting.
struct ShapeCheck {
    /// Keys the documentation shows that the venue leaves out, with why (`path` is dotted, arrays as `[]`).
    var mayLack: [String: String] = [:]
    /// Keys the venue sends beyond the example, with why.
    var mayAdd: [String: String] = [:]
    /// False for captures that stringified numbers: then strings and numbers match each other.
    var typesMatter = true
    /// For a generated schema that merges alternatives into one object (the connector's examples): keys
    /// the venue sends beyond it, empty lists and rows of candles are not compared.
    var mergedSchema = false

    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Differences of `actual` from `expected`, one line each.
    func differences(_ expected: JSONValue, _ actual: JSONValue, at path: String = "") -> [String] {
        if case .null = expected { return [] }
        if mergedSchema, case .array(let e) = expected, case .object = actual, let first = e.first { return differences(first, actual, at: path) }
        var (ek, ak) = (Self.kind(expected), Self.kind(actual))
        if !typesMatter && ["string", "number"].contains(ek) && ["string", "number"].contains(ak) { (ek, ak) = ("scalar", "scalar") }
        guard ek == ak else { return ["\(path.isEmpty ? "(top)" : path): \(ek) documented, \(ak) sent"] }
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            var out: [String] = []
            let sent = Dictionary(a.map { ($0.0, $0.1) }, uniquingKeysWith: { x, _ in x })
            for (key, value) in e {
                let p = path.isEmpty ? key : path + "." + key
                guard let v = sent[key] else {
                    if mayLack[p] == nil { out.append("\(p): documented, not sent") }
                    continue
                }
                out += differences(value, v, at: p)
            }
            let documented = Set(e.map(\.0))
            for (key, _) in a where !documented.contains(key) && !mergedSchema {
                let p = path.isEmpty ? key : path + "." + key
                if mayAdd[p] == nil { out.append("\(p): sent, not documented") }
            }
            return out
        case (.array(let e), .array(let a)):
            guard let first = e.first else { return [] }
            if mergedSchema, a.isEmpty || Self.kind(first) == "array" { return [] }
            guard !a.isEmpty else { return ["\(path)[]: documented with elements, sent empty"] }
            // Rows of mixed types (klines) and lists of alternatives (a batch: order, then error) compare by position.
            let uniform = mergedSchema || e.allSatisfy { Self.kind($0) == Self.kind(first) && keys($0) == keys(first) }
            if !uniform {
                guard e.count == a.count else { return ["\(path)[]: \(e.count) documented elements, \(a.count) sent"] }
                return zip(e, a).enumerated().flatMap { i, pair in differences(pair.0, pair.1, at: path + "[\(i)]") }
            }
            // A merged schema's error alternative matches the venue's error entries by itself.
            let compared = mergedSchema ? a.filter { keys($0) != ["code", "msg"] } : a
            return compared.flatMap { differences(first, $0, at: path + "[]") }
        default:
            return []
        }
    }

    private func keys(_ v: JSONValue) -> [String] {
        if case .object(let m) = v { return m.map(\.0).sorted() }
        return []
    }
}
