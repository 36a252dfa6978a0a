import MMCore

/// An asset balance: available, and held by open orders (8 decimals).
public struct AssetBalance: Sendable, Equatable {
    public var free: Notional
    public var locked: Notional

    public init(free: Notional = .zero, locked: Notional = .zero) {
        self.free = free
        self.locked = locked
    }

    public var total: Notional { free + locked }
}
