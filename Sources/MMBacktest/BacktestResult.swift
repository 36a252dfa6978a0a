import Foundation
import MMBinanceWire
import MMCore
import MMSimCore

/// What a backtest produced: fills, a sampled time series, and the figures users compare strategies by.
public struct BacktestResult: Sendable {
    /// One point of the time series (the chart).
    public struct Sample: Sendable, Equatable {
        public var nanos: Int64
        public var mid: Price
        /// Best desired bid and ask at the last tick (zero: none).
        public var bid: Price
        public var ask: Price
        public var position: Quantity
        /// Net PnL so far (fees paid, position marked at the mid).
        public var pnl: Notional
    }

    /// One execution of ours at the venue.
    public struct Fill: Sendable, Equatable {
        public var nanos: Int64
        public var side: Side
        public var price: Price
        public var quantity: Quantity
        public var maker: Bool
        public var fee: Notional
    }

    public let symbol: Symbol
    /// Length of the recording.
    public let durationNanos: Int64
    public internal(set) var samples: [Sample] = []
    public internal(set) var fills: [Fill] = []
    public internal(set) var ticks = 0
    public internal(set) var trades = 0
    public internal(set) var ordersSent = 0
    public internal(set) var halts = 0
    public internal(set) var riskRejects: [String: Int] = [:]
    public internal(set) var venueRejects: [Int: Int] = [:]
    public internal(set) var nanosAtLimit: Int64 = 0
    public private(set) var finalPosition = Quantity.zero
    /// Net PnL at the end: realized − fees + the open position marked at the last mid.
    public private(set) var pnl = Notional.zero
    public private(set) var fees = Notional.zero
    public private(set) var turnover = Notional.zero
    public private(set) var maxAbsPosition = Quantity.zero
    public private(set) var maxDrawdown = Notional.zero

    init(symbol: Symbol, durationNanos: Int64) {
        self.symbol = symbol
        self.durationNanos = durationNanos
    }

    mutating func addSample(_ s: Sample) { samples.append(s) }

    mutating func addFill(_ f: Fill) {
        fills.append(f)
        fees = fees.clampedAdding(f.fee)
        turnover = turnover.clampedAdding(Notional(price: f.price, quantity: f.quantity) ?? .zero)
    }

    mutating func finish(position: SimPosition, wallet: Notional, mark: Price) {
        finalPosition = position.quantity
        pnl = wallet + position.unrealized(at: mark)
        var peak = Notional.zero
        for s in samples {
            if s.position.clampedMagnitude > maxAbsPosition { maxAbsPosition = s.position.clampedMagnitude }
            if s.pnl > peak { peak = s.pnl }
            if peak - s.pnl > maxDrawdown { maxDrawdown = peak - s.pnl }
        }
        var running = Quantity.zero
        for f in fills {
            running += f.side == .buy ? f.quantity : -f.quantity
            if running.clampedMagnitude > maxAbsPosition { maxAbsPosition = running.clampedMagnitude }
        }
    }

    public var makerShare: Double { fills.isEmpty ? 0 : Double(fills.filter(\.maker).count) / Double(fills.count) }

    /// Mean over standard deviation of the PnL change per minute, scaled to an hour (√60): the Sharpe ratio
    /// per hour of the sampled series. Zero when there is too little to say.
    public var sharpePerHour: Double {
        guard let first = samples.first else { return 0 }
        var minutes: [Double] = []
        var last = first
        for s in samples.dropFirst() where s.nanos - last.nanos >= 60_000_000_000 {
            minutes.append(Double(s.pnl.raw - last.pnl.raw) / 1e8)
            last = s
        }
        guard minutes.count >= 2 else { return 0 }
        let mean = minutes.reduce(0, +) / Double(minutes.count)
        let variance = minutes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(minutes.count - 1)
        return variance > 0 ? mean / variance.squareRoot() * 60.0.squareRoot() : 0
    }

    /// The report as one JSON object.
    public func json(session: String, model: String, cpuSeconds: Double) -> String {
        func obj(_ pairs: [(String, String)]) -> String { "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}" }
        let q = JSONString.quoted
        func num(_ d: Double) -> String { d.isFinite ? String(format: "%.4f", d) : "0" }
        return obj([
            ("session", q(session)), ("symbol", q(symbol.description)), ("model", q(model)),
            ("duration_seconds", num(Double(durationNanos) / 1e9)), ("cpu_seconds", num(cpuSeconds)),
            ("pnl_net", q(pnl.description)), ("fees", q(fees.description)), ("fills", "\(fills.count)"),
            ("maker_share", num(makerShare)), ("turnover", q(turnover.description)), ("orders_sent", "\(ordersSent)"),
            ("max_abs_inventory", q(maxAbsPosition.description)), ("final_inventory", q(finalPosition.description)),
            ("time_at_limit_share", num(durationNanos > 0 ? Double(nanosAtLimit) / Double(durationNanos) : 0)),
            ("sharpe_per_hour", num(sharpePerHour)), ("max_drawdown", q(maxDrawdown.description)), ("halts", "\(halts)"),
            ("risk_rejects_by_code", obj(riskRejects.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") })),
            ("venue_rejects_by_code", obj(venueRejects.sorted { $0.key < $1.key }.map { ("\($0.key)", "\($0.value)") })),
            ("strategy_ticks", "\(ticks)"), ("recorded_trades", "\(trades)"),
        ])
    }
}
