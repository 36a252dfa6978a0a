import MMCore

/// A position's identity: its symbol and, in hedge mode, its leg.
public struct PositionKey: Sendable, Hashable {
    public var symbol: Symbol
    public var side: PositionSide

    public init(_ symbol: Symbol, _ side: PositionSide = .both) {
        self.symbol = symbol
        self.side = side
    }
}

/// A trading account: its orders, positions, modes and a wallet per margin asset (USDT and USDC).
public struct SimAccount: Sendable {
    /// The account's name at the venue (front ends key it by their credential).
    public let id: String
    public internal(set) var open: [Int64: SimOrder] = [:]
    public internal(set) var byClientID: [String: Int64] = [:]
    /// Recently closed orders, for status queries.
    public internal(set) var closed: [Int64: SimOrder] = [:]
    /// Wallet balance per asset: deposits + realized PnL − fees ± funding.
    public internal(set) var wallets: [String: Notional]
    public internal(set) var positions: [PositionKey: SimPosition] = [:]
    /// Spot balances per asset, free and locked.
    public internal(set) var balances: [String: AssetBalance] = [:]
    public internal(set) var feesPaid = Notional.zero
    public internal(set) var fills: [SimFill] = []
    /// Funding paid (negative) or received, per settlement.
    public internal(set) var fundingPayments: [(symbol: Symbol, amount: Notional, timeMillis: Int64)] = []
    /// Leverage for margin checks (20 unless set), and per symbol once set.
    public var leverage: Int64 = 20
    public internal(set) var leverages: [Symbol: Int64] = [:]
    /// Cross unless set to isolated, per symbol.
    public internal(set) var marginModes: [Symbol: MarginMode] = [:]
    /// Account modes: hedge (two legs per symbol), multi-assets margin, fees paid in the platform token.
    public internal(set) var hedgeMode = false
    public internal(set) var multiAssetsMargin = false
    public internal(set) var feeBurn = false
    /// Margin assets whose margin call has been sent and not yet cleared.
    var marginCalled: Set<String> = []

    /// An account with `wallet` in each of USDT and USDC for futures, and `spot` balances (all free).
    public init(id: String, wallet: Notional = Notional(units: 10_000), spot: [String: Notional] = [:]) {
        self.id = id
        wallets = ["USDT": wallet, "USDC": wallet]
        balances = spot.mapValues { AssetBalance(free: $0) }
    }

    /// The spot balance of `asset`.
    public func balance(_ asset: String) -> AssetBalance { balances[asset] ?? AssetBalance() }

    /// The wallet of `asset` (zero when the account has none).
    public func wallet(_ asset: String) -> Notional { wallets[asset] ?? .zero }
    /// The USDT wallet.
    public var wallet: Notional { wallet("USDT") }
    /// The leverage of `symbol`.
    public func leverage(_ symbol: Symbol) -> Int64 { leverages[symbol] ?? leverage }
    /// The margin mode of `symbol`.
    public func marginMode(_ symbol: Symbol) -> MarginMode { marginModes[symbol] ?? .cross }
    /// The position sides the account's mode uses.
    public var positionSides: [PositionSide] { hedgeMode ? [.long, .short] : [.both] }

    /// One leg of `symbol` (or the one-way position).
    public func position(_ symbol: Symbol, _ side: PositionSide) -> SimPosition { positions[PositionKey(symbol, side)] ?? SimPosition() }

    /// The net position in `symbol` over its legs (a hedge account's long plus its short).
    public func position(_ symbol: Symbol) -> SimPosition {
        var net = SimPosition()
        var entryWeight = Int128(0)
        for (key, p) in positions where key.symbol == symbol {
            net.quantity += p.quantity
            net.realized += p.realized
            net.updateTimeMillis = max(net.updateTimeMillis, p.updateTimeMillis)
            entryWeight += Int128(p.entryPrice.raw) * Int128(p.quantity.raw)
        }
        if net.quantity.raw != 0 { net.entryPrice = Price(raw: Int64(entryWeight / Int128(net.quantity.raw))) }
        return net
    }

    /// Every non-empty position in `asset`.
    func positions(in asset: String) -> [(key: PositionKey, position: SimPosition)] {
        positions.filter { marginAsset(of: $0.key.symbol) == asset && $0.value.quantity.raw != 0 }
            .map { ($0.key, $0.value) }.sorted { ($0.key.symbol, $0.key.side.order) < ($1.key.symbol, $1.key.side.order) }
    }
}

extension PositionSide {
    var order: Int {
        switch self {
        case .both: 0
        case .long: 1
        case .short: 2
        }
    }
}
