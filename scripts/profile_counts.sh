#!/usr/bin/env bash
# Instructions and mispredicted branches per message on the market-data path, from callgrind: counts are
# repeatable where wall time on a shared VM is not, so changes to the hot path are judged on these first.
#
#   scripts/profile_counts.sh
#   SHAPES=1 scripts/profile_counts.sh    also decode + sequence + apply on each shape of scripts/shape_matrix.sh
#                                         (the streams it generated, in ${TMPDIR:-/tmp}/mm-shape-matrix/bench)
#
# Each figure is the difference between two runs of a harness with more and fewer passes over the same
# data, divided by the messages of the extra passes, so that loading the data is not counted:
# `ProfileMarketData` (parse, apply, both) on the real BTCUSDT recording, and `PeerFile` (decode alone,
# and decode + sequence + apply) on the first 100,000 messages of `scripts/bench_peers.sh`'s stream
# (seed 7). Installs valgrind if missing. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends valgrind
fi
WORK="${WORK:-${TMPDIR:-/tmp}/mm-profile-counts}"
mkdir -p "$WORK"
peers="$WORK/depth_seed7_100000.gz"
[ -f "$peers" ] || python3 scripts/gen_depth_stream.py --seed 7 --messages 100000 --out "$peers"
(cd Benchmarks && swift build -c release --product ProfileMarketData >&2 && swift build -c release --product PeerFile >&2)

# measure LABEL MESSAGES_PER_PASS FEW MANY COMMAND... (the command takes the passes where `@` stands)
measure() {
    local label=$1 per_pass=$2 few=$3 many=$4
    shift 4
    local counts=()
    for passes in "$few" "$many"; do
        local args=()
        for a in "$@"; do args+=("${a/@/$passes}"); done
        valgrind --tool=callgrind --branch-sim=yes --callgrind-out-file=/dev/null "${args[@]}" >/dev/null 2>"$WORK/log"
        counts+=("$(sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$WORK/log" | tr -d ,) $(sed -n 's/.*Mispredicts: *\([0-9,]*\).*/\1/p' "$WORK/log" | tr -d ,)")
    done
    python3 - "$label" "$per_pass" "$few" "$many" "${counts[@]}" <<'PY'
import sys
label, per_pass, few, many = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
(i0, m0), (i1, m1) = (map(int, c.split()) for c in sys.argv[5:7])
n = per_pass * (many - few)
print(f"{label:<44} {(i1 - i0) / n:>9,.0f} instructions {(m1 - m0) / n:>6.1f} mispredicted")
PY
}

cd Benchmarks
# ProfileMarketData prints messages over all passes; one pass tells how many a pass has.
per_pass=$(.build/release/ProfileMarketData parse 1 | sed -n 's/.*messages=\([0-9]*\).*/\1/p')
for mode in parse apply both; do
    measure "real BTCUSDT diffs, $mode" "$per_pass" 3 13 .build/release/ProfileMarketData "$mode" @
done
frames=$(.build/release/PeerFile "$peers" 1 decode | sed -n 's/.*"messages":\([0-9]*\).*/\1/p')
measure "generated stream, decode" "$frames" 1 4 .build/release/PeerFile "$peers" @ decode
measure "generated stream, decode + sequence + apply" "$frames" 1 4 .build/release/PeerFile "$peers" @
if [ -n "${SHAPES:-}" ]; then
    shapes="${SHAPES_DIR:-${TMPDIR:-/tmp}/mm-shape-matrix/bench}"
    [ -d "$shapes" ] || { echo "profile_counts.sh: no shapes in $shapes: run scripts/shape_matrix.sh first" >&2; exit 2; }
    for file in "$shapes"/*.gz; do
        name=$(basename "$file" .gz)
        n=$(.build/release/PeerFile "$file" 1 decode | sed -n 's/.*"messages":\([0-9]*\).*/\1/p')
        measure "shape $name, decode" "$n" 1 3 .build/release/PeerFile "$file" @ decode
        measure "shape $name, decode + sequence + apply" "$n" 1 3 .build/release/PeerFile "$file" @
    done
fi
