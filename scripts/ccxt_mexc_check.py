#!/usr/bin/env python3
"""Drives the simulated MEXC spot venue with CCXT's stock `mexc` client, changing nothing but its URLs.

Usage: ccxt_mexc_check.py PORT API_KEY API_SECRET   (prints one line per step; exits non-zero on failure)
"""
import sys

import ccxt

SYMBOL = "QRL/USDT"


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main() -> int:
    port, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    ex = ccxt.mexc({"apiKey": key, "secret": secret, "options": {"fetchCurrencies": False}})
    base = f"http://127.0.0.1:{port}"
    ex.urls["api"]["spot"] = {"public": base, "private": base}
    ex.urls["api"]["contract"] = {"public": f"{base}/api/v1/contract", "private": f"{base}/api/v1/private"}
    markets = ex.load_markets()
    check(SYMBOL in markets, list(markets))
    m = markets[SYMBOL]
    check(m["limits"]["cost"]["min"] == 5 and m["precision"]["price"] == 0.00001 and m["precision"]["amount"] == 0.01, m)
    print("markets", sorted(markets), "min cost", m["limits"]["cost"]["min"])
    book = ex.fetch_order_book(SYMBOL, 5)
    check(book["bids"][0][0] < book["asks"][0][0], book)
    print("order book", book["bids"][0], book["asks"][0])
    balance = ex.fetch_balance()
    check(balance["USDT"]["free"] == 10000 and balance["QRL"]["free"] == 200000, balance["total"])
    print("balance", balance["total"])
    price = round(book["bids"][0][0] * 0.9, 5)
    order = ex.create_order(SYMBOL, "limit", "buy", 1000, price)
    check(order["id"], order)
    print("created", order["id"])
    fetched = ex.fetch_order(order["id"], SYMBOL)
    check(fetched["status"] == "open" and fetched["amount"] == 1000, fetched)
    locked = ex.fetch_balance()["USDT"]
    check(abs(locked["used"] - 1000 * price) < 1e-9, locked)
    print("fetched", fetched["status"], "locked", locked["used"])
    opened = ex.fetch_open_orders(SYMBOL)
    check([o["id"] for o in opened] == [order["id"]], opened)
    canceled = ex.cancel_order(order["id"], SYMBOL)
    check(canceled["status"] == "canceled", canceled)
    check(ex.fetch_balance()["USDT"]["used"] == 0, "released")
    print("canceled", canceled["status"])
    try:
        ex.create_order(SYMBOL, "limit", "buy", 10, price)
        raise AssertionError("a 0.4 USDT order was accepted")
    except ccxt.InvalidOrder as e:
        print("below the 5 USDT minimum:", type(e).__name__)
    sold = ex.create_order(SYMBOL, "market", "sell", 200)
    print("market sell", sold["id"])
    trades = ex.fetch_my_trades(SYMBOL)
    check(trades and trades[-1]["side"] == "sell" and trades[-1]["fee"]["currency"] == "USDT", trades[-1:])
    print("my trades", len(trades), trades[-1]["price"], trades[-1]["amount"])
    # A market buy sized by what it spends (quoteOrderQty).
    bought = ex.create_market_buy_order_with_cost(SYMBOL, 10)
    spent = ex.fetch_order(bought["id"], SYMBOL)
    check(spent["filled"] > 0 and 0 < spent["cost"] <= 10, spent)
    print("market buy by cost", spent["filled"], spent["cost"])
    try:
        ex.cancel_order("C02__1", SYMBOL)
        raise AssertionError("an unknown order was cancelled")
    except ccxt.BadRequest as e:
        # CCXT maps MEXC's -2011 to BadRequest.
        check("-2011" in str(e), e)
        print("unknown order:", type(e).__name__)
    print("ccxt mexc ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
