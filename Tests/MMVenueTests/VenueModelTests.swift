import MMCore
import MMVenue
import Testing

@Suite("Venue-neutral model")
struct VenueModelTests {
    @Test func unifiedSymbols() {
        #expect(UnifiedSymbol("QRL/USDT") == UnifiedSymbol(base: "QRL", quote: "USDT"))
        #expect(UnifiedSymbol("BTC/USDT:USDT")?.settle == "USDT")
        #expect(UnifiedSymbol("BTC/USDT:USDT")?.description == "BTC/USDT:USDT")
        for bad in ["BTCUSDT", "BTC/", "/USDT", "btc/usdt", "BTC/USDT:", "A/B:C:D", "BTC-USDT"] { #expect(UnifiedSymbol(bad) == nil, "\(bad)") }
    }

    @Test func marketSpecsAndSkips() throws {
        // MEXC's documented exchangeInfo example (TOMO3LUSDT): quotePrecision 3, baseAssetPrecision 2, 5 USDT minimum.
        let mexc = try MarketSpec.make(
            venue: .mexc, type: .spot, venueSymbol: "TOMO3LUSDT", base: "TOMO3L", quote: "USDT", tickSize: "0.001", stepSize: "0.01",
            minQuantity: "0.01", minNotional: "5", status: .halted).get()
        #expect(mexc.unified.description == "TOMO3L/USDT" && mexc.instrument.minNotional == Notional(units: 5) && mexc.status == .halted)
        let perp = try MarketSpec.make(
            venue: .binanceUSDM, type: .linearPerpetual, venueSymbol: "BTCUSDT", base: "BTC", quote: "USDT", settle: "USDT",
            tickSize: "0.10", stepSize: "0.001", minNotional: "100").get()
        #expect(perp.unified.description == "BTC/USDT:USDT" && perp.contractSize == Quantity(units: 1))
        // Finer than the engine's 8 decimals, or no grid at all: skipped with the reason, not a crash.
        let fine = MarketSpec.make(venue: .mexc, type: .spot, venueSymbol: "PEPEUSDT", base: "PEPE", quote: "USDT", tickSize: "0.0000000001", stepSize: "1")
        #expect(fine == .failure(MarketSpec.Skip(venueSymbol: "PEPEUSDT", reason: "tickSize 0.0000000001 is finer than 1e-8")))
        let zero = MarketSpec.make(venue: .mexc, type: .spot, venueSymbol: "XUSDT", base: "X", quote: "USDT", tickSize: "0", stepSize: "1")
        #expect((try? zero.get()) == nil)
        #expect(MarketSpec.make(venue: .okx, type: .spot, venueSymbol: "BTC-USDT", base: "BTC", quote: "USDT", tickSize: "0.1", stepSize: "0.00000001")
            .map(\.instrument.symbol.description) == .success("BTCUSDT"))
    }

    @Test func venueOrderReferencesOfEveryForm() {
        // Binance's integers, MEXC's prefixed strings, OKX's digit strings, Bybit's UUIDs.
        for id in ["8886774", "C02__443776347957968896", "1321003749386327552", "fd4300ae-7847-404e-b947-b46980a4d140"] {
            #expect(VenueOrderRef(id)?.description == id)
        }
        #expect(VenueOrderRef(8_886_774).description == "8886774")
        #expect(VenueOrderRef(String(repeating: "9", count: 41)) == nil)
        #expect(VenueOrderRef("a\"b") == nil && VenueOrderRef("") == nil && VenueOrderRef("a b") == nil)
        #expect(VenueOrderRef("123") == VenueOrderRef(123))
    }

    @Test func clientOrderIDsPerVenue() {
        let usdm = ClientOrderIDScheme.of(.binanceUSDM)
        #expect(usdm.accepts("mmq-1.2:3/4_5") && !usdm.accepts(String(repeating: "a", count: 37)))
        #expect(!ClientOrderIDScheme.of(.binanceSpot).accepts("a.b") && ClientOrderIDScheme.of(.binanceSpot).accepts("a-b_c"))
        #expect(!ClientOrderIDScheme.of(.okx).accepts("a-b") && ClientOrderIDScheme.of(.okx).accepts("abc123"))
        for venue in VenueID.allCases {
            let scheme = ClientOrderIDScheme.of(venue)
            let id = scheme.make(prefix: "mm-rebalance_qrl", sequence: 123_456_789_012)
            #expect(scheme.accepts(id), "\(venue): \(id)")
            #expect(id.hasSuffix(String(123_456_789_012, radix: 36)), "the sequence survives the cut")
        }
    }

    @Test func orderStatusesNormalized() {
        #expect(VenueOrderStatus(venue: .mexc, "PARTIALLY_CANCELED")?.status == .canceled)
        #expect(VenueOrderStatus(venue: .mexc, "EXPIRED") == nil, "MEXC has no EXPIRED")
        #expect(VenueOrderStatus(venue: .binanceSpot, "EXPIRED")?.status == .expired)
        #expect(VenueOrderStatus(venue: .bybit, "PartiallyFilledCanceled")?.status == .canceled)
        #expect(VenueOrderStatus(venue: .okx, "live")?.isOpen == true)
        #expect(VenueOrderStatus(venue: .okx, "partially_filled")?.venueStatus == "partially_filled")
    }

