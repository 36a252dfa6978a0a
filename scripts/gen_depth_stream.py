#!/usr/bin/env python3
"""Deterministic Binance USD-M depth stream for benchmarks.

Writes hftbacktest's raw recording format (gzip, "<local ns> <json>" lines): the combined-stream
envelope around `depthUpdate` diffs with U/u/pu chained, plus one REST snapshot after the first diff,
as a real recording has. The book behind it is a random walk around 60,000 (tick 0.1, step 0.001);
each diff changes 6-18 levels near the touch (about 12 on average), a fifth of them deletions.

    scripts/gen_depth_stream.py --seed 7 --messages 1000000 --out /tmp/depth.gz

The shape of the numbers and messages can be varied the way Binance's vary between symbols and streams
(the tick 0.1 and step 0.001 stay, so every reader's instrument still fits): --price-decimals D prints
prices with D ≥ 1 decimals, trailing zeros kept ("60000.10"); --qty-decimals Q ≥ 3 likewise for sizes;
--levels A-B draws each diff's level count from A..B; --deletes F is the share of changes that delete,
and --absent-deletes F the share that delete a level the book does not hold; --envelope bare drops the
combined-stream wrapper.
"""
import argparse
import gzip
import json
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--price-decimals", type=int, default=1)
    ap.add_argument("--qty-decimals", type=int, default=3)
    ap.add_argument("--levels", default="6-18")
    ap.add_argument("--deletes", type=float, default=0.2)
    ap.add_argument("--absent-deletes", type=float, default=0.0)
    ap.add_argument("--envelope", choices=("combined", "bare"), default="combined")
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.levels.split("-"))
    price_pad = "0" * max(0, args.price_decimals - 1)
    qty_pad = "0" * max(0, args.qty_decimals - 3)
    rng = random.Random(args.seed)

    mid = 600_000  # in ticks of 0.1
    bids, asks = {}, {}
    for k in range(1, 200):
        bids[mid - k] = rng.randint(1, 5000)
        asks[mid + k] = rng.randint(1, 5000)
    update_id = 5_000_000_000
    ts = 1_700_000_000_000_000_000
    event_ms = ts // 1_000_000

    def px(t):
        return f"{t // 10}.{t % 10}{price_pad}"

    def qty(lots):
        return f"{lots // 1000}.{lots % 1000:03d}{qty_pad}"

    def snapshot_line():
        return json.dumps({
            "lastUpdateId": update_id, "E": event_ms, "T": event_ms,
            "bids": [[px(p), qty(q)] for p, q in sorted(bids.items(), reverse=True)[:1000]],
            "asks": [[px(p), qty(q)] for p, q in sorted(asks.items())[:1000]],
        }, separators=(",", ":"))

    with gzip.open(args.out, "wt", compresslevel=1) as out:
        prev_u = update_id
        for n in range(args.messages):
            ts += rng.randint(50_000, 3_000_000)
            event_ms = ts // 1_000_000
            b, a = {}, {}
            # The touch moves now and then; levels it crosses go.
            if rng.random() < 0.05:
                mid += rng.choice((-1, 1))
                for p in [p for p in bids if p >= mid]:
                    del bids[p]
                    b[p] = 0
                for p in [p for p in asks if p <= mid]:
                    del asks[p]
                    a[p] = 0
            for _ in range(rng.randint(lo, hi)):
                side_bid = rng.random() < 0.5
                k = min(int(rng.expovariate(1 / 8)) + 1, 400)
                p = mid - k if side_bid else mid + k
                book, changes = (bids, b) if side_bid else (asks, a)
                if args.absent_deletes > 0 and rng.random() < args.absent_deletes:
                    # A deletion of a level the book does not hold (Binance sends these).
                    while p in book:
                        p = p - 1 if side_bid else p + 1
                    changes[p] = 0
                elif p in book and rng.random() < args.deletes:
                    del book[p]
                    changes[p] = 0
                else:
                    book[p] = rng.randint(1, 5000)
                    changes[p] = book[p]
            first = prev_u + 1
            last = first + rng.randint(0, 4)
            diff = {
                "e": "depthUpdate", "E": event_ms, "T": event_ms - 1, "s": "BTCUSDT", "U": first, "u": last, "pu": prev_u,
                "b": [[px(p), qty(q)] for p, q in sorted(b.items(), reverse=True)],
                "a": [[px(p), qty(q)] for p, q in sorted(a.items())],
            }
            prev_u = last
            body = {"stream": "btcusdt@depth@0ms", "data": diff} if args.envelope == "combined" else diff
            out.write(f"{ts} " + json.dumps(body, separators=(",", ":")) + "\n")
            if n == 0:
                update_id = last
                out.write(f"{ts + 1} " + snapshot_line() + "\n")


if __name__ == "__main__":
    main()
