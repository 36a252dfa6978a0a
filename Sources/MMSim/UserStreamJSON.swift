import MMCore

/// User data stream events in Binance's layout (`ORDER_TRADE_UPDATE`, `ACCOUNT_UPDATE`, `listenKeyExpired`).
enum UserStreamJSON {
    static func orderUpdate(_ o: SimOrder, execution: String, fill: SimFill?, instrument: Instrument, nowMillis: Int64) -> String {
        let pd = instrument.priceFractionDigits
        let qd = instrument.quantityFractionDigits
        let lastQty = (fill?.quantity ?? .zero).formatted(minFractionDigits: qd)
        let lastPrice = (fill?.price ?? .zero).formatted(minFractionDigits: pd)
        let fee = (fill?.fee ?? .zero).formatted(minFractionDigits: 8)
        let realized = (fill?.realized ?? .zero).formatted(minFractionDigits: 8)
        // T: when it happened at the venue (the fill, or the order's last change); E: when the event was sent.
        let t = fill?.timeMillis ?? (o.updateTimeMillis > 0 ? o.updateTimeMillis : nowMillis)
        var s = #"{"e":"ORDER_TRADE_UPDATE","T":\#(t),"E":\#(nowMillis),"o":{"s":"\#(o.symbol)","c":"\#(o.clientOrderID)","#
        s += #""S":"\#(o.side)","o":"\#(o.type)","f":"\#(o.timeInForce)","q":"\#(o.quantity.formatted(minFractionDigits: qd))","#
        s += #""p":"\#(o.price.formatted(minFractionDigits: pd))","ap":"\#(o.averagePrice.formatted(minFractionDigits: pd))","sp":"0","#
        s += #""x":"\#(execution)","X":"\#(o.status)","i":\#(o.orderID),"l":"\#(lastQty)","z":"\#(o.executed.formatted(minFractionDigits: qd))","#
        s += #""L":"\#(lastPrice)","N":"USDT","n":"\#(fee)","T":\#(t),"t":\#(fill?.tradeID ?? 0),"b":"0","a":"0","#
        s += #""m":\#(fill?.maker ?? false),"R":\#(o.reduceOnly),"wt":"CONTRACT_PRICE","ot":"\#(o.type)","ps":"BOTH","cp":false,"#
        s += #""rp":"\#(realized)","pP":false,"si":0,"ss":0,"V":"EXPIRE_MAKER","pm":"NONE","gtd":0}}"#
        return s
    }

    static func accountUpdate(_ account: SimAccount, symbol: Symbol, mark: Price?, reason: String, nowMillis: Int64) -> String {
        let p = account.position(symbol)
        let upnl = mark.map { p.unrealized(at: $0) } ?? .zero
        let wallet = account.wallet.formatted(minFractionDigits: 8)
        let t = p.updateTimeMillis > 0 ? p.updateTimeMillis : nowMillis
        var s = #"{"e":"ACCOUNT_UPDATE","T":\#(t),"E":\#(nowMillis),"a":{"m":"\#(reason)","#
        s += #""B":[{"a":"USDT","wb":"\#(wallet)","cw":"\#(wallet)","bc":"0"}],"#
        s += #""P":[{"s":"\#(symbol)","pa":"\#(p.quantity)","ep":"\#(p.entryPrice)","bep":"\#(p.entryPrice)","#
        s += #""cr":"\#(p.realized.formatted(minFractionDigits: 8))","up":"\#(upnl.formatted(minFractionDigits: 8))","mt":"cross","iw":"0","ps":"BOTH"}]}}"#
        return s
    }

    static func listenKeyExpired(_ key: String, nowMillis: Int64) -> String {
        #"{"e":"listenKeyExpired","E":\#(nowMillis),"listenKey":"\#(key)"}"#
    }
}

/// `GET /fapi/v1/income`: realized PnL and commission entries of the account's fills, oldest first.
enum IncomeJSON {
    static func history(_ a: SimAccount, symbol: Symbol?, type: String?, start: Int64?, end: Int64?, limit: Int) -> String {
        var items: [String] = []
        var tranID: Int64 = 9_000_000_000
        for f in a.fills {
            tranID += 2
            guard symbol == nil || f.symbol == symbol, f.timeMillis >= (start ?? .min), f.timeMillis <= (end ?? .max) else { continue }
            let entries: [(String, Notional, Int64)] = [("REALIZED_PNL", f.realized, tranID), ("COMMISSION", -f.fee, tranID + 1)]
            for (kind, amount, id) in entries where (type == nil || type == kind) && !(kind == "REALIZED_PNL" && amount.isZero) {
                items.append(
                    #"{"symbol":"\#(f.symbol)","incomeType":"\#(kind)","income":"\#(amount.formatted(minFractionDigits: 8))","asset":"USDT","#
                        + #""info":"","time":\#(f.timeMillis),"tranId":\#(id),"tradeId":"\#(f.tradeID)"}"#)
                if items.count == limit { return "[" + items.joined(separator: ",") + "]" }
            }
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
