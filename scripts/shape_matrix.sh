#!/usr/bin/env bash
# Our bytes → book path (Benchmarks/Sources/PeerFile: decode + sequence + apply, best of PASSES) on
# generated streams of several shapes, in one run: ns per message and per level for each, and the
# slowest over the fastest.
#
#   scripts/shape_matrix.sh                 100,000 messages a shape (seed 7), best of 3
#   MESSAGES=200000 PASSES=5 scripts/shape_matrix.sh
#   scripts/shape_matrix.sh --bench         also the benchmark harness on each shape: p50/p99 per message
#                                           and malloc counts (Benchmarks/, release build)
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES="${MESSAGES:-100000}"
SEED="${SEED:-7}"
PASSES="${PASSES:-3}"
WORK="${WORK:-${TMPDIR:-/tmp}/mm-shape-matrix}"
mkdir -p "$WORK"
(cd Benchmarks && swift build -c release --product PeerFile >&2)
shapes=(
    "p1|1-decimal prices, ~10 levels, combined|--levels 6-18"
    "p2|2-decimal prices (60000.10), ~10 levels, combined|--price-decimals 2 --levels 6-18"
    "p8q8|8-decimal prices and sizes, ~10 levels, combined|--price-decimals 8 --qty-decimals 8 --levels 6-18"
    "p2-del|2 decimals, ~10.6 levels, 23 % deletions + 5 % absent, combined|--price-decimals 2 --levels 10-15 --deletes 0.23 --absent-deletes 0.05"
    "p2-bare|2 decimals, ~10 levels, bare envelope|--price-decimals 2 --levels 6-18 --envelope bare"
    "p2-12|2 decimals, ~12 levels, 28 % deletions + 5 % absent, combined|--price-decimals 2 --levels 12-17 --deletes 0.28 --absent-deletes 0.05"
    "l1|1-level diffs|--levels 1-1"
    "l28|45-55 changes (~28 levels) per diff|--levels 45-55"
)
bench="$WORK/bench"
rm -rf "$bench"
mkdir -p "$bench"
results="$WORK/results.jsonl"
: > "$results"
for entry in "${shapes[@]}"; do
    key="${entry%%|*}"
    rest="${entry#*|}"
    name="${rest%%|*}"
    opts="${rest#*|}"
    tag=$(printf '%s' "$opts" | tr -c 'a-zA-Z0-9.-' '_')
    file="$WORK/depth_seed${SEED}_${MESSAGES}_${tag}.gz"
    # shellcheck disable=SC2086
    [ -f "$file" ] || python3 scripts/gen_depth_stream.py --seed "$SEED" --messages "$MESSAGES" --out "$file" $opts
    ln -sf "$file" "$bench/$key.gz"
    line=$(Benchmarks/.build/release/PeerFile "$file" "$PASSES")
    printf '{"shape":"%s",%s\n' "$name" "${line#\{}" >> "$results"
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
# Shapes compare at the same level count: those of 8 to 16 levels per diff against the best of them.
twelve = [r for r in rows if 8 <= r["levels_per_diff"] <= 16]
best = min(r["ns_per_message_best"] for r in twelve)
print(f"{'shape':<62} {'ns/msg':>8} {'levels':>7} {'ns/level':>9} {'× best (8-16 levels)':>21}")
for r in rows:
    ns = r["ns_per_message_best"]
    lv = r["levels_per_diff"]
    ratio = f"{ns / best:.2f}" if r in twelve else "-"
    print(f"{r['shape']:<62} {ns:>8.1f} {lv:>7.1f} {ns / lv:>9.1f} {ratio:>21}")
print(json.dumps({"twelve_level_worst_over_best": round(max(r["ns_per_message_best"] for r in twelve) / best, 2)}))
PY
if [ "${1:-}" = "--bench" ]; then
    (cd Benchmarks && MM_BENCH_SHAPES="$bench" swift package --disable-sandbox benchmark --filter "Bytes → book, shape.*" --format markdown --no-progress) \
        | grep -E "^### |Malloc|wall clock"
fi
