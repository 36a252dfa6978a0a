import MMBook
import MMCore

/// Writes Binance USDⓈ-M market messages in the exchange's own byte layout (the simulated venue's
/// output, and fixtures for tests). Numbers are printed exactly, with at least the given fraction digits
/// (Binance pads prices and quantities to the symbol's precision: `"63943.90"`, `"0.010"`).
public struct MarketEncoder {
    public var priceDigits: Int
    public var quantityDigits: Int

    /// An encoder padding prices and quantities to these fraction digits.
    public init(priceDigits: Int, quantityDigits: Int) {
        self.priceDigits = priceDigits
        self.quantityDigits = quantityDigits
    }

    /// An encoder using an instrument's precisions.
    public init(instrument: Instrument) {
        self.init(priceDigits: instrument.bookGrid.priceFractionDigits, quantityDigits: instrument.bookGrid.quantityFractionDigits)
    }

    /// `{"e":"depthUpdate",…}`, wrapped as `{"stream":…,"data":…}` when `stream` is given.
    public func depthUpdate(_ d: DepthUpdate, stream: String?, into out: inout [UInt8]) {
        open(stream, &out)
        out.append(contentsOf: #"{"e":"depthUpdate","E":"#.utf8)
        int(d.eventTimeMillis, &out)
        out.append(contentsOf: #","T":"#.utf8)
        int(d.transactionTimeMillis, &out)
        out.append(contentsOf: #","s":""#.utf8)
        d.symbol.withBytes { out.append(contentsOf: $0) }
        out.append(contentsOf: #"","U":"#.utf8)
        int(d.firstUpdateID, &out)
        out.append(contentsOf: #","u":"#.utf8)
        int(d.finalUpdateID, &out)
        out.append(contentsOf: #","pu":"#.utf8)
        int(d.prevFinalUpdateID, &out)
        out.append(contentsOf: #","b":"#.utf8)
        levels(d.bids, &out)
        out.append(contentsOf: #","a":"#.utf8)
        levels(d.asks, &out)
        out.append(UInt8(ascii: "}"))
        close(stream, &out)
    }

    /// `{"e":"bookTicker",…}`, wrapped when `stream` is given.
    public func bookTicker(_ t: BookTicker, stream: String?, into out: inout [UInt8]) {
        open(stream, &out)
        out.append(contentsOf: #"{"e":"bookTicker","u":"#.utf8)
        int(t.updateID, &out)
        out.append(contentsOf: #","s":""#.utf8)
        t.symbol.withBytes { out.append(contentsOf: $0) }
        out.append(contentsOf: #"","b":"#.utf8)
        decimal(t.bidPrice.raw, priceDigits, &out)
        out.append(contentsOf: #","B":"#.utf8)
        decimal(t.bidQuantity.raw, quantityDigits, &out)
        out.append(contentsOf: #","a":"#.utf8)
        decimal(t.askPrice.raw, priceDigits, &out)
        out.append(contentsOf: #","A":"#.utf8)
        decimal(t.askQuantity.raw, quantityDigits, &out)
        out.append(contentsOf: #","T":"#.utf8)
        int(t.transactionTimeMillis, &out)
        out.append(contentsOf: #","E":"#.utf8)
        int(t.eventTimeMillis, &out)
        out.append(UInt8(ascii: "}"))
        close(stream, &out)
    }

    /// `{"e":"trade",…}` or `{"e":"aggTrade",…}` (with `a`, `f`, `l` equal to the trade ID).
    public func trade(_ t: Trade, aggregate: Bool, stream: String?, into out: inout [UInt8]) {
        open(stream, &out)
        out.append(contentsOf: aggregate ? #"{"e":"aggTrade","E":"#.utf8 : #"{"e":"trade","E":"#.utf8)
        int(t.eventTimeMillis, &out)
        out.append(contentsOf: #","T":"#.utf8)
        int(t.transactionTimeMillis, &out)
        out.append(contentsOf: #","s":""#.utf8)
        t.symbol.withBytes { out.append(contentsOf: $0) }
        out.append(contentsOf: aggregate ? #"","a":"#.utf8 : #"","t":"#.utf8)
        int(t.tradeID, &out)
        out.append(contentsOf: #","p":"#.utf8)
        decimal(t.price.raw, priceDigits, &out)
        out.append(contentsOf: #","q":"#.utf8)
        decimal(t.quantity.raw, quantityDigits, &out)
        if aggregate {
            // `nq`: the quantity without RPI orders' trades (all of it: the venue has none).
            out.append(contentsOf: #","nq":"#.utf8)
            decimal(t.quantity.raw, quantityDigits, &out)
            out.append(contentsOf: #","f":"#.utf8)
            int(t.tradeID, &out)
            out.append(contentsOf: #","l":"#.utf8)
            int(t.tradeID, &out)
        } else {
            out.append(contentsOf: #","X":"MARKET""#.utf8)
        }
        out.append(contentsOf: t.buyerIsMaker ? #","m":true}"#.utf8 : #","m":false}"#.utf8)
        close(stream, &out)
    }

    /// The `GET /fapi/v1/depth` body.
    public func depthSnapshot(
        lastUpdateID: Int64, eventTimeMillis: Int64, transactionTimeMillis: Int64,
        bids: some Sequence<PriceLevel>, asks: some Sequence<PriceLevel>, into out: inout [UInt8]
    ) {
        out.append(contentsOf: #"{"lastUpdateId":"#.utf8)
        int(lastUpdateID, &out)
        out.append(contentsOf: #","E":"#.utf8)
        int(eventTimeMillis, &out)
        out.append(contentsOf: #","T":"#.utf8)
        int(transactionTimeMillis, &out)
        out.append(contentsOf: #","bids":"#.utf8)
        levels(bids, &out)
        out.append(contentsOf: #","asks":"#.utf8)
        levels(asks, &out)
        out.append(UInt8(ascii: "}"))
    }

    func open(_ stream: String?, _ out: inout [UInt8]) {
        guard let stream else { return }
        out.append(contentsOf: #"{"stream":""#.utf8)
        out.append(contentsOf: stream.utf8)
        out.append(contentsOf: #"","data":"#.utf8)
    }

    func close(_ stream: String?, _ out: inout [UInt8]) {
        if stream != nil { out.append(UInt8(ascii: "}")) }
    }

    func levels(_ list: some Sequence<PriceLevel>, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        var first = true
        for l in list {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "["))
            decimal(l.price.raw, priceDigits, &out)
            out.append(UInt8(ascii: ","))
            decimal(l.quantity.raw, quantityDigits, &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
    }

    func decimal(_ raw: Int64, _ digits: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 1) { buf in
            let n = DecimalCodec.write(raw, minFractionDigits: digits, into: buf)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
        out.append(UInt8(ascii: "\""))
    }

    func int(_ v: Int64, _ out: inout [UInt8]) {
        out.append(contentsOf: String(v).utf8)
    }
}

/// Binance's error body, `{"code":-1121,"msg":"Invalid symbol."}`.
public func binanceErrorBody(code: Int, message: String) -> [UInt8] {
    Array(#"{"code":\#(code),"msg":\#(JSONString.quoted(message))}"#.utf8)
}
