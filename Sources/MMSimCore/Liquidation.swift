import MMCore

extension SimExchange {
    /// Maintenance margin of `position` at `mark`.
    func maintenance(_ position: SimPosition, mark: Price) -> Notional {
        let notional = position.notional(at: mark)
        return Notional(raw: Int64(Int128(notional.raw) * Int128(maintenanceMarginRate.raw) / Int128(FixedPointScale.unit)))
    }

    /// Checks every account's margin in every asset at `marks`. Below the margin-call share of the
    /// maintenance margin the account is warned once (until it recovers); at or below the maintenance
    /// margin its open orders in that asset are cancelled and its positions closed at the mark, taker fee
    /// charged, and a negative balance left over is cleared by the insurance fund.
    public mutating func checkMargins(marks: [Symbol: Price], nowMillis: Int64) {
        for id in accounts.keys.sorted() {
            for asset in accounts[id]!.wallets.keys.sorted() {
                let account = accounts[id]!
                let held = account.positions(in: asset)
                guard !held.isEmpty else {
                    accounts[id]!.marginCalled.remove(asset)
                    continue
                }
                var equity = Int128(account.wallet(asset).raw)
                var required = Int128(0)
                var rows: [MarginCallPosition] = []
                var priced = true
                for (key, p) in held {
                    guard let mark = marks[key.symbol], mark.raw > 0 else {
                        priced = false
                        break
                    }
                    let m = maintenance(p, mark: mark)
                    let u = p.unrealized(at: mark)
                    equity += Int128(u.raw)
                    required += Int128(m.raw)
                    rows.append(MarginCallPosition(symbol: key.symbol, positionSide: key.side, quantity: p.quantity, markPrice: mark, unrealized: u, maintenance: m))
                }
                guard priced, required > 0 else { continue }
                if equity <= required {
                    liquidate(id, asset: asset, held: held, marks: marks, nowMillis: nowMillis)
                    accounts[id]!.marginCalled.remove(asset)
                } else if equity * Int128(marginCallRatio.raw) <= required * Int128(FixedPointScale.unit) {
                    if !accounts[id]!.marginCalled.contains(asset) {
                        accounts[id]!.marginCalled.insert(asset)
                        events.append((id, .marginCall(asset: asset, crossWallet: account.wallet(asset), positions: rows)))
                    }
                } else {
                    accounts[id]!.marginCalled.remove(asset)
                }
            }
        }
    }

    private mutating func liquidate(_ id: String, asset: String, held: [(key: PositionKey, position: SimPosition)], marks: [Symbol: Price], nowMillis: Int64) {
        for symbol in Set(held.map(\.key.symbol)).sorted() { cancelAll(account: id, symbol: symbol, nowMillis: nowMillis) }
        var account = accounts[id]!
        for (key, p) in held {
            let mark = marks[key.symbol]!
            nextOrderID += 1
            let side: Side = p.quantity.raw > 0 ? .sell : .buy
            var order = SimOrder(
                orderID: nextOrderID, clientOrderID: "autoclose-\(nowMillis)\(nextOrderID)", symbol: key.symbol, side: side, kind: .liquidation,
                timeInForce: .immediateOrCancel, price: mark, quantity: Quantity(raw: Int64(p.quantity.raw.magnitude)),
                executed: .zero, status: .new, reduceOnly: true, positionSide: key.side, updateTimeMillis: nowMillis)
            events.append((id, .order(order, execution: .new, fill: nil)))
            fill(id, &account, &order, quantity: order.quantity, price: mark, maker: false, nowMillis: nowMillis)
            account.closed[order.orderID] = order
            liquidations.append(Liquidation(symbol: key.symbol, side: side, price: mark, averagePrice: mark, quantity: order.quantity, timeMillis: nowMillis))
        }
        if account.wallet(asset).raw < 0 {
            let cleared = Notional.zero - account.wallet(asset)
            account.wallets[asset] = .zero
            events.append((id, .account(symbol: held[0].key.symbol, reason: .insuranceClear, balanceChange: cleared)))
        }
        accounts[id] = account
    }
}
