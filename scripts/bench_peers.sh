#!/usr/bin/env bash
# Our bytes → book path against the peers' on one deterministic Binance depth stream, in one run.
#
#   scripts/bench_peers.sh                      ~1 M messages (seed 7), best of 3 passes per path
#   MESSAGES=200000 PASSES=2 scripts/bench_peers.sh
#
# Generates the stream (scripts/gen_depth_stream.py: hftbacktest's raw recording format, combined-stream
# frames, ~12 levels per diff), installs the peers from PyPI if missing (nautilus_trader, hftbacktest,
# cryptofeed), times each path with the file in memory (scripts/bench_peers.py for the peers,
# Benchmarks/Sources/PeerFile for ours), checks that every path ends on the same best bid and ask, and
# prints ns/message and how many times slower each peer is than ours.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES="${MESSAGES:-1000000}"
SEED="${SEED:-7}"
PASSES="${PASSES:-3}"
WORK="${WORK:-${TMPDIR:-/tmp}/mm-bench-peers}"
mkdir -p "$WORK"
python3 -c "import nautilus_trader, hftbacktest, cryptofeed" 2>/dev/null || pip install --quiet nautilus_trader hftbacktest cryptofeed >&2
# SHAPE: the stream's shape as gen_depth_stream.py options, e.g.
#   SHAPE="--price-decimals 2 --levels 10-15 --deletes 0.23 --absent-deletes 0.05" scripts/bench_peers.sh
SHAPE="${SHAPE:-}"
tag=$(printf '%s' "$SHAPE" | tr -c 'a-zA-Z0-9.-' '_')
file="$WORK/depth_seed${SEED}_${MESSAGES}${tag:+_$tag}.gz"
if [ ! -f "$file" ]; then
    echo "generating $MESSAGES messages (seed $SEED${SHAPE:+, $SHAPE}) → $file" >&2
    # shellcheck disable=SC2086
    python3 scripts/gen_depth_stream.py --seed "$SEED" --messages "$MESSAGES" --out "$file" $SHAPE
fi
(cd Benchmarks && swift build -c release --product PeerFile >&2)
results="$WORK/results.jsonl"
Benchmarks/.build/release/PeerFile "$file" "$PASSES" > "$results"
python3 scripts/bench_peers.py "$file" --passes "$PASSES" >> "$results"
python3 - "$results" "$file" <<'PY'
import json, platform, subprocess, sys
from importlib.metadata import version
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]  # the peers print progress lines too
ours = rows[0]
base = ours["ns_per_message_best"]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
print(f"file: {sys.argv[2]} ({ours['messages']} lines, {ours['diffs']} diffs, {ours['levels_per_diff']:.1f} levels per diff)")
print(f"machine: {cpu}, {cores} cores; python {platform.python_version()}; "
      + ", ".join(f"{p} {version(p)}" for p in ("nautilus_trader", "hftbacktest", "cryptofeed")))
print(f"{'path':<34} {'ns/message':>12} {'× ours':>9}  final book")
print(f"{'swift-market-maker bytes→book':<34} {base:>12.1f} {1:>9.1f}  {ours['final_bid']} / {ours['final_ask']}")
same = True
summary = {"ours_ns_per_message": round(base, 1)}
for r in rows[1:]:
    if "error" in r:
        print(f"{r['path']:<34} {'failed':>12}  {r['error']}")
        same = False
        continue
    ratio = r["ns_per_message"] / base
    book = f"{r.get('final_bid')} / {r.get('final_ask')}"
    def num(x):
        try:
            return float(x)
        except (TypeError, ValueError):
            return x
    if (num(r.get("final_bid")), num(r.get("final_ask"))) != (num(ours["final_bid"]), num(ours["final_ask"])):
        book += "  (differs!)"
        same = False
    print(f"{r['path']:<34} {r['ns_per_message']:>12.1f} {ratio:>9.1f}  {book}")
    summary[r["path"] + "_ns_per_message"] = r["ns_per_message"]
    summary[r["path"] + "_ratio"] = round(ratio, 1)
summary["same_final_book"] = same
print(json.dumps(summary))
sys.exit(0 if same else 1)
PY
