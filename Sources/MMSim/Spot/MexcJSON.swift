import MMCore
import MMSimCore

/// MEXC spot v3's answers, in the shapes of its documentation.
enum MexcJSON {
    /// MEXC's order IDs are strings.
    static func orderID(_ id: Int64) -> String { "C02__\(id)" }
    static func orderID(parsing text: String) -> Int64? { Int64(text.hasPrefix("C02__") ? String(text.dropFirst(5)) : text) }

    static func type(_ o: SimOrder) -> String {
        switch (o.kind, o.timeInForce) {
        case (.market, _): "MARKET"
        case (_, .postOnly): "LIMIT_MAKER"
        case (_, .immediateOrCancel): "IMMEDIATE_OR_CANCEL"
        case (_, .fillOrKill): "FILL_OR_KILL"
        default: "LIMIT"
        }
    }

    /// NEW, PARTIALLY_FILLED, FILLED, CANCELED, PARTIALLY_CANCELED (MEXC has no EXPIRED).
    static func status(_ o: SimOrder) -> String {
        switch o.status {
        case .new: "NEW"
        case .partiallyFilled: "PARTIALLY_FILLED"
        case .filled: "FILLED"
        default: o.executed.raw > 0 ? "PARTIALLY_CANCELED" : "CANCELED"
        }
    }

    static func order(_ o: SimOrder, _ i: Instrument, full: Bool) -> String {
        let pd = i.priceFractionDigits
        let qd = i.quantityFractionDigits
        var s = #"{"symbol":"\#(o.symbol)","orderId":"\#(orderID(o.orderID))","orderListId":-1,"clientOrderId":"\#(o.clientOrderID)","#
        s += #""price":"\#(o.price.formatted(minFractionDigits: pd))","origQty":"\#(o.quantity.formatted(minFractionDigits: qd))","#
        s += #""executedQty":"\#(o.executed.formatted(minFractionDigits: qd))","cummulativeQuoteQty":"\#(o.cumQuote.formatted(minFractionDigits: pd))","#
        s += #""status":"\#(status(o))","timeInForce":"","type":"\#(type(o))","side":"\#(o.side)""#
        if full {
            s += #","stopPrice":"","icebergQty":"","time":\#(o.updateTimeMillis),"updateTime":\#(o.updateTimeMillis),"isWorking":true,"origQuoteOrderQty":"0""#
        }
        return s + "}"
    }

    static func placed(_ o: SimOrder, _ i: Instrument) -> String {
        #"{"symbol":"\#(o.symbol)","orderId":"\#(orderID(o.orderID))","orderListId":-1,"price":"\#(o.price.formatted(minFractionDigits: i.priceFractionDigits))","origQty":"\#(o.quantity.formatted(minFractionDigits: i.quantityFractionDigits))","type":"\#(type(o))","side":"\#(o.side)","transactTime":\#(o.updateTimeMillis)}"#
    }

    static func exchangeInfo(_ markets: [(Instrument, SpotPair)], serverTime: Int64) -> String {
        let symbols = markets.map { i, pair in
            #"{"symbol":"\#(i.symbol)","status":"1","baseAsset":"\#(pair.base)","baseAssetPrecision":\#(i.quantityFractionDigits),"quoteAsset":"\#(pair.quote)","quotePrecision":\#(i.priceFractionDigits),"quoteAssetPrecision":\#(i.priceFractionDigits),"baseCommissionPrecision":\#(i.quantityFractionDigits),"quoteCommissionPrecision":\#(i.priceFractionDigits),"orderTypes":["LIMIT","MARKET","LIMIT_MAKER"],"isSpotTradingAllowed":true,"isMarginTradingAllowed":false,"quoteAmountPrecision":"\#(i.minNotional)","baseSizePrecision":"\#(i.minQuantity)","permissions":["SPOT"],"filters":[],"maxQuoteAmount":"2000000","makerCommission":"0","takerCommission":"0.0005","quoteAmountPrecisionMarket":"\#(i.minNotional)","maxQuoteAmountMarket":"100000","fullName":"\#(pair.base)","tradeSideType":1}"#
        }
        return #"{"timezone":"CST","serverTime":\#(serverTime),"rateLimits":[],"exchangeFilters":[],"symbols":[\#(symbols.joined(separator: ","))]}"#
    }
}
