import MMBinanceWire
import MMCore

/// Instrument filters for the symbols of the shipped and reference recordings, taken from a real Binance
/// `GET /fapi/v1/exchangeInfo` body (serverTime 1626858243909, 2021-07-21), trimmed to the precisions and four
/// filters the engine reads. BTCUSDT's tick was 0.01 then (0.10 later); the finer grid contains every later price.
public enum EmbeddedInstruments {
    /// The exchangeInfo slice, byte for byte as trimmed from the real body.
    public static let exchangeInfoJSON = #"""
{"serverTime":1626858243909,"symbols":[{"symbol":"BTCUSDT","pricePrecision":2,"quantityPrecision":3,"filters":[{"minPrice":"556.72","maxPrice":"1000000","filterType":"PRICE_FILTER","tickSize":"0.01"},{"stepSize":"0.001","filterType":"LOT_SIZE","maxQty":"1000","minQty":"0.001"},{"notional":"5","filterType":"MIN_NOTIONAL"},{"multiplierDown":"0.8500","multiplierUp":"1.1500","multiplierDecimal":"4","filterType":"PERCENT_PRICE"}]},{"symbol":"ETHUSDT","pricePrecision":2,"quantityPrecision":3,"filters":[{"minPrice":"39.86","maxPrice":"100000","filterType":"PRICE_FILTER","tickSize":"0.01"},{"stepSize":"0.001","filterType":"LOT_SIZE","maxQty":"10000","minQty":"0.001"},{"notional":"5","filterType":"MIN_NOTIONAL"},{"multiplierDown":"0.8500","multiplierUp":"1.1500","multiplierDecimal":"4","filterType":"PERCENT_PRICE"}]},{"symbol":"SUSHIUSDT","pricePrecision":4,"quantityPrecision":0,"filters":[{"minPrice":"0.1430","maxPrice":"500","filterType":"PRICE_FILTER","tickSize":"0.0010"},{"stepSize":"1","filterType":"LOT_SIZE","maxQty":"10000000","minQty":"1"},{"notional":"5","filterType":"MIN_NOTIONAL"},{"multiplierDown":"0.8500","multiplierUp":"1.1500","multiplierDecimal":"4","filterType":"PERCENT_PRICE"}]},{"symbol":"CTKUSDT","pricePrecision":5,"quantityPrecision":0,"filters":[{"minPrice":"0.02600","maxPrice":"100","filterType":"PRICE_FILTER","tickSize":"0.00100"},{"stepSize":"1","filterType":"LOT_SIZE","maxQty":"10000000","minQty":"1"},{"notional":"5","filterType":"MIN_NOTIONAL"},{"multiplierDown":"0.8500","multiplierUp":"1.1500","multiplierDecimal":"4","filterType":"PERCENT_PRICE"}]},{"symbol":"AKROUSDT","pricePrecision":5,"quantityPrecision":0,"filters":[{"minPrice":"0.00048","maxPrice":"100","filterType":"PRICE_FILTER","tickSize":"0.00001"},{"stepSize":"1","filterType":"LOT_SIZE","maxQty":"10000000","minQty":"1"},{"notional":"5","filterType":"MIN_NOTIONAL"},{"multiplierDown":"0.8500","multiplierUp":"1.1500","multiplierDecimal":"4","filterType":"PERCENT_PRICE"}]},{"symbol":"KEEPUSDT","pricePrecision":4,"quantityPrecision":0,"filters":[{"minPrice":"0.0040","maxPrice":"100000","filterType":"PRICE_FILTER","tickSize":"0.0001"},{"stepSize":"1","filterType":"LOT_SIZE","maxQty":"1000000","minQty":"1"},{"notional":"5","filterType":"MIN_NOTIONAL"},{"multiplierDown":"0.8500","multiplierUp":"1.1500","multiplierDecimal":"4","filterType":"PERCENT_PRICE"}]}]}
"""#

    /// The instruments of the slice.
    public static let all: [Instrument] = {
        // The slice is a constant checked by tests; failing to read it is a build defect.
        try! ExchangeInfo.instruments(from: Array(exchangeInfoJSON.utf8)).instruments
    }()
}
