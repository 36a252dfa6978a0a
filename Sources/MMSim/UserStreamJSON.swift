import MMCore
import MMSimCore

/// User data stream events in Binance's layout (`ORDER_TRADE_UPDATE`, `ACCOUNT_UPDATE`, `listenKeyExpired`).
enum UserStreamJSON {
    static func orderUpdate(_ o: SimOrder, execution: ExecutionType, fill: SimFill?, instrument: Instrument, nowMillis: Int64) -> String {
        let pd = instrument.priceFractionDigits
        let qd = instrument.quantityFractionDigits
        let lastQty = (fill?.quantity ?? .zero).formatted(minFractionDigits: qd)
        let lastPrice = (fill?.price ?? .zero).formatted(minFractionDigits: pd)
        let fee = (fill?.fee ?? .zero).formatted(minFractionDigits: 8)
        let realized = (fill?.realized ?? .zero).formatted(minFractionDigits: 8)
        // T: when it happened at the venue (the fill, or the order's last change); E: when the event was sent.
        let t = fill?.timeMillis ?? (o.updateTimeMillis > 0 ? o.updateTimeMillis : nowMillis)
        var s = #"{"e":"ORDER_TRADE_UPDATE","T":\#(t),"E":\#(nowMillis),"o":{"s":"\#(o.symbol)","c":"\#(o.clientOrderID)","#
        s += #""S":"\#(o.side)","o":"\#(o.kind.binance)","f":"\#(o.timeInForce.binance)","q":"\#(o.quantity.formatted(minFractionDigits: qd))","#
        s += #""p":"\#(o.price.formatted(minFractionDigits: pd))","ap":"\#(o.averagePrice.formatted(minFractionDigits: pd))","sp":"0","#
        s += #""x":"\#(execution.rawValue)","X":"\#(o.status.rawValue)","i":\#(o.orderID),"l":"\#(lastQty)","z":"\#(o.executed.formatted(minFractionDigits: qd))","#
        s += #""L":"\#(lastPrice)","N":"\#(fill?.commissionAsset ?? marginAsset(of: o.symbol))","n":"\#(fee)","T":\#(t),"t":\#(fill?.tradeID ?? 0),"b":"0","a":"0","#
        s += #""m":\#(fill?.maker ?? false),"R":\#(o.reduceOnly),"wt":"CONTRACT_PRICE","ot":"\#(o.kind.binance)","ps":"\#(o.positionSide.binance)","cp":false,"#
        s += #""rp":"\#(realized)","pP":false,"si":0,"ss":0,"V":"EXPIRE_MAKER","pm":"NONE","gtd":0,"er":"0"}}"#
        return s
    }

    static func accountUpdate(_ account: SimAccount, symbol: Symbol, mark: Price?, reason: AccountChange, balanceChange: Notional = .zero, nowMillis: Int64) -> String {
        let asset = marginAsset(of: symbol)
        let wallet = account.wallet(asset).formatted(minFractionDigits: 8)
        let legs = account.positionSides.map { ($0, account.position(symbol, $0)) }
        let t = legs.map(\.1.updateTimeMillis).max().flatMap { $0 > 0 ? $0 : nil } ?? nowMillis
        let mt = account.marginMode(symbol) == .cross ? "cross" : "isolated"
        var s = #"{"e":"ACCOUNT_UPDATE","T":\#(t),"E":\#(nowMillis),"a":{"m":"\#(reason.binance)","#
        s += #""B":[{"a":"\#(asset)","wb":"\#(wallet)","cw":"\#(wallet)","bc":"\#(balanceChange.formatted(minFractionDigits: 8))"}],"P":["#
        s += legs.map { side, p in
            let upnl = mark.map { p.unrealized(at: $0) } ?? .zero
            return #"{"s":"\#(symbol)","pa":"\#(p.quantity)","ep":"\#(p.entryPrice)","bep":"\#(p.entryPrice)","#
                + #""cr":"\#(p.realized.formatted(minFractionDigits: 8))","up":"\#(upnl.formatted(minFractionDigits: 8))","mt":"\#(mt)","iw":"0","ps":"\#(side.binance)"}"#
        }.joined(separator: ",")
        return s + "]}}"
    }

    /// `MARGIN_CALL`: positions whose margin is close to their maintenance requirement.
    static func marginCall(_ account: SimAccount, wallet: Notional, positions: [MarginCallPosition], nowMillis: Int64) -> String {
        let rows = positions.map { p in
            let mt = account.marginMode(p.symbol) == .cross ? "CROSSED" : "ISOLATED"
            return #"{"s":"\#(p.symbol)","ps":"\#(p.positionSide.binance)","pa":"\#(p.quantity)","mt":"\#(mt)","iw":"0","#
                + #""mp":"\#(p.markPrice)","up":"\#(p.unrealized.formatted(minFractionDigits: 8))","mm":"\#(p.maintenance.formatted(minFractionDigits: 8))"}"#
        }
        return #"{"e":"MARGIN_CALL","E":\#(nowMillis),"cw":"\#(wallet.formatted(minFractionDigits: 8))","p":[\#(rows.joined(separator: ","))]}"#
    }

