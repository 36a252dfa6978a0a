import MMCore
import MMVenue

/// The rebalancer's rules; the defaults are the source document's.
public struct RebalanceRules: Sendable, Equatable {
    /// Share of the portfolio's value to hold in the base asset.
    public var targetRatio = Ratio(raw: 50_000_000)
    /// Act only when the base's share is this far from the target (percentage points as a fraction).
    public var threshold = Ratio(raw: 10_000_000)
    public var shortAverage = 7
    public var longAverage = 25
    /// Limit price = mid × (1 − offset) for a buy, × (1 + offset) for a sell.
    public var priceOffset = Ratio(raw: 200_000)
    /// Buys keep this share of the quote back for fees.
    public var feeBuffer = Ratio(raw: 100_000)

    public init() {}
}

/// What the rebalancer sees before it decides: balances, the price, the kline closes and its average cost.
public struct RebalanceSnapshot: Sendable, Equatable {
    public var base: Quantity
    public var quote: Notional
    public var mid: Price
    /// Closes of the klines, oldest first.
    public var closes: [Price]
    /// Weighted average cost of the base held (zero when unknown).
    public var averageCost: Price

    public init(base: Quantity, quote: Notional, mid: Price, closes: [Price], averageCost: Price) {
        self.base = base
        self.quote = quote
        self.mid = mid
        self.closes = closes
        self.averageCost = averageCost
    }
}

/// The decision: a limit order, or HOLD with its reason.
public enum RebalanceDecision: Sendable, Equatable {
    case trade(side: Side, price: Price, quantity: Quantity)
    case hold(String)
}

/// The planning rules as one pure function: the base's share of value against the target, a moving-average
/// cross in the trade's direction, the price on the right side of the average cost, a limit price off the
/// mid, the quantity on the step, the venue's minimum notional and the quote left for fees.
public enum RebalancePlanner {
    /// The simple moving average of the last `n` closes.
    public static func movingAverage(_ closes: [Price], _ n: Int) -> Price? {
        guard n > 0, closes.count >= n else { return nil }
        let sum = closes.suffix(n).reduce(Int128(0)) { $0 + Int128($1.raw) }
        return Price(raw: Int64(sum / Int128(n)))
    }

    public static func decide(_ s: RebalanceSnapshot, rules: RebalanceRules, market: MarketSpec) -> RebalanceDecision {
        let unit = Int128(FixedPointScale.unit)
        guard s.mid.raw > 0 else { return .hold("no price") }
        guard let baseValue = Notional(price: s.mid, quantity: s.base) else { return .hold("balance out of range") }
        let total = Int128(baseValue.raw) + Int128(s.quote.raw)
        guard total > 0 else { return .hold("nothing to rebalance") }
        // Shares as fractions of `unit`.
        let share = Int128(baseValue.raw) * unit / total
        let deviation = share - Int128(rules.targetRatio.raw)
        if abs(deviation) < Int128(rules.threshold.raw) {
            return .hold("ratio \(Ratio(raw: Int64(share))) within \(rules.threshold) of the target \(rules.targetRatio)")
        }
        guard let short = movingAverage(s.closes, rules.shortAverage), let long = movingAverage(s.closes, rules.longAverage) else {
            return .hold("not enough klines for MA\(rules.longAverage)")
        }
        let side: Side = deviation < 0 ? .buy : .sell
        if side == .buy {
            guard short > long else { return .hold("under target but no golden cross (MA\(rules.shortAverage) \(short) ≤ MA\(rules.longAverage) \(long))") }
            if s.averageCost.raw > 0 && s.mid >= s.averageCost { return .hold("under target but the price \(s.mid) is not below the average cost \(s.averageCost)") }
        } else {
            guard short < long else { return .hold("over target but no death cross (MA\(rules.shortAverage) \(short) ≥ MA\(rules.longAverage) \(long))") }
            if s.averageCost.raw > 0 && s.mid <= s.averageCost { return .hold("over target but the price \(s.mid) is not above the average cost \(s.averageCost)") }
        }
        let instrument = market.instrument
        // The value that brings the share back to the target, at the mid.
        let value = abs(deviation) * total / unit
        let factor = side == .buy ? unit - Int128(rules.priceOffset.raw) : unit + Int128(rules.priceOffset.raw)
        let rawPrice = Int128(s.mid.raw) * factor / unit
        let tick = Int128(instrument.tickSize.raw)
        // On the tick, away from the market: down for a buy, up for a sell.
        let price = Price(raw: Int64(side == .buy ? rawPrice / tick * tick : (rawPrice + tick - 1) / tick * tick))
        let step = Int128(instrument.stepSize.raw)
        let quantity = Quantity(raw: Int64(value * unit / Int128(s.mid.raw) / step * step))
        guard quantity.raw > 0, let notional = Notional(price: price, quantity: quantity) else { return .hold("quantity rounds to zero") }
        if notional < instrument.minNotional {
            return .hold("notional \(notional) below the venue's minimum \(instrument.minNotional)")
        }
        if side == .buy {
            let needed = Int128(notional.raw) * (unit + Int128(rules.feeBuffer.raw)) / unit
            if needed > Int128(s.quote.raw) { return .hold("\(notional) plus the fee buffer exceeds the quote balance \(s.quote)") }
        } else if quantity > s.base {
            return .hold("selling \(quantity) exceeds the base balance \(s.base)")
        }
        return .trade(side: side, price: price, quantity: quantity)
    }

    /// The average cost after a fill: buys weigh in at their price; sells leave it unchanged.
    public static func averageCost(held: Quantity, cost: Price, fill side: Side, quantity: Quantity, price: Price) -> Price {
        guard side == .buy else { return cost }
        let total = Int128(held.raw) + Int128(quantity.raw)
        guard total > 0 else { return .zero }
        return Price(raw: Int64((Int128(held.raw) * Int128(cost.raw) + Int128(quantity.raw) * Int128(price.raw)) / total))
    }
}
