import Foundation
import Yams

/// One problem in a configuration: the key it concerns, where it came from, and what is wrong.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted key path (`risk.netMax`), or empty for the document as a whole.
    public var key: String
    /// 1-based line in the file, when the value came from the file.
    public var line: Int?
    /// The environment variable the value came from, when it did.
    public var environment: String?
    public var message: String

    public var description: String {
        var place = ""
        if let line { place = "line \(line): " } else if let environment { place = "\(environment): " }
        return place + (key.isEmpty ? "" : "\(key): ") + message
    }
}

/// Every problem of a configuration, reported at once.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var problems: [ConfigProblem]
    public var description: String {
        "invalid configuration \(path):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension ConfigError {
    /// A configuration file's text; a file that cannot be read is an error naming it.
    static func text(ofFile path: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: path, problems: [ConfigProblem(key: "", message: "cannot read the file (does it exist?)")])
        }
        return text
    }
}

/// A configuration document flattened to dotted keys, each with its text and origin. `${VAR}` and
/// `${VAR:-default}` are expanded in the text before parsing; `MM_<SECTION>_<KEY>` environment variables then
/// override single values (matched case-insensitively, e.g. `MM_RISK_NETMAX=0.02`).
struct ConfigSource {
    struct Entry {
        var text: String
        var line: Int?
        var environment: String?
    }

    var entries: [String: Entry] = [:]
    var problems: [ConfigProblem] = []

    /// Environment variables that start with `MM_` but configure something else than this file.
    static let reservedEnvironment: Set<String> = [
        "MM_SIM_API_KEY", "MM_SIM_API_SECRET", "MM_CONTROL_TOKEN", "MM_CONTROL_PORT", "MM_METRICS_PORT", "MM_CONFIG", "MM_BIN", "MM_FIXTURES",
        "MM_MASTER_KEY", "MM_MASTER_KEY_FILE", "MM_NEW_MASTER_KEY", "MM_ACCOUNT_STORE", "MM_ACCOUNT_API_KEY", "MM_ACCOUNT_API_SECRET",
    ]
    /// Prefixes of other documents' overrides (`MM_REBALANCE_…` configure the rebalancer, not the engine).
    static let reservedPrefixes = ["MM_REBALANCE_"]

    /// `environmentPrefix` starts the names of the variables that override single keys.
    init(yaml raw: String, environment: [String: String], knownKeys: [String], environmentPrefix: String = "MM_") {
        let text = expand(raw, environment: environment)
        do {
            if let root = try Yams.compose(yaml: text) {
                flatten(root, prefix: "")
            }
        } catch let error as YamlError {
            problems.append(ConfigProblem(key: "", line: Self.line(of: error), message: "not valid YAML: \(Self.reason(error))"))
        } catch {
            problems.append(ConfigProblem(key: "", message: "not valid YAML: \(error)"))
        }
        applyOverrides(environment, knownKeys: knownKeys, prefix: environmentPrefix)
    }

    private mutating func expand(_ text: String, environment: [String: String]) -> String {
        var out = ""
        var lineNumber = 1
        for fullLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // Comments are left as written: they may show ${VAR} as documentation.
            let commentStart = Self.commentStart(fullLine)
            let line = fullLine[..<commentStart]
            var rest = Substring(line)
            var expanded = ""
            while let start = rest.range(of: "${") {
                expanded += rest[..<start.lowerBound]
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    problems.append(ConfigProblem(key: "", line: lineNumber, message: "unterminated ${ in '\(line.trimmingCharacters(in: .whitespaces))'"))
                    expanded += rest[start.lowerBound...]
                    rest = ""
                    break
                }
                let body = rest[start.upperBound..<end]
                let parts = body.components(separatedBy: ":-")
                let name = parts[0]
                if let value = environment[name], !value.isEmpty {
                    expanded += value
                } else if parts.count > 1 {
                    expanded += parts.dropFirst().joined(separator: ":-")
                } else {
                    problems.append(ConfigProblem(
                        key: "", line: lineNumber, message: "${\(name)} is not set (export it, or write ${\(name):-default})"))
                }
                rest = rest[rest.index(after: end)...]
            }
            expanded += rest
            out += expanded + fullLine[commentStart...] + "\n"
            lineNumber += 1
        }
        return out
    }

    /// Where a YAML comment starts on a line: a `#` at the start or after a blank, outside quotes.
    static func commentStart(_ line: Substring) -> Substring.Index {
        var quote: Character?
        var previous: Character = " "
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" && (previous == " " || previous == "\t") {
                return i
            }
            previous = c
            i = line.index(after: i)
        }
        return line.endIndex
    }

    private mutating func flatten(_ node: Node, prefix: String) {
        switch node {
        case .mapping(let mapping):
            for (k, v) in mapping {
                guard let key = k.string else {
                    problems.append(ConfigProblem(key: prefix, line: k.mark?.line, message: "keys must be text"))
                    continue
                }
                let path = prefix.isEmpty ? key : prefix + "." + key
                if case .mapping = v {
                    flatten(v, prefix: path)
                } else if case .sequence = v {
                    problems.append(ConfigProblem(key: path, line: v.mark?.line, message: "expected a single value, found a list"))
                } else {
                    entries[path] = Entry(text: v.string ?? "", line: v.mark?.line ?? k.mark?.line)
                }
            }
        case .scalar(let s) where s.string.isEmpty:
            break
        default:
            problems.append(ConfigProblem(key: prefix, line: node.mark?.line, message: "expected a mapping of keys to values"))
        }
    }

    private mutating func applyOverrides(_ environment: [String: String], knownKeys: [String], prefix: String) {
        var byEnvName: [String: String] = [:]
        for key in knownKeys {
            byEnvName[prefix + key.replacingOccurrences(of: ".", with: "_").uppercased()] = key
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
            guard !Self.reservedEnvironment.contains(name) else { continue }
            if prefix == "MM_" && Self.reservedPrefixes.contains(where: { name.hasPrefix($0) }) { continue }
            guard let key = byEnvName[name.uppercased()] else {
                let example = (knownKeys.first { $0.contains(".") } ?? knownKeys.first).map { prefix + $0.replacingOccurrences(of: ".", with: "_").uppercased() } ?? prefix + "KEY"
                problems.append(ConfigProblem(key: "", environment: name, message: "does not name a configuration key (\(prefix)<SECTION>_<KEY>, e.g. \(example))"))
                continue
            }
            entries[key] = Entry(text: value, line: nil, environment: name)
        }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func reason(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}
