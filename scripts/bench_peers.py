#!/usr/bin/env python3
"""Times the peers' Binance depth → book paths on one recording file (see scripts/bench_peers.sh).

Each path is timed over the whole file already in memory (file reading excluded), best of --passes:

  nautilus_adapter  NautilusTrader's Binance adapter: msgspec decode of the combined-stream frame
                    (BinanceOrderBookMsg), parse_to_order_book_deltas, OrderBook.apply_deltas
  nautilus_book     NautilusTrader's OrderBook.apply_deltas alone, on deltas parsed beforehand
  hftbacktest_rust  hftbacktest's Rust replay (HashMapMarketDepthBacktest.elapse over every event) of
                    the file converted beforehand by hftbacktest.data.utils.binancefutures.convert
                    (parsing excluded, as its users run it): exchange and local books
  hftbacktest_roivec_local  its fastest replay: ROIVectorMarketDepthBacktest over the same events with
                    the exchange flag cleared, so only the local book is kept (parsing excluded)
  cryptofeed        cryptofeed's BinanceFutures.message_handler: yapic JSON with Decimal, update-ID
                    check, Decimal levels into its C order book, the (empty) book callback

Prints one JSON line per path: {"path", "messages", "ns_per_message"}.
"""
import argparse
import asyncio
import gc
import gzip
import json
import sys
import time

import numpy as np


def load(path):
    lines = []
    with gzip.open(path, "rt") as f:
        for line in f:
            ts, payload = line.rstrip("\n").split(" ", 1)
            lines.append((int(ts), payload))
    return lines


def best_of(passes, fn, setup=lambda: None):
    """Best time of `fn(setup())` over the passes, and its last result (the final book, to compare)."""
    times = []
    result = None
    for _ in range(passes):
        state = setup()
        gc.collect()
        gc.disable()
        t = time.perf_counter_ns()
        result = fn(state)
        times.append(time.perf_counter_ns() - t)
        gc.enable()
    return min(times), result


def report(path, messages, nanos, **extra):
    print(json.dumps({"path": path, "messages": messages, "ns_per_message": round(nanos / messages, 1), **extra}), flush=True)


def nautilus(lines, passes):
    import msgspec
    from nautilus_trader.adapters.binance.common.schemas.market import (
        BinanceOrderBookData, BinanceOrderBookDelta, BinanceOrderBookMsg)
    from nautilus_trader.model.book import OrderBook
    from nautilus_trader.model.enums import BookType
    from nautilus_trader.model.identifiers import InstrumentId

    iid = InstrumentId.from_str("BTCUSDT-PERP.BINANCE")
    decoder = msgspec.json.Decoder(BinanceOrderBookMsg)
    frames = [p.encode() for _, p in lines if p.startswith('{"stream"')]
    snap = json.loads(next(p for _, p in lines if p.startswith('{"lastUpdateId"')))
    snapshot = BinanceOrderBookData(
        e="depthUpdate", E=snap["E"], s="BTCUSDT", U=snap["lastUpdateId"], u=snap["lastUpdateId"], T=snap["T"],
        b=[BinanceOrderBookDelta(p, q) for p, q in snap["bids"]], a=[BinanceOrderBookDelta(p, q) for p, q in snap["asks"]],
    ).parse_to_order_book_deltas(iid, 0, snapshot=True)

    def adapter(_):
        book = OrderBook(iid, BookType.L2_MBP)
        book.apply_deltas(snapshot)
        for raw in frames:
            msg = decoder.decode(raw)
            book.apply_deltas(msg.data.parse_to_order_book_deltas(iid, 0))
        return book

    nanos, book = best_of(passes, adapter)
    report("nautilus_adapter", len(frames), nanos, final_bid=str(book.best_bid_price()), final_ask=str(book.best_ask_price()))
    parsed = [decoder.decode(raw).data.parse_to_order_book_deltas(iid, 0) for raw in frames]

    def book_only(_):
        book = OrderBook(iid, BookType.L2_MBP)
        book.apply_deltas(snapshot)
        for deltas in parsed:
            book.apply_deltas(deltas)
        return book

    nanos, book = best_of(passes, book_only)
    report("nautilus_book", len(frames), nanos, final_bid=str(book.best_bid_price()), final_ask=str(book.best_ask_price()))


