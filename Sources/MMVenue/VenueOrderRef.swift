/// A venue's order ID, whatever its form (Binance's integers, MEXC's and OKX's digit strings, Bybit's
/// UUIDs), held inline: up to 40 bytes of printable ASCII that needs no escaping in JSON.
public struct VenueOrderRef: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public static let capacity = 40
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private var w3: UInt64 = 0
    private var w4: UInt64 = 0
    private var length: UInt8 = 0

    /// `nil` when empty, longer than 40 bytes, or holding a quote, a backslash or a control character.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.capacity, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) else {
            return nil
        }
        withUnsafeMutableBytes(of: &self) { out in
            for (i, b) in bytes.enumerated() { out[i] = b }
        }
        length = UInt8(bytes.count)
    }

    /// A numeric ID.
    public init(_ id: Int64) { self.init(String(id))! }

    public var description: String {
        withUnsafeBytes(of: self) { String(decoding: $0.prefix(Int(length)), as: UTF8.self) }
    }
}
