import MMCore

/// Typed reads over a `ConfigSource`, collecting every problem with its key and origin.
struct ConfigReader {
    var source: ConfigSource
    var problems: [ConfigProblem]
    /// Keys read, in order (the schema).
    var used: [String] = []

    init(source: ConfigSource) {
        self.source = source
        problems = source.problems
    }

    mutating func problem(_ key: String, _ message: String) {
        let e = source.entries[key]
        problems.append(ConfigProblem(key: key, line: e?.line, environment: e?.environment, message: message))
    }

    private mutating func entry(_ key: String) -> ConfigSource.Entry? {
        used.append(key)
        return source.entries[key]
    }

    mutating func string(_ key: String, _ fallback: String, check: (String) -> String? = { _ in nil }) -> String {
        guard let e = entry(key) else { return fallback }
        if let message = check(e.text) {
            problem(key, "'\(e.text)': \(message)")
            return fallback
        }
        return e.text
    }

    /// Every key under `prefix.` with its text, in file order; all count as read.
    mutating func entries(under prefix: String) -> [(key: String, text: String)] {
        let found = source.entries.filter { $0.key.hasPrefix(prefix + ".") }.sorted { ($0.value.line ?? 0, $0.key) < ($1.value.line ?? 0, $1.key) }
        for (k, _) in found { used.append(k) }
        return found.map { (String($0.key.dropFirst(prefix.count + 1)), $0.value.text) }
    }

    mutating func bool(_ key: String, _ fallback: Bool) -> Bool {
        guard let e = entry(key) else { return fallback }
        switch e.text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            problem(key, "'\(e.text)' is not true or false")
            return fallback
        }
    }

    mutating func int(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
        guard let e = entry(key) else { return fallback }
        guard let v = Int(e.text) else {
            problem(key, "'\(e.text)' is not a whole number")
            return fallback
        }
        guard range.contains(v) else {
            problem(key, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)")
            return fallback
        }
        return v
    }

    mutating func double(_ key: String, _ fallback: Double, _ range: ClosedRange<Double>) -> Double {
        guard let e = entry(key) else { return fallback }
        guard let v = Double(e.text), v.isFinite else {
            problem(key, "'\(e.text)' is not a number")
            return fallback
        }
        guard range.contains(v) else {
            problem(key, "\(e.text) is out of range \(range.lowerBound)...\(range.upperBound)")
            return fallback
        }
        return v
    }

    /// An exact decimal (money or size), parsed from the text without floating point.
    mutating func decimal<T: FixedPoint>(_ key: String, _ fallback: T, positive: Bool) -> T {
        guard let e = entry(key) else { return fallback }
        do throws(DecimalError) {
            let v = try T(parsing: e.text)
            if positive && v.raw <= 0 {
                problem(key, "must be greater than zero")
                return fallback
            }
            return v
        } catch {
            problem(key, "'\(e.text)' is not an exact decimal (\(error))")
            return fallback
        }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ fallback: T) -> T where T.RawValue == String {
        guard let e = entry(key) else { return fallback }
        guard let v = T(rawValue: e.text) else {
            problem(key, "'\(e.text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return fallback
        }
        return v
    }

    /// Reports keys that were never read: credentials (refused) and unknown keys (typos).
    mutating func finish(secretKeys: Set<String>) {
        let known = Set(used)
        for (key, e) in source.entries.sorted(by: { ($0.value.line ?? 0, $0.key) < ($1.value.line ?? 0, $1.key) }) where !known.contains(key) {
            let last = key.split(separator: ".").last.map { $0.lowercased() } ?? ""
            if secretKeys.contains(last) {
                problems.append(ConfigProblem(
                    key: key, line: e.line, environment: e.environment,
                    message: "API keys and secrets are never read from configuration files: remove it and export BINANCE_API_KEY and BINANCE_API_SECRET instead (see scripts/env_setup.sh)"))
            } else {
                let hint = Self.closest(key, in: used).map { " (did you mean \($0)?)" } ?? ""
                problems.append(ConfigProblem(key: key, line: e.line, environment: e.environment, message: "unknown key" + hint))
            }
        }
    }

    /// A known key that differs only in case, or shares the section and last word's start.
    static func closest(_ key: String, in keys: [String]) -> String? {
        if let same = keys.first(where: { $0.lowercased() == key.lowercased() }) { return same }
        let last = key.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return keys.first { k in
            let l = k.split(separator: ".").last.map { $0.lowercased() } ?? ""
            return l.count >= 4 && last.count >= 4 && (l.hasPrefix(String(last.prefix(4))) || last.hasPrefix(String(l.prefix(4))))
        }
    }
}
