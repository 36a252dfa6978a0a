import MMCore
import MMVenue

/// The source document's market and kline history for its worked cases.
enum WorkedCases {
    /// QRL/USDT with MEXC's filters: 5 decimals of price, 2 of quantity, 5 USDT minimum.
    static let qrl = try! MarketSpec.make(
        venue: .mexc, type: .spot, venueSymbol: "QRLUSDT", base: "QRL", quote: "USDT", tickSize: "0.00001", stepSize: "0.01", minNotional: "5"
    ).get()

    /// 25 closes with MA7 = 0.04950 over MA25 = 0.04920 (a golden cross).
    static var goldenCross: [Price] {
        Array(repeating: Price("0.04908")!, count: 12) + Array(repeating: Price("0.04909")!, count: 6) + Array(repeating: Price("0.04950")!, count: 7)
    }
}
