import MMBinanceWire
import MMCore
import TestSupport
import Testing

@Suite("Decoding the user data stream")
struct UserStreamTests {
    static let nautilus = "binance_usdm/nautilus_trader/crates/adapters/binance/test_data/futures/user_data_json/"
    static let nautilusWS = "binance_usdm/nautilus_trader/tests/integration_tests/adapters/binance/resources/ws_messages/"

    @Test("every order update in the fixtures", arguments: [
        "order_update_new.json", "order_update_trade.json", "order_update_trade_partial.json", "order_update_calculated.json",
        "order_update_adl.json", "order_update_delivery.json", "order_update_insurance.json", "order_update_settlement.json",
    ])
    func orderUpdates(file: String) throws {
        guard case .execution(let r) = try UserStreamDecoder.decode(Fixtures.bytes(Self.nautilus + file)) else {
            Issue.record("not an execution report")
            return
        }
        #expect(!r.symbol.isEmpty && r.venueOrderID.rawValue > 0)
        if r.execution == .trade { #expect(r.lastQuantity.raw > 0) }
    }

    @Test("every futures order update captured by nautilus_trader", arguments: [
        "ws_futures_order_update_adl.json", "ws_futures_order_update_adl_filled.json", "ws_futures_order_update_liquidation.json",
        "ws_futures_order_update_liquidation_zero_qty.json", "ws_futures_order_update_new_limit_if_touched_price_match.json",
        "ws_futures_order_update_new_price_match.json", "ws_futures_order_update_new_reduce_only_qty.json",
        "ws_futures_order_update_new_stop_limit_price_match.json", "ws_futures_order_update_settlement.json",
        "ws_futures_order_update_trade_reduce_only_qty.json",
    ])
    func wsOrderUpdates(file: String) throws {
        guard case .execution = try UserStreamDecoder.decode(Fixtures.bytes(Self.nautilusWS + file)) else {
            Issue.record("not an execution report")
            return
        }
    }

    @Test func tradeFieldsAreExact() throws {
        guard case .execution(let r) = try UserStreamDecoder.decode(Fixtures.bytes(Self.nautilus + "order_update_trade.json")) else {
            Issue.record("not an execution report")
            return
        }
        #expect(r.execution == .trade && r.status == .partiallyFilled && r.side == .buy)
        #expect(r.lastQuantity == Quantity("0.001")! && r.lastPrice == Price("7100.50")!)
        #expect(r.commission == Notional("0.01")! && r.commissionAsset == "USDT" && r.isMaker)
        #expect(r.realizedPnL == Notional("12.34")! && r.tradeID == 12_345_678 && r.clientOrderID == "TEST")
    }

    @Test func accountUpdatesAndOthers() throws {
        guard case .account(let a) = try UserStreamDecoder.decode(Fixtures.bytes(Self.nautilus + "account_update.json")) else {
            Issue.record("not an account update")
            return
        }
        #expect(a.reason == "ORDER" && a.balances.first?.wallet == Notional("122624.12345678")!)
        #expect(a.positions.count == 3 && a.positions[1].quantity == Quantity("20")! && a.positions[2].quantity == Quantity("-10")!)
        if case .account = try UserStreamDecoder.decode(Fixtures.bytes(Self.nautilus + "account_update_bnfcr.json")) {} else {
            Issue.record("bnfcr account update")
        }
        for other in ["algo_update_new.json", "algo_update_canceled.json", "trade_lite.json"] {
            guard case .other = try UserStreamDecoder.decode(Fixtures.bytes(Self.nautilus + other)) else {
                Issue.record("\(other) should be .other")
                continue
            }
        }
        #expect(try UserStreamDecoder.decode(#"{"e":"listenKeyExpired","E":1736996475556,"listenKey":"WsCMN0a4"}"#)
            == .listenKeyExpired(listenKey: "WsCMN0a4", eventTime: UnixNanos(millis: 1_736_996_475_556)))
    }

    @Test func malformedEventsAreErrors() {
        for bad in ["", "[]", #"{"E":1}"#, #"{"e":"ORDER_TRADE_UPDATE","o":{"s":"BTCUSDT","S":"UP","x":"NEW","X":"NEW","i":1}}"#,
            #"{"e":"ORDER_TRADE_UPDATE","o":{"s":"BTCUSDT","S":"BUY","x":"NEW","X":"NEW","i":1,"q":"1e5"}}"#]
        {
            #expect(throws: WireError.self) { try UserStreamDecoder.decode(bad) }
        }
    }
}
