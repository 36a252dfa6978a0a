import MMBook
import MMCore

/// Checks every order intent before it is sent, and owns the trading state. A value: the gateway thread
/// calls it and acts on what it returns; it does no I/O.
///
/// Loss limits (daily loss, stop-loss, drawdown) move the state to `.halted`, which stays until `reset()`:
/// the caller then cancels everything (and may flatten reduce-only). While halted or reducing only
/// reduce-only orders that shrink the position pass.
public struct RiskGate: Sendable {
    public let instrument: Instrument
    public var limits: RiskLimits
    public private(set) var state: TradingState = .active
    /// Why the gate halted, when it did.
    public private(set) var haltReason: RiskRejection?
    /// Highest PnL seen today, for the drawdown limit.
    public private(set) var peakPnL = Notional.zero
    /// Send times of recent accepted orders (monotonic ns), oldest first.
    private var recentSends: [Int64] = []
    /// Rejections by code.
    public private(set) var rejections: [RiskRejection: Int] = [:]

    public init(instrument: Instrument, limits: RiskLimits) {
        self.instrument = instrument
        self.limits = limits
        recentSends.reserveCapacity(64)
    }

    /// Updates PnL tracking and the trading state; returns the state (halts on a loss-limit breach).
    @discardableResult
    public mutating func evaluate(_ context: RiskContext) -> TradingState {
        let pnl = context.pnl
        if pnl > peakPnL { peakPnL = pnl }
        guard state != .halted else { return state }
        if context.totalPnL <= limits.stopLoss {
            halt(.stopLoss)
        } else if Notional.zero.clampedSubtracting(pnl) >= limits.dailyLossLimit {
            halt(.dailyLossLimit)
        } else if peakPnL.clampedSubtracting(pnl) >= limits.maxDrawdown {
            halt(.drawdown)
        }
        return state
    }

    /// Operator action: trading may resume (`.active`) or only reduce (`.reducing`).
    public mutating func reset(to newState: TradingState = .active) {
        state = newState
        haltReason = nil
    }

    /// A new trading day (UTC midnight): the drawdown peak starts again from today's PnL. A halt stays.
    public mutating func startNewDay() {
        peakPnL = .zero
    }

    /// Operator or engine: halt now (cancel-all follows), whatever the PnL.
    public mutating func forceHalt() {
        halt(.halted)
    }

    /// Enters reduce-only mode (e.g. near a limit), unless already halted.
    public mutating func reduceOnly() {
        if state == .active { state = .reducing }
    }

    private mutating func halt(_ reason: RiskRejection) {
        state = .halted
        haltReason = reason
    }

    /// Checks one intent against every rule, in a fixed order; records an accepted send for the rate limit.
    public mutating func check(_ intent: OrderIntent, _ context: RiskContext) -> RiskDecision {
        let decision = decide(intent, context)
        switch decision {
        case .accept:
            recentSends.append(context.nowNanos)
        case .reject(let r):
            rejections[r, default: 0] += 1
        }
        return decision
    }

    private mutating func decide(_ intent: OrderIntent, _ context: RiskContext) -> RiskDecision {
        let shrinks = intent.side == .buy ? context.position.raw < 0 : context.position.raw > 0
        let reducing = intent.reduceOnly && shrinks && intent.quantity.raw <= context.position.raw.magnitude
        if evaluate(context) == .halted && !reducing { return .reject(.halted) }
        if state == .reducing && !reducing { return .reject(.reduceOnlyState) }
        guard instrument.ticks(intent.price) != nil, intent.price.raw > 0 else { return .reject(.offTick) }
        guard instrument.lots(intent.quantity) != nil, intent.quantity.raw > 0 else { return .reject(.offStep) }
        if !context.top.isSynced || context.bookAgeMillis > limits.maxBookAgeMillis { return .reject(.staleBook) }
        if context.userStreamAgeMillis > limits.maxUserStreamAgeMillis { return .reject(.staleUserStream) }
        if !intent.reduceOnly && !instrument.meetsMinNotional(price: intent.price, quantity: intent.quantity) {
            return .reject(.notionalBelowMin)
        }
        if Notional.exactProduct(intent.price, intent.quantity) > Int128(limits.maxOrderNotional.raw) * Int128(FixedPointScale.unit) {
            return .reject(.orderNotional)
        }
        if !reducing {
            // Worst case: every order that may be live on this side fills, then this one, from the larger
            // (buying) or smaller (selling) of the positions the fills and the venue give.
            let grown = intent.side == .buy
                ? Int128(context.positionHigh.raw) + Int128(context.openBuy.raw) + Int128(intent.quantity.raw)
                : Int128(context.positionLow.raw) - Int128(context.openSell.raw) - Int128(intent.quantity.raw)
            if grown.magnitude > UInt128(limits.maxNetPosition.raw.magnitude) { return .reject(.positionLimit) }
        }
        if let mid = context.top.mid {
            let distance = Int128((Int128(intent.price.raw) - Int128(mid.raw)).magnitude) * 10_000
            if distance > Int128(mid.raw) * Int128(limits.priceBandBps) { return .reject(.priceBand) }
        } else {
            return .reject(.staleBook)
        }
        if context.openOrders >= limits.maxOpenOrders { return .reject(.openOrders) }
        let windowStart = context.nowNanos - 1_000_000_000
        if let firstInWindow = recentSends.firstIndex(where: { $0 > windowStart }) {
            if firstInWindow > 0 { recentSends.removeFirst(firstInWindow) }
        } else {
            recentSends.removeAll(keepingCapacity: true)
        }
        if recentSends.count >= limits.maxOrdersPerSecond { return .reject(.orderRate) }
        return .accept
    }
}
