#!/usr/bin/env python3
"""Drives the simulated Binance spot venue with CCXT's stock `binance` client, changing nothing but its URLs
(and asking it for spot markets only: the venue lists no futures and no margin pairs).

Also `ccxt.pro.binance`'s `watch_order_book` on the venue's diff depth stream (`/ws`, no `pu`).

Usage: ccxt_binance_spot_check.py PORT API_KEY API_SECRET   (prints one line per step; exits non-zero on failure)
"""
import asyncio
import sys

import ccxt
import ccxt.pro

SYMBOL = "BTC/USDT"


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main() -> int:
    port, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    ex = ccxt.binance({"apiKey": key, "secret": secret, "options": {"fetchCurrencies": False, "fetchMargins": False, "fetchMarkets": {"types": ["spot"]}}})
    base = f"http://127.0.0.1:{port}/api/v3"
    for name in ["public", "private", "v3"]:
        ex.urls["api"][name] = base
    markets = ex.load_markets()
    check(SYMBOL in markets, list(markets))
    m = markets[SYMBOL]
    check(m["limits"]["cost"]["min"] == 5 and m["precision"]["price"] == 0.01 and m["precision"]["amount"] == 0.00001, m)
    print("markets", sorted(markets))
    book = ex.fetch_order_book(SYMBOL, 5)
    check(book["bids"][0][0] < book["asks"][0][0], book)
    print("order book", book["bids"][0], book["asks"][0])
    balance = ex.fetch_balance()
    check(balance["USDT"]["free"] == 10000 and balance["BTC"]["free"] == 1, balance["total"])
    print("balance", balance["total"])
    price = round(book["bids"][0][0] * 0.95, 2)
    order = ex.create_order(SYMBOL, "limit", "buy", 0.01, price)
    check(order["status"] == "open", order)
    fetched = ex.fetch_order(order["id"], SYMBOL)
    check(fetched["status"] == "open" and fetched["amount"] == 0.01, fetched)
    locked = ex.fetch_balance()["USDT"]
    check(abs(locked["used"] - 0.01 * price) < 1e-6, locked)
    print("created", order["id"], "locked", locked["used"])
    check([o["id"] for o in ex.fetch_open_orders(SYMBOL)] == [order["id"]], "open orders")
    canceled = ex.cancel_order(order["id"], SYMBOL)
    check(canceled["status"] == "canceled", canceled)
    check(ex.fetch_balance()["USDT"]["used"] == 0, "released")
    print("canceled", canceled["status"])
    try:
        ex.create_order(SYMBOL, "limit", "buy", 0.00005, price)
        raise AssertionError("a 3 USDT order was accepted")
    except (ccxt.InvalidOrder, ccxt.BadRequest) as e:
        # CCXT maps -1013 to BadRequest.
        check("NOTIONAL" in str(e), e)
        print("below the 5 USDT minimum:", type(e).__name__)
    try:
        ex.create_order(SYMBOL, "limit", "sell", 2, price)
        raise AssertionError("a sell of more than the balance was accepted")
    except ccxt.InsufficientFunds as e:
        print("insufficient balance:", type(e).__name__)
    sold = ex.create_order(SYMBOL, "market", "sell", 0.001)
    check(sold["status"] == "closed" and sold["filled"] == 0.001, sold)
    print("market sell", sold["status"], sold["filled"], sold["average"])
    trades = ex.fetch_my_trades(SYMBOL)
    check(trades and trades[-1]["side"] == "sell" and trades[-1]["fee"]["currency"] == "USDT", trades[-1:])
    print("my trades", len(trades))
    # A market buy sized by what it spends (quoteOrderQty).
    bought = ex.create_market_buy_order_with_cost(SYMBOL, 20)
    spent = ex.fetch_order(bought["id"], SYMBOL)
    check(spent["filled"] > 0 and 0 < spent["cost"] <= 20, spent)
    print("market buy by cost", spent["filled"], spent["cost"])
    try:
        ex.cancel_order("1", SYMBOL)
        raise AssertionError("an unknown order was cancelled")
    except ccxt.OrderNotFound as e:
        print("unknown order:", type(e).__name__)
    asyncio.run(websocket(port))
    print("ccxt binance spot ok")
    return 0


async def websocket(port):
    ex = ccxt.pro.binance({"options": {"fetchCurrencies": False, "fetchMargins": False, "fetchMarkets": {"types": ["spot"]}}})
    for name in ["public", "private", "v3"]:
        ex.urls["api"][name] = f"http://127.0.0.1:{port}/api/v3"
    # Another host name than REST's: the venue upgrades only a connection's first request to WebSocket.
    ex.urls["api"]["ws"]["spot"] = f"ws://localhost:{port}/ws"
    try:
        await ex.load_markets()
        book = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 30)
        check(book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0], "book")
        for _ in range(3):
            book = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 30)
        print("ws order book", book["bids"][0], book["asks"][0], book["nonce"])
    finally:
        await ex.close()


if __name__ == "__main__":
    sys.exit(main())
