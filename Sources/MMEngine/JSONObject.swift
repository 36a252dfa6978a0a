import MMCore
import MMBinanceWire

/// A JSON object written in insertion order (summaries, reports, control replies).
public struct JSONObject: Sendable {
    private var parts: [String] = []
    public init() {}
    public mutating func add(_ key: String, _ value: String) { parts.append(JSONString.quoted(key) + ":" + JSONString.quoted(value)) }
    public mutating func add(_ key: String, _ value: Int) { parts.append(JSONString.quoted(key) + ":\(value)") }
    public mutating func add(_ key: String, _ value: Double) { parts.append(JSONString.quoted(key) + ":\(value)") }
    public mutating func add(_ key: String, _ value: Bool) { parts.append(JSONString.quoted(key) + ":\(value)") }
    /// A value already in JSON (a nested object or array, a number written its own way).
    public mutating func add(_ key: String, raw: String) { parts.append(JSONString.quoted(key) + ":" + raw) }
    public var text: String { "{" + parts.joined(separator: ",") + "}" }
}
