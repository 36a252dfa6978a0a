/// A market's venue-neutral name, `BASE/QUOTE` for spot and `BASE/QUOTE:SETTLE` for contracts.
public struct UnifiedSymbol: Sendable, Hashable, CustomStringConvertible {
    public var base: String
    public var quote: String
    /// The settlement asset of a contract; `nil` for spot.
    public var settle: String?

    public init(base: String, quote: String, settle: String? = nil) {
        self.base = base
        self.quote = quote
        self.settle = settle
    }

    /// Parses `BASE/QUOTE[:SETTLE]`: upper-case letters and digits, each part non-empty.
    public init?(_ text: String) {
        let colon = text.split(separator: ":", omittingEmptySubsequences: false)
        guard colon.count <= 2 else { return nil }
        let pair = colon[0].split(separator: "/", omittingEmptySubsequences: false)
        guard pair.count == 2 else { return nil }
        let parts = [String(pair[0]), String(pair[1])] + (colon.count == 2 ? [String(colon[1])] : [])
        guard parts.allSatisfy(Self.isAsset) else { return nil }
        base = parts[0]
        quote = parts[1]
        settle = parts.count == 3 ? parts[2] : nil
    }

    static func isAsset(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 20 && s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    public var description: String { "\(base)/\(quote)" + (settle.map { ":" + $0 } ?? "") }
}