    @Test func errorsClassifiedByTheVenuesCodes() {
        func kind(_ v: VenueID, _ status: Int, _ code: Int?, _ msg: String = "", retryAfter: Int64? = nil) -> VenueErrorKind {
            VenueFailure(venue: v, httpStatus: status, code: code, message: msg, retryAfterSeconds: retryAfter).kind
        }
        #expect(kind(.binanceSpot, 429, -1003, retryAfter: 7) == .rateLimited(retryAfterMillis: 7000))
        #expect(kind(.binanceUSDM, 400, -1021) == .clockSkew)
        #expect(kind(.binanceSpot, 400, -2010, "Account has insufficient balance for requested action.") == .insufficientFunds)
        #expect(kind(.binanceSpot, 400, -1013, "Filter failure: NOTIONAL") == .belowMinNotional)
        #expect(kind(.binanceUSDM, 400, -4164) == .belowMinNotional)
        #expect(kind(.binanceUSDM, 400, -2011) == .unknownOrder)
        #expect(kind(.binanceUSDM, 503, -1007) == .unknownOutcome)
        #expect(kind(.binanceUSDM, 400, -4014) == .invalidOrder && kind(.binanceSpot, 400, -1102) == .invalidOrder)
        #expect(kind(.binanceUSDM, 401, -2015) == .auth)
        // MEXC's documented codes.
        #expect(kind(.mexc, 400, 10101, "Insufficient balance") == .insufficientFunds)
        #expect(kind(.mexc, 400, 30002, "The minimum transaction volume cannot be less than :") == .belowMinNotional)
        #expect(kind(.mexc, 400, 700003, "Timestamp for this request is outside of the recvWindow") == .clockSkew)
        #expect(kind(.mexc, 400, 700002, "Signature for this request is not valid") == .auth)
        #expect(kind(.mexc, 400, 30016, "trading disabled") == .unavailable)
        #expect(kind(.mexc, 429, 429, "Too Many Requests") == .rateLimited(retryAfterMillis: nil))
        #expect(kind(.mexc, 502, nil) == .unknownOutcome && kind(.bybit, 0, nil) == .network)
    }

    @Test func oneRetryPolicy() {
        let policy = RetryPolicy()
        #expect(policy.decide(after: 1, .network, nature: .read) == .retry(afterMillis: 1000))
        #expect(policy.decide(after: 2, .unavailable, nature: .cancel) == .retry(afterMillis: 2000))
        #expect(policy.decide(after: 3, .network, nature: .read) == .giveUp, "three tries in all")
        // A placement whose outcome is unknown is looked up by its client ID, never resent.
        #expect(policy.decide(after: 1, .unknownOutcome, nature: .placement) == .resolveByClientID)
        #expect(policy.decide(after: 3, .unknownOutcome, nature: .placement) == .resolveByClientID)
        #expect(policy.decide(after: 1, .network, nature: .placement) == .retry(afterMillis: 1000), "never sent: safe to send")
        // Rate limits: the venue's Retry-After, else at least 5 s.
        #expect(policy.decide(after: 1, .rateLimited(retryAfterMillis: 12_000), nature: .read) == .retry(afterMillis: 12_000))
        #expect(policy.decide(after: 1, .rateLimited(retryAfterMillis: nil), nature: .placement) == .retry(afterMillis: 5000))
        #expect(policy.decide(after: 1, .clockSkew, nature: .placement) == .resyncClockThenRetry)
        for final in [VenueErrorKind.auth, .insufficientFunds, .invalidOrder, .belowMinNotional, .unknownOrder, .other] {
            #expect(policy.decide(after: 1, final, nature: .read) == .giveUp, "\(final)")
        }
        // Without the floor, two refusals wait 1 s and 2 s, then the third try goes.
        let plain = RetryPolicy(rateLimitFloorMillis: 0)
        #expect(plain.decide(after: 1, .rateLimited(retryAfterMillis: nil), nature: .placement) == .retry(afterMillis: 1000))
        #expect(plain.decide(after: 2, .rateLimited(retryAfterMillis: nil), nature: .placement) == .retry(afterMillis: 2000))
    }
}

@Suite("Market sync differences")
struct MarketDiffTests {
    func spec(_ symbol: String, tick: String = "0.00001", minNotional: String = "5", status: MarketStatus = .trading) -> MarketSpec {
        try! MarketSpec.make(
            venue: .mexc, type: .spot, venueSymbol: symbol, base: String(symbol.dropLast(4)), quote: "USDT", tickSize: tick, stepSize: "0.01",
            minNotional: minNotional, status: status
        ).get()
    }

    @Test func addedUpdatedDelistedAndSkipped() {
        let skip = MarketSpec.Skip(venueSymbol: "PEPEUSDT", reason: "tickSize 0.0000000001 is finer than 1e-8")
        let first = MarketDiff.between(stored: [], listed: [spec("QRLUSDT"), spec("MXUSDT")], skipped: [skip])
        #expect(first.added.map(\.venueSymbol) == ["MXUSDT", "QRLUSDT"] && first.skipped == [skip])
        // The same again, with the skip recorded: nothing to report.
        #expect(MarketDiff.between(stored: first.added, listed: [spec("QRLUSDT"), spec("MXUSDT")], skipped: [skip], skippedBefore: [skip]).isEmpty)
        // A new minimum, a halt, a market gone.
        let next = MarketDiff.between(
            stored: first.added, listed: [spec("QRLUSDT", minNotional: "1", status: .halted)], skipped: [skip], skippedBefore: [skip])
        #expect(next.added.isEmpty && next.skipped.isEmpty)
        #expect(next.updated.map(\.changes) == [["minNotional: 5 → 1", "status: trading → halted"]])
        #expect(next.delisted.map(\.venueSymbol) == ["MXUSDT"] && next.delisted[0].status == .delisted)
        // Stored as delisted already: not reported again.
        #expect(MarketDiff.between(stored: [spec("QRLUSDT", minNotional: "1", status: .halted)] + next.delisted, listed: [spec("QRLUSDT", minNotional: "1", status: .halted)], skipped: []).isEmpty)
    }
}
