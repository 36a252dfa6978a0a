/// What a venue accepts as a client order ID: its length and its characters. IDs the product makes are
/// checked against the venue's scheme before they are sent.
public struct ClientOrderIDScheme: Sendable, Equatable {
    public var maxLength: Int
    /// Characters allowed besides ASCII letters and digits.
    public var extra: Set<Character>

    /// The venue's rule, from its documentation.
    public static func of(_ venue: VenueID) -> ClientOrderIDScheme {
        switch venue {
        // ^[.A-Z:/a-z0-9_-]{1,36}$
        case .binanceUSDM: ClientOrderIDScheme(maxLength: 36, extra: [".", ":", "/", "_", "-"])
        // ^[a-zA-Z0-9-_]{1,36}$
        case .binanceSpot: ClientOrderIDScheme(maxLength: 36, extra: ["_", "-"])
        // MEXC documents no pattern; its IDs are echoed as sent, so the product keeps to the common subset.
        case .mexc: ClientOrderIDScheme(maxLength: 32, extra: ["_", "-"])
        // orderLinkId: up to 36 of letters, digits, dashes and underscores.
        case .bybit: ClientOrderIDScheme(maxLength: 36, extra: ["_", "-"])
        // clOrdId: case-sensitive alphanumerics, up to 32.
        case .okx: ClientOrderIDScheme(maxLength: 32, extra: [])
        }
    }

    /// Whether the venue accepts `id`.
    public func accepts(_ id: String) -> Bool {
        !id.isEmpty && id.count <= maxLength && id.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || extra.contains($0) }
    }

    /// `prefix` + `sequence` in the venue's alphabet (characters it refuses dropped), cut to its length
    /// from the left so that the sequence, which makes the ID unique, survives.
    public func make(prefix: String, sequence: UInt64) -> String {
        let kept = String(prefix.filter { ($0.isASCII && ($0.isLetter || $0.isNumber)) || extra.contains($0) })
        let id = kept + String(sequence, radix: 36)
        return String(id.suffix(maxLength))
    }
}
