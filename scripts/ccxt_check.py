#!/usr/bin/env python3
"""Drives the simulated venue with CCXT's stock `binanceusdm` client (REST) and `ccxt.pro.binanceusdm`
(WebSocket), changing nothing but their URLs.

Usage: ccxt_check.py PORT API_KEY API_SECRET   (prints one line per step; exits non-zero on failure)
"""
import asyncio
import sys

import ccxt
import ccxt.pro

SYMBOL = "BTC/USDT:USDT"


def point(ex, port):
    """Every USDⓈ-M REST and WebSocket URL at the venue on loopback."""
    base = f"http://127.0.0.1:{port}"
    for name in list(ex.urls["api"].keys()):
        if name.startswith("fapi"):
            version = "v3" if "V3" in name else "v2" if "V2" in name else "v1"
            ex.urls["api"][name] = f"{base}/fapi/{version}"
    # Binance serves REST and streams from different hosts, so a client never upgrades a pooled REST
    # connection; naming the venue's one port by another host keeps that so here.
    ws = ex.urls["api"].get("ws")
    if isinstance(ws, dict):
        ws["linear"] = f"ws://localhost:{port}/ws"
        ws["ws-api"]["linear"] = f"ws://localhost:{port}/ws-fapi/v1"
    return ex


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def rest(port, key, secret):
    ex = point(ccxt.binanceusdm({"apiKey": key, "secret": secret, "options": {"fetchCurrencies": False}}), port)
    markets = ex.load_markets()
    check(SYMBOL in markets, markets.keys())
    print("markets", sorted(markets))

    book = ex.fetch_order_book(SYMBOL, 5)
    check(book["bids"][0][0] < book["asks"][0][0], book)
    print("order book", book["bids"][0], book["asks"][0])
    ticker = ex.fetch_ticker(SYMBOL)
    # USDⓈ-M's 24 h ticker has no bid or ask: the last price and the day's numbers.
    check(ticker["last"] and ticker["high"] >= ticker["low"], ticker)
    print("ticker", ticker["last"], ticker["baseVolume"])
    tickers = ex.fetch_tickers([SYMBOL])
    check(SYMBOL in tickers, tickers.keys())
    print("tickers", len(tickers))
    ohlcv = ex.fetch_ohlcv(SYMBOL, "1m", limit=5)
    check(ohlcv and len(ohlcv[0]) == 6 and ohlcv[-1][2] >= ohlcv[-1][3], ohlcv)
    print("ohlcv", len(ohlcv))
    trades = ex.fetch_trades(SYMBOL, limit=10)
    check(trades and trades[0]["price"] > 0, trades[:1])
    print("trades", len(trades))
    funding = ex.fetch_funding_rate(SYMBOL)
    check(funding["fundingRate"] is not None and funding["markPrice"] > 0, funding)
    print("funding rate", funding["fundingRate"])
    rates = ex.fetch_funding_rates([SYMBOL])
    check(SYMBOL in rates, rates.keys())
    history = ex.fetch_funding_rate_history(SYMBOL)
    print("funding rates", len(rates), "history", len(history))

    check(ex.set_leverage(5, SYMBOL)["leverage"] == 5, "leverage")
    print("leverage 5")
    ex.set_margin_mode("isolated", SYMBOL)
    check(ex.fetch_margin_mode(SYMBOL)["marginMode"] == "isolated", "isolated")
    ex.set_margin_mode("cross", SYMBOL)
    print("margin mode isolated and back to cross")

    price = book["bids"][0][0] - 100
    order = ex.create_order(SYMBOL, "limit", "buy", 0.002, price, {"timeInForce": "GTX"})
    check(order["status"] == "open", order)
    print("created", order["id"], order["status"])
    fetched = ex.fetch_order(order["id"], SYMBOL)
    check(fetched["status"] == "open" and fetched["amount"] == 0.002, fetched)
    edited = ex.edit_order(order["id"], SYMBOL, "limit", "buy", 0.003, price - 10)
    check(edited["amount"] == 0.003 and edited["price"] == price - 10, edited)
    print("edited", edited["amount"], edited["price"])
    canceled = ex.cancel_order(order["id"], SYMBOL)
    check(canceled["status"] == "canceled", canceled)
    print("canceled", canceled["status"])

    batch = ex.create_orders([
        {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 0.002, "price": price, "params": {"timeInForce": "GTX"}},
        {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 0.002, "price": price - 1, "params": {"timeInForce": "GTX"}},
    ])
    check(len(batch) == 2 and all(o["status"] == "open" for o in batch), batch)
    check(len(ex.fetch_open_orders(SYMBOL)) == 2, "two open")
    ex.cancel_all_orders(SYMBOL)
    check(ex.fetch_open_orders(SYMBOL) == [], "none open")
    print("batch of 2 placed, all cancelled")

    taken = ex.create_order(SYMBOL, "market", "buy", 0.001)
    print("market order", taken["status"], taken["filled"])
    positions = ex.fetch_positions([SYMBOL])
    contracts = [p["contracts"] for p in positions if p["symbol"] == SYMBOL]
    check(contracts and abs(contracts[0] - 0.001) < 1e-12, positions)
    print("positions", contracts)
    mine = ex.fetch_my_trades(SYMBOL)
    check(mine and mine[-1]["side"] == "buy" and mine[-1]["fee"]["currency"] == "USDT", mine[-1:])
    print("my trades", len(mine))
    closed = ex.fetch_orders(SYMBOL)
    check(any(o["id"] == taken["id"] for o in closed), "order history")
    ex.create_order(SYMBOL, "market", "sell", 0.001, None, {"reduceOnly": True})

    # Hedge mode: two legs, each closed by trading against it.
    ex.set_position_mode(True)
    check(ex.fetch_position_mode()["hedged"] is True, "hedged")
    ex.create_order(SYMBOL, "market", "buy", 0.002, None, {"positionSide": "LONG"})
    ex.create_order(SYMBOL, "market", "sell", 0.001, None, {"positionSide": "SHORT"})
    legs = {p["side"]: p["contracts"] for p in ex.fetch_positions([SYMBOL]) if p["contracts"]}
    check(legs == {"long": 0.002, "short": 0.001}, legs)
    ex.create_order(SYMBOL, "market", "sell", 0.002, None, {"positionSide": "LONG"})
    ex.create_order(SYMBOL, "market", "buy", 0.001, None, {"positionSide": "SHORT"})
    ex.set_position_mode(False)
    print("hedge mode legs", legs)

    balance = ex.fetch_balance()
    check(balance["USDT"]["total"] > 0, balance["USDT"])
    print("balance", balance["USDT"]["total"])
    fees = ex.fetch_trading_fee(SYMBOL)
    check(fees["maker"] is not None, fees)
    print("trading fee", fees["maker"], fees["taker"])


