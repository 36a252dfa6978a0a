import MMCore

extension SimExchange {
    /// Funding at `mark` and `rate`: every position of `symbol` pays (long with a positive rate) or receives
    /// `position × mark × rate`.
    public mutating func settleFunding(symbol: Symbol, rate: Ratio, mark: Price, nowMillis: Int64) {
        for key in accounts.keys.sorted() {
            var payment = Notional.zero
            var any = false
            for side in PositionSide.allCases {
                let position = accounts[key]!.position(symbol, side)
                guard position.quantity.raw != 0, let notional = Notional(price: mark, quantity: position.quantity) else { continue }
                payment += Notional(raw: -Int64(Int128(notional.raw) * Int128(rate.raw) / Int128(FixedPointScale.unit)))
                any = true
            }
            guard any else { continue }
            accounts[key]!.wallets[marginAsset(of: symbol), default: .zero] += payment
            accounts[key]!.fundingPayments.append((symbol, payment, nowMillis))
            events.append((key, .account(symbol: symbol, reason: .funding, balanceChange: payment)))
        }
    }

    /// Sets a symbol's leverage: 1 to 125.
    public mutating func setLeverage(account id: String, symbol: Symbol, _ leverage: Int64) -> Result<Int64, Rejection> {
        guard accounts[id] != nil else { return .failure(.unknownAccount) }
        guard (1...125).contains(leverage) else { return .failure(.leverageOutOfRange(leverage)) }
        accounts[id]!.leverages[symbol] = leverage
        events.append((id, .accountConfig(symbol: symbol, leverage: leverage, multiAssets: nil)))
        return .success(leverage)
    }

    /// Cross or isolated margin for a symbol: not with a position or open orders in it.
    public mutating func setMarginMode(account id: String, symbol: Symbol, _ mode: MarginMode) -> Rejection? {
        guard let account = accounts[id] else { return .unknownAccount }
        if account.marginMode(symbol) == mode { return .marginModeUnchanged }
        if account.position(symbol).quantity.raw != 0 || account.positions.contains(where: { $0.key.symbol == symbol && $0.value.quantity.raw != 0 }) {
            return .marginModeWithPosition
        }
        if account.open.values.contains(where: { $0.symbol == symbol }) { return .marginModeWithOpenOrders }
        accounts[id]!.marginModes[symbol] = mode
        return nil
    }

    /// Hedge mode on or off: not with open positions or orders.
    public mutating func setHedgeMode(account id: String, _ on: Bool) -> Rejection? {
        guard let account = accounts[id] else { return .unknownAccount }
        if account.hedgeMode == on { return .positionModeUnchanged }
        if !account.open.isEmpty || account.positions.values.contains(where: { $0.quantity.raw != 0 }) { return .positionModeWithPositions }
        accounts[id]!.hedgeMode = on
        return nil
    }

    /// Multi-assets margin and paying fees in the platform token.
    public mutating func setAccountFlag(account id: String, multiAssetsMargin: Bool? = nil, feeBurn: Bool? = nil) {
        guard accounts[id] != nil else { return }
        if let m = multiAssetsMargin {
            accounts[id]!.multiAssetsMargin = m
            events.append((id, .accountConfig(symbol: nil, leverage: nil, multiAssets: m)))
        }
        if let f = feeBurn { accounts[id]!.feeBurn = f }
    }
}
