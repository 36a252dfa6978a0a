import MMCore

/// A trading venue the product speaks to.
public enum VenueID: String, Sendable, Hashable, CaseIterable {
    case binanceUSDM = "binance-usdm"
    case binanceSpot = "binance-spot"
    case mexc
    case bybit
    case okx

}

/// Spot, or a perpetual contract settled in its quote (USDT, USDC).
public enum MarketType: String, Sendable, Hashable {
    case spot
    case linearPerpetual = "swap"
}

/// Whether a market trades.
public enum MarketStatus: String, Sendable, Hashable {
    case trading
    /// Listed but not (yet, or for now) open to orders.
    case halted
    case delisted
}
