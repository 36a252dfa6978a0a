#!/usr/bin/env python3
"""Drives the simulated venue with Binance's own Python connector (`binance-futures-connector`), changing
nothing but its base URLs: every ordinary REST call a market maker makes, a bad signature, and the
WebSocket client on the routed `/public` and `/market` endpoints.

Usage: connector_check.py PORT API_KEY API_SECRET   (prints one line per call; exits non-zero on failure)
"""
import json
import sys
import threading
import time

from binance.error import ClientError
from binance.um_futures import UMFutures
from binance.websocket.um_futures.websocket_client import UMFuturesWebsocketClient

SYMBOL = "BTCUSDT"
calls = 0


def check(name, result, test=lambda r: True):
    global calls
    calls += 1
    if not test(result):
        raise AssertionError(f"{name}: unexpected answer {json.dumps(result)[:400]}")
    print(f"ok {calls:2d} {name}: {json.dumps(result)[:120]}")
    return result


def rest(port, key, secret):
    base = f"http://127.0.0.1:{port}"
    public = UMFutures(base_url=base)
    client = UMFutures(key=key, secret=secret, base_url=base)

    # Market data.
    check("ping", public.ping(), lambda r: r == {})
    check("time", public.time(), lambda r: r["serverTime"] > 0)
    info = check("exchange_info", public.exchange_info(), lambda r: any(s["symbol"] == SYMBOL for s in r["symbols"]))
    filters = {f["filterType"]: f for f in next(s for s in info["symbols"] if s["symbol"] == SYMBOL)["filters"]}
    tick = float(filters["PRICE_FILTER"]["tickSize"])
    book = check("depth", public.depth(SYMBOL, limit=5), lambda r: float(r["bids"][0][0]) < float(r["asks"][0][0]))
    bid = float(book["bids"][0][0])
    check("trades", public.trades(SYMBOL, limit=5), lambda r: isinstance(r, list))
    check("agg_trades", public.agg_trades(SYMBOL, limit=5), lambda r: isinstance(r, list))
    check("historical_trades", client.historical_trades(SYMBOL, limit=5), lambda r: isinstance(r, list))
    check("klines", public.klines(SYMBOL, "1m", limit=5), lambda r: isinstance(r, list) and all(len(k) == 12 for k in r))
    check("mark_price_klines", public.mark_price_klines(SYMBOL, "1m", limit=5), lambda r: len(r) >= 1 and len(r[0]) == 12)
    check("index_price_klines", public.index_price_klines(SYMBOL, "1m", limit=5), lambda r: len(r) >= 1)
    check("mark_price", public.mark_price(SYMBOL), lambda r: float(r["markPrice"]) > 0 and r["nextFundingTime"] > 0)
    check("funding_rate", public.funding_rate(SYMBOL, limit=5), lambda r: isinstance(r, list))
    check("ticker_24hr_price_change", public.ticker_24hr_price_change(SYMBOL), lambda r: r["symbol"] == SYMBOL)
    check("ticker_price", public.ticker_price(SYMBOL), lambda r: float(r["price"]) > 0)
    check("book_ticker", public.book_ticker(SYMBOL), lambda r: float(r["bidPrice"]) < float(r["askPrice"]))
    check("open_interest", public.open_interest(SYMBOL), lambda r: r["symbol"] == SYMBOL)

    # Account and configuration.
    check("balance", client.balance(), lambda r: any(b["asset"] == "USDT" and float(b["balance"]) > 0 for b in r))
    check("account", client.account(), lambda r: float(r["totalWalletBalance"]) > 0)
    check("get_position_risk", client.get_position_risk(symbol=SYMBOL), lambda r: isinstance(r, list))
    check("get_position_mode", client.get_position_mode(), lambda r: r["dualSidePosition"] is False)
    check("get_multi_asset_mode", client.get_multi_asset_mode(), lambda r: r["multiAssetsMargin"] is False)
    check("change_leverage", client.change_leverage(SYMBOL, 10), lambda r: r["leverage"] == 10)
    check("change_margin_type", client.change_margin_type(SYMBOL, "ISOLATED"), lambda r: r["code"] == 200)
    check("change_margin_type back", client.change_margin_type(SYMBOL, "CROSSED"), lambda r: r["code"] == 200)
    check("commission_rate", client.commission_rate(SYMBOL), lambda r: float(r["makerCommissionRate"]) >= 0)
    check("leverage_brackets", client.leverage_brackets(symbol=SYMBOL), lambda r: r["symbol"] == SYMBOL or isinstance(r, list))
    check("futures_account_configuration", client.futures_account_configuration(), lambda r: r["canTrade"] is True)
    check("symbol_configuration", client.symbol_configuration(symbol=SYMBOL), lambda r: r[0]["leverage"] == 10)
    check("query_user_rate_limit", client.query_user_rate_limit(), lambda r: r[0]["rateLimitType"] == "ORDERS")
    check("get_bnb_burn", client.get_bnb_burn(), lambda r: r["feeBurn"] in (True, False))

    # Orders.
    price = round(round((bid - 200) / tick) * tick, 1)
    params = dict(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTX", quantity=0.002, price=price)
    check("new_order_test", client.new_order_test(**params), lambda r: r["status"] == "NEW")
    order = check("new_order", client.new_order(**params, newClientOrderId="conn-1"), lambda r: r["status"] == "NEW")
    check("query_order", client.query_order(SYMBOL, orderId=order["orderId"]), lambda r: r["status"] == "NEW")
    check("get_open_orders (openOrder)", client.get_open_orders(symbol=SYMBOL, orderId=order["orderId"]), lambda r: r["orderId"] == order["orderId"])
    check("get_orders (openOrders)", client.get_orders(symbol=SYMBOL), lambda r: [o["orderId"] for o in r] == [order["orderId"]])
    modified = check("modify_order", client.modify_order(SYMBOL, "BUY", 0.003, price - tick, orderId=order["orderId"]),
                     lambda r: r["origQty"] == "0.003")
    check("cancel_order", client.cancel_order(SYMBOL, orderId=modified["orderId"]), lambda r: r["status"] == "CANCELED")
    batch = [dict(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTX", quantity="0.002", price=str(price - i * tick))
             for i in range(2)]
    placed = check("new_batch_order", client.new_batch_order(batch), lambda r: len(r) == 2 and all(o["status"] == "NEW" for o in r))
    check("cancel_batch_order", client.cancel_batch_order(SYMBOL, [o["orderId"] for o in placed], None),
          lambda r: all(o["status"] == "CANCELED" for o in r))
    check("new_order again", client.new_order(**params), lambda r: r["status"] == "NEW")
    check("countdown_cancel_order", client.countdown_cancel_order(SYMBOL, 60000), lambda r: r["countdownTime"] == "60000")
    check("cancel_open_orders", client.cancel_open_orders(SYMBOL), lambda r: r["code"] == 200)
    check("countdown_cancel_order off", client.countdown_cancel_order(SYMBOL, 0), lambda r: r["countdownTime"] == "0")
    check("market order", client.new_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity=0.002), lambda r: r["status"] in ("FILLED", "NEW"))
    check("get_account_trades", client.get_account_trades(symbol=SYMBOL), lambda r: len(r) >= 1 and r[-1]["side"] == "BUY")
    check("get_all_orders", client.get_all_orders(symbol=SYMBOL), lambda r: len(r) >= 4)
    check("get_income_history", client.get_income_history(symbol=SYMBOL), lambda r: any(i["incomeType"] == "COMMISSION" for i in r))
    check("close position", client.new_order(symbol=SYMBOL, side="SELL", type="MARKET", quantity=0.002, reduceOnly="true"),
          lambda r: r["status"] in ("FILLED", "NEW"))

    # User data stream keys.
    key_reply = check("new_listen_key", client.new_listen_key(), lambda r: len(r["listenKey"]) == 64)
    check("renew_listen_key", client.renew_listen_key(key_reply["listenKey"]), lambda r: r["listenKey"] == key_reply["listenKey"])
    check("close_listen_key", client.close_listen_key(key_reply["listenKey"]), lambda r: r == {})

    # A bad signature is refused with -1022.
    wrong = UMFutures(key=key, secret=secret + "x", base_url=base)
    try:
        wrong.balance()
        raise AssertionError("a wrong secret was accepted")
    except ClientError as e:
        check("bad signature", {"code": e.error_code, "status": e.status_code}, lambda r: r["code"] == -1022 and r["status"] == 400)


def websocket(port):
    """Book ticker and depth on `/public`, aggregate trades on `/market`, as Binance routes them now."""
    received = {}
    done = threading.Event()

    def on_message(_, text):
        msg = json.loads(text)
        if isinstance(msg, dict) and "e" in msg:
            received[msg["e"]] = received.get(msg["e"], 0) + 1
        if {"bookTicker", "depthUpdate", "aggTrade"} <= set(received):
            done.set()

    public = UMFuturesWebsocketClient(stream_url=f"ws://127.0.0.1:{port}/public", on_message=on_message)
    market = UMFuturesWebsocketClient(stream_url=f"ws://127.0.0.1:{port}/market", on_message=on_message)
    public.book_ticker(symbol=SYMBOL.lower())
    public.diff_book_depth(symbol=SYMBOL.lower(), speed=100)
    market.agg_trade(symbol=SYMBOL.lower())
    ok = done.wait(60)
    public.stop()
    market.stop()
    check("websocket streams", received, lambda r: ok)


def main() -> int:
    port, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    start = time.time()
    rest(port, key, secret)
    websocket(port)
    print(f"connector ok: {calls} calls in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
