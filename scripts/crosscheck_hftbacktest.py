#!/usr/bin/env python3
"""Cross-checks `mm backtest` against hftbacktest on one recorded session.

The same quoting in both: a fixed half spread around the mid (one GTX quote a side, requoted every 250 ms
when its price changes), the same size, position limit, order latency each way and maker/taker fees, on
the same recording. Prints fills, traded volume and value, the position's path (min, max, final, and
each minute) and net PnL side by side.

Usage: scripts/crosscheck_hftbacktest.py [--recording FILE] [--mm PATH] [--half-spread-bps 1.0]
           [--size 0.002] [--net-max 0.01] [--latency-ms 5] [--maker-bps 2] [--taker-bps 5]
(needs `pip install hftbacktest`; builds nothing: give the `mm` binary, default .build/debug/mm)
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from hftbacktest import GTX, LIMIT, BacktestAsset, HashMapMarketDepthBacktest
from hftbacktest.data.utils import binancefutures

TICK, LOT = 0.1, 0.001


def run_mm(args):
    """`mm backtest` with a configuration doing just this quoting; its JSON report and position path."""
    with tempfile.TemporaryDirectory() as out:
        config = os.path.join(out, "crosscheck.yaml")
        with open(config, "w") as f:
            f.write(f"""strategy:
  model: fixed
  baseSize: {args.size}
  halfSpreadBps: {args.half_spread_bps}
  skewBps: 0
  levels: 1
  repriceToleranceTicks: 0
  allowNegativeEdge: true
risk:
  netMax: {args.net_max}
""")
        cmd = [args.mm, "backtest", "--config", config, "--out", out, "--order-latency-ms", str(args.latency_ms),
               "--feed-latency-ms", "0", f"--maker-fee-bps={args.maker_bps}", f"--taker-fee-bps={args.taker_bps}", args.recording]
        result = subprocess.run(cmd, capture_output=True, text=True, check=True)
        report = json.loads(next(l for l in result.stdout.splitlines() if l.startswith("{")))
    return report


def run_hftbacktest(args):
    """hftbacktest's exchange simulation with its risk-averse queue model, the same quoting in Python."""
    data = binancefutures.convert(args.recording, combined_stream=True)
    latency = int(args.latency_ms * 1_000_000)
    asset = (BacktestAsset().data([data]).linear_asset(1.0).constant_order_latency(latency, latency).risk_adverse_queue_model()
             .no_partial_fill_exchange().trading_value_fee_model(args.maker_bps / 1e4, args.taker_bps / 1e4).tick_size(TICK).lot_size(LOT))
    hbt = HashMapMarketDepthBacktest([asset])
    next_id = 1
    live = {}  # side → (order id, price)
    path = []
    start = None
    minute = 0
    lo = hi = 0.0
    mid = 0.0
    while hbt.elapse(250_000_000) == 0:
        hbt.clear_inactive_orders(0)
        depth = hbt.depth(0)
        bb, ba = depth.best_bid, depth.best_ask
        if not (math.isfinite(bb) and math.isfinite(ba)) or bb <= 0 or ba <= bb:
            continue
        now = hbt.current_timestamp
        start = start or now
        mid = (bb + ba) / 2
        position = hbt.position(0)
        lo, hi = min(lo, position), max(hi, position)
        if (now - start) // 60_000_000_000 >= minute:
            path.append(round(position, 3))
            minute += 1
        orders = hbt.orders(0)
        open_ids = set()
        values = orders.values()
        while values.has_next():
            o = values.get()
            if o.status == 1 or o.status == 2:  # new, partially filled
                open_ids.add(o.order_id)
        for side in ("buy", "sell"):
            if side in live and live[side][0] not in open_ids:
                del live[side]
        want = {
            "buy": math.floor(mid * (1 - args.half_spread_bps / 1e4) / TICK) * TICK,
            "sell": math.ceil(mid * (1 + args.half_spread_bps / 1e4) / TICK) * TICK,
        }
        for side, price in want.items():
            price = min(price, ba - TICK) if side == "buy" else max(price, bb + TICK)
            if side in live and abs(live[side][1] - price) < TICK / 2:
                continue
            if side in live:
                hbt.cancel(0, live[side][0], False)
                del live[side]
            room = args.net_max - position if side == "buy" else args.net_max + position
            if room + 1e-12 < args.size:
                continue
            if side == "buy":
                hbt.submit_buy_order(0, next_id, price, args.size, GTX, LIMIT, False)
            else:
                hbt.submit_sell_order(0, next_id, price, args.size, GTX, LIMIT, False)
            live[side] = (next_id, price)
            next_id += 1
    s = hbt.state_values(0)
    hbt.close()
    position = s.position
    path.append(round(position, 3))
    return {
        "fills": int(s.num_trades), "volume": s.trading_volume, "value": s.trading_value, "fees": s.fee,
        "pnl": s.balance + position * mid - s.fee, "final": position, "min": lo, "max": hi, "path": path,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--recording", default=os.path.join(root, "recordings/btcusdt_20240718.gz"))
    ap.add_argument("--mm", default=os.path.join(root, ".build/debug/mm"))
    ap.add_argument("--half-spread-bps", type=float, default=1.0)
    ap.add_argument("--size", type=float, default=0.002)
    ap.add_argument("--net-max", type=float, default=0.01)
    ap.add_argument("--latency-ms", type=float, default=5.0)
    ap.add_argument("--maker-bps", type=float, default=2.0)
    ap.add_argument("--taker-bps", type=float, default=5.0)
    args = ap.parse_args()
    mm = run_mm(args)
    hb = run_hftbacktest(args)
    rows = [
        ("fills", mm["fills"], hb["fills"]),
        ("traded value (quote)", mm["turnover"], f"{hb['value']:.2f}"),
        ("fees (quote)", mm["fees"], f"{hb['fees']:.6f}"),
        ("final position", mm["final_inventory"], f"{hb['final']:.3f}"),
        ("max |position|", mm["max_abs_inventory"], f"{max(abs(hb['min']), abs(hb['max'])):.3f}"),
        ("net PnL (quote)", mm["pnl_net"], f"{hb['pnl']:.6f}"),
    ]
    print(f"{os.path.basename(args.recording)}: half spread {args.half_spread_bps} bps, size {args.size}, netMax {args.net_max}, "
          f"order latency {args.latency_ms} ms each way, maker {args.maker_bps} / taker {args.taker_bps} bps")
    print(f"{'':24}{'mm backtest':>16}{'hftbacktest':>16}")
    for name, a, b in rows:
        print(f"{name:24}{str(a):>16}{str(b):>16}")
    print(f"{'hftbacktest position each minute':32} {hb['path']}")
    print(json.dumps({"mm": {"fills": mm["fills"], "pnl": float(mm["pnl_net"]), "final": float(mm["final_inventory"])},
                      "hftbacktest": {"fills": hb["fills"], "pnl": hb["pnl"], "final": hb["final"]}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
