import MMCore

/// Reads instruments from a Binance `GET /fapi/v1/exchangeInfo` body.
public enum ExchangeInfo {
    /// One symbol that could not be turned into an instrument, and why.
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        public var symbol: String
        public var reason: String
        public var description: String { "\(symbol): \(reason)" }
    }

    /// Instruments for every symbol in the body (optionally only `symbols`), plus the symbols refused with
    /// reasons (filters missing or not exact at the 1e-8 scale).
    public static func instruments(
        from body: [UInt8], only symbols: Set<String>? = nil
    ) throws(WireError) -> (instruments: [Instrument], rejected: [Rejection]) {
        let doc = try JSONValue.parse(body)
        guard let list = doc["symbols"]?.arrayValue else { throw .missingField(.symbol) }
        var result: [Instrument] = []
        var rejected: [Rejection] = []
        for entry in list {
            guard let name = entry["symbol"]?.text else { continue }
            if let only = symbols, !only.contains(name) { continue }
            do {
                result.append(try instrument(from: entry, id: InstrumentID(UInt32(result.count))))
            } catch {
                rejected.append(Rejection(symbol: name, reason: error.description))
            }
        }
        return (result, rejected)
    }

    /// One instrument from an exchangeInfo `symbols[]` entry.
    public static func instrument(from entry: JSONValue, id: InstrumentID) throws(InstrumentError) -> Instrument {
        guard let name = entry["symbol"]?.text, let symbol = Symbol(name) else { throw .missing(field: "symbol") }
        var filters: [String: JSONValue] = [:]
        for f in entry["filters"]?.arrayValue ?? [] {
            if let type = f["filterType"]?.text { filters[type] = f }
        }
        guard let price = filters["PRICE_FILTER"] else { throw .missing(field: "PRICE_FILTER") }
        guard let lot = filters["LOT_SIZE"] else { throw .missing(field: "LOT_SIZE") }
        guard let tick = price["tickSize"]?.text else { throw .missing(field: "PRICE_FILTER.tickSize") }
        guard let step = lot["stepSize"]?.text else { throw .missing(field: "LOT_SIZE.stepSize") }
        let minNotional = filters["MIN_NOTIONAL"].flatMap { $0["notional"]?.text ?? $0["minNotional"]?.text } ?? "0"
        let percent = filters["PERCENT_PRICE"]
        return try Instrument(
            id: id, symbol: symbol, tickSize: tick, stepSize: step,
            minPrice: price["minPrice"]?.text ?? "0", maxPrice: price["maxPrice"]?.text ?? "0",
            minQuantity: lot["minQty"]?.text, maxQuantity: lot["maxQty"]?.text ?? "0",
            minNotional: minNotional,
            percentPriceUp: percent?["multiplierUp"]?.text, percentPriceDown: percent?["multiplierDown"]?.text,
            pricePrecision: entry["pricePrecision"]?.int64.map(Int.init),
            quantityPrecision: entry["quantityPrecision"]?.int64.map(Int.init))
    }
}