async def websocket(port, key, secret):
    ex = point(ccxt.pro.binanceusdm({"apiKey": key, "secret": secret, "options": {"fetchCurrencies": False}}), port)
    rest_side = point(ccxt.binanceusdm({"apiKey": key, "secret": secret, "options": {"fetchCurrencies": False}}), port)
    try:
        await ex.load_markets()
        rest_side.load_markets()
        book = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 30)
        check(book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0], "book")
        book = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 30)
        print("ws order book", book["bids"][0], book["asks"][0], book["nonce"])

        orders = asyncio.ensure_future(ex.watch_orders(SYMBOL))
        mine = asyncio.ensure_future(ex.watch_my_trades(SYMBOL))
        # The order goes out once the user stream (a listen key over REST, then /private/ws) is connected.
        for _ in range(100):
            private = [c for url, c in ex.clients.items() if "/private/ws?listenKey=" in url]
            if private and private[0].connected.done():
                break
            await asyncio.sleep(0.1)
        check(private, list(ex.clients))
        await asyncio.sleep(0.2)
        placed = rest_side.create_order(SYMBOL, "market", "buy", 0.001)
        seen = await asyncio.wait_for(orders, 30)
        check(any(o["id"] == placed["id"] for o in seen), seen)
        print("ws orders", [(o["id"], o["status"]) for o in seen])
        fills = await asyncio.wait_for(mine, 30)
        check(any(t["order"] == placed["id"] for t in fills), fills)
        print("ws my trades", [(t["order"], t["amount"], t["price"]) for t in fills])
        rest_side.create_order(SYMBOL, "market", "sell", 0.001, None, {"reduceOnly": True})
    finally:
        await ex.close()


def main() -> int:
    port, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    rest(port, key, secret)
    asyncio.run(websocket(port, key, secret))
    print("ccxt ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