def hftbacktest(path, passes):
    from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest
    from hftbacktest.data.utils import binancefutures

    data = binancefutures.convert(path, combined_stream=True)
    frames = sum(1 for _ in gzip.open(path, "rt"))

    def setup():
        asset = (BacktestAsset().data([data]).linear_asset(1.0).constant_order_latency(0, 0).risk_adverse_queue_model()
                 .no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0).tick_size(0.1).lot_size(0.001))
        return HashMapMarketDepthBacktest([asset])

    def replay(hbt):
        # Only the replay is timed: building the backtest (copying the events in) is set-up.
        hbt.elapse(10**18)
        depth = hbt.depth(0)
        return (depth.best_bid, depth.best_ask)

    nanos, (bid, ask) = best_of(passes, replay, setup)
    report("hftbacktest_rust", frames, nanos, events=len(data), final_bid=f"{bid:.1f}", final_ask=f"{ask:.1f}")

    # Its fastest replay: the ROI-vector depth (an array over a price range) and the local book only —
    # the events' exchange flag cleared, so no exchange-side book is kept.
    from hftbacktest import EXCH_EVENT, ROIVectorMarketDepthBacktest

    local = data.copy()
    local["ev"] &= ~np.uint64(EXCH_EVENT)
    prices = data["px"][np.isfinite(data["px"]) & (data["px"] > 0)]
    lo, hi = float(prices.min()) - 1, float(prices.max()) + 1

    def setup_roi():
        asset = (BacktestAsset().data([local]).linear_asset(1.0).constant_order_latency(0, 0).risk_adverse_queue_model()
                 .no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0).tick_size(0.1).lot_size(0.001).roi_lb(lo).roi_ub(hi))
        return ROIVectorMarketDepthBacktest([asset])

    nanos, (bid, ask) = best_of(passes, replay, setup_roi)
    report("hftbacktest_roivec_local", frames, nanos, events=len(local), final_bid=f"{bid:.1f}", final_ask=f"{ask:.1f}")


def cryptofeed(lines, passes):
    from decimal import Decimal
    from cryptofeed.exchanges.binance_futures import BinanceFutures
    from cryptofeed.types import OrderBook

    snap = json.loads(next(p for _, p in lines if p.startswith('{"lastUpdateId"')))
    frames = [(ts / 1e9, p) for ts, p in lines if p.startswith('{"stream"')]

    async def noop(*args, **kwargs):
        return None

    def feed():
        # Its real handler, without the network: the symbol map and the snapshot it would have fetched.
        f = object.__new__(BinanceFutures)
        f.requires_authentication = False
        f.max_depth = 0
        f.id = "BINANCE_FUTURES"
        f.exchange_symbol_to_std_symbol = lambda s: "BTC-USDT-PERP"
        f.book_callback = noop
        f.last_update_id = {"BTC-USDT-PERP": snap["lastUpdateId"]}
        f._l2_book = {"BTC-USDT-PERP": OrderBook(f.id, "BTC-USDT-PERP", max_depth=0,
                                                 bids={Decimal(p): Decimal(q) for p, q in snap["bids"]},
                                                 asks={Decimal(p): Decimal(q) for p, q in snap["asks"]})}
        return f

    def run(f):
        async def all_frames():
            for ts, p in frames:
                await f.message_handler(p, None, ts)

        asyncio.run(all_frames())
        book = f._l2_book["BTC-USDT-PERP"].book
        return book.bids.index(0)[0], book.asks.index(0)[0]

    nanos, (bid, ask) = best_of(passes, run, feed)
    report("cryptofeed", len(frames), nanos, final_bid=str(bid), final_ask=str(ask))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--only", default="nautilus,hftbacktest,cryptofeed")
    args = ap.parse_args()
    lines = load(args.file)
    only = args.only.split(",")
    for name, fn in (("nautilus", lambda: nautilus(lines, args.passes)), ("hftbacktest", lambda: hftbacktest(args.file, args.passes)),
                     ("cryptofeed", lambda: cryptofeed(lines, args.passes))):
        if name not in only:
            continue
        try:
            fn()
        except Exception as e:  # a peer that cannot run is reported, not hidden
            print(json.dumps({"path": name, "error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