    /// `forceOrder` (the market stream): a liquidation order the venue filled.
    static func forceOrder(_ l: Liquidation, instrument: Instrument, nowMillis: Int64) -> String {
        let pd = instrument.priceFractionDigits
        let qd = instrument.quantityFractionDigits
        let q = l.quantity.formatted(minFractionDigits: qd)
        return #"{"e":"forceOrder","E":\#(nowMillis),"o":{"s":"\#(l.symbol)","S":"\#(l.side)","o":"LIMIT","f":"IOC","q":"\#(q)","#
            + #""p":"\#(l.price.formatted(minFractionDigits: pd))","ap":"\#(l.averagePrice.formatted(minFractionDigits: pd))","X":"FILLED","l":"\#(q)","z":"\#(q)","T":\#(l.timeMillis)}}"#
    }

    /// `TRADE_LITE`: the short form of a fill.
    static func tradeLite(_ o: SimOrder, fill f: SimFill, instrument: Instrument, nowMillis: Int64) -> String {
        let pd = instrument.priceFractionDigits
        let qd = instrument.quantityFractionDigits
        return #"{"e":"TRADE_LITE","E":\#(nowMillis),"T":\#(f.timeMillis),"s":"\#(o.symbol)","q":"\#(o.quantity.formatted(minFractionDigits: qd))","p":"\#(o.price.formatted(minFractionDigits: pd))","m":\#(f.maker),"c":"\#(o.clientOrderID)","S":"\#(o.side)","L":"\#(f.price.formatted(minFractionDigits: pd))","l":"\#(f.quantity.formatted(minFractionDigits: qd))","t":\#(f.tradeID),"i":\#(o.orderID)}"#
    }

    /// `ACCOUNT_CONFIG_UPDATE`: a symbol's leverage (`ac`) or the multi-assets mode (`ai`).
    static func accountConfig(symbol: Symbol?, leverage: Int64?, multiAssets: Bool?, nowMillis: Int64) -> String {
        let body = if let symbol, let leverage { #""ac":{"s":"\#(symbol)","l":\#(leverage)}"# } else { #""ai":{"j":\#(multiAssets ?? false)}"# }
        return #"{"e":"ACCOUNT_CONFIG_UPDATE","E":\#(nowMillis),"T":\#(nowMillis),\#(body)}"#
    }

    static func listenKeyExpired(_ key: String, nowMillis: Int64) -> String {
        #"{"e":"listenKeyExpired","E":\#(nowMillis),"listenKey":"\#(key)"}"#
    }
}

/// `GET /fapi/v1/income`: realized PnL and commission entries of the account's fills, oldest first.
enum IncomeJSON {
    static func history(_ a: SimAccount, symbol: Symbol?, type: String?, start: Int64?, end: Int64?, limit: Int) -> String {
        var rows: [(time: Int64, id: Int64, symbol: Symbol, kind: String, amount: Notional, tradeID: String)] = []
        var tranID: Int64 = 9_000_000_000
        for f in a.fills {
            tranID += 2
            rows.append((f.timeMillis, tranID, f.symbol, "REALIZED_PNL", f.realized, "\(f.tradeID)"))
            rows.append((f.timeMillis, tranID + 1, f.symbol, "COMMISSION", -f.fee, "\(f.tradeID)"))
        }
        for (i, p) in a.fundingPayments.enumerated() {
            rows.append((p.timeMillis, 8_000_000_000 + Int64(i), p.symbol, "FUNDING_FEE", p.amount, ""))
        }
        rows.sort { ($0.time, $0.id) < ($1.time, $1.id) }
        var items: [String] = []
        for r in rows where symbol == nil || r.symbol == symbol {
            guard r.time >= (start ?? .min), r.time <= (end ?? .max), type == nil || type == r.kind else { continue }
            if r.kind == "REALIZED_PNL" && r.amount.isZero { continue }
            items.append(
                #"{"symbol":"\#(r.symbol)","incomeType":"\#(r.kind)","income":"\#(r.amount.formatted(minFractionDigits: 8))","asset":"\#(marginAsset(of: r.symbol))","#
                    + #""info":"\#(r.kind == "FUNDING_FEE" ? "FUNDING_FEE" : "")","time":\#(r.time),"tranId":\#(r.id),"tradeId":"\#(r.tradeID)"}"#)
            if items.count == limit { break }
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
