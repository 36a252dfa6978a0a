#!/usr/bin/env python3
"""Drives the simulated venue with CCXT's stock `binanceusdm` client, changing nothing but its URLs.

Usage: ccxt_check.py PORT API_KEY API_SECRET   (prints one line per step; exits non-zero on failure)
"""
import sys

import ccxt


def main() -> int:
    port, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    ex = ccxt.binanceusdm({"apiKey": key, "secret": secret, "options": {"fetchCurrencies": False}})
    base = f"http://127.0.0.1:{port}"
    for name in list(ex.urls["api"].keys()):
        if name.startswith("fapi"):
            version = "v3" if "V3" in name else "v2" if "V2" in name else "v1"
            ex.urls["api"][name] = f"{base}/fapi/{version}"
    markets = ex.load_markets()
    symbol = "BTC/USDT:USDT"
    assert symbol in markets, markets.keys()
    print("markets", sorted(markets))
    book = ex.fetch_order_book(symbol, 5)
    assert book["bids"][0][0] < book["asks"][0][0]
    print("order book", book["bids"][0], book["asks"][0])
    price = book["bids"][0][0] - 100
    order = ex.create_order(symbol, "limit", "buy", 0.002, price, {"timeInForce": "GTX"})
    assert order["status"] == "open", order
    print("created", order["id"], order["status"])
    fetched = ex.fetch_order(order["id"], symbol)
    assert fetched["status"] == "open" and fetched["amount"] == 0.002, fetched
    print("fetched", fetched["status"])
    canceled = ex.cancel_order(order["id"], symbol)
    assert canceled["status"] == "canceled", canceled
    print("canceled", canceled["status"])
    taken = ex.create_order(symbol, "market", "buy", 0.001)
    print("market order", taken["status"], taken["filled"])
    positions = ex.fetch_positions([symbol])
    contracts = [p["contracts"] for p in positions if p["symbol"] == symbol]
    assert contracts and abs(contracts[0] - 0.001) < 1e-12, positions
    print("positions", contracts)
    balance = ex.fetch_balance()
    assert balance["USDT"]["total"] > 0, balance["USDT"]
    print("balance", balance["USDT"]["total"])
    print("ccxt ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
