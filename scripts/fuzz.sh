#!/usr/bin/env bash
# libFuzzer targets over the engine's parsers: depth/market frames, user data stream events, REST bodies
# (JSON, exchangeInfo), and configuration files. Seeds come from the shipped recording, configs/ and
# ../shared/fixtures. Crashes are written to Fuzz/crashes/<target>/ (turn each into a test).
#
#   scripts/fuzz.sh [RUNS] [TARGET...]      default: 10000000 runs of each of the four targets
#   MAX_SECONDS=60 scripts/fuzz.sh          a time bound per target instead
#   MAX_LEN=4096 scripts/fuzz.sh            smaller inputs (faster on the REST and config targets)
#   ASAN=1 scripts/fuzz.sh                  with AddressSanitizer too (2–5× slower; Swift's own overflow and
#                                           bounds traps are on either way)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10000000}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzDepth FuzzUserStream FuzzREST FuzzConfig); fi
fixtures="${MM_FIXTURES:-../shared/fixtures}"

sanitizers=fuzzer
build=.build
cflags=()
# With ASAN the C targets (the vector depth reader among them) are instrumented too, not only Swift.
if [ -n "${ASAN:-}" ]; then sanitizers=fuzzer,address; build=.build-asan; cflags=(-Xcc -fsanitize=address); fi
(cd Fuzz && swift build -c release --build-path "$build" -Xswiftc -sanitize="$sanitizers" ${cflags[@]+"${cflags[@]}"} >&2)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seed() { # target → corpus directory with seeds
    local dir="$work/$1"
    mkdir -p "$dir"
    case "$1" in
        FuzzDepth)
            python3 - "$dir" <<'PY'
import gzip, sys, os
out = sys.argv[1]
for n, line in enumerate(gzip.open('recordings/btcusdt_20240718.gz', 'rt')):
    if n % 40 == 0: open(os.path.join(out, f'r{n}'), 'w').write(line.split(' ', 1)[1].strip())
    if n > 12000: break
PY
            cp "$fixtures"/binance_usdm/depth_recordings/*snapshot*.json "$dir"/ 2>/dev/null || true
            cp "$fixtures"/binance_usdm/nautilus_trader/crates/adapters/binance/test_data/futures/market_data_json/*.json "$dir"/ 2>/dev/null || true ;;
        FuzzUserStream)
            cp "$fixtures"/binance_usdm/nautilus_trader/crates/adapters/binance/test_data/futures/user_data_json/*.json "$dir"/ 2>/dev/null || true ;;
        FuzzREST)
            cp "$fixtures"/binance_usdm/cryptofeed_sample/fapi_v1_exchangeInfo_20210722.json "$fixtures"/binance_usdm/fapi_error_codes_from_official_docs.json \
               "$fixtures"/binance_usdm/binance_connector_python/usdm_rest_doc_example_responses.json "$dir"/ 2>/dev/null || true ;;
        FuzzConfig)
            cp configs/*.yaml "$dir"/ ;;
    esac
    echo "$dir"
}

status=0
for t in "${targets[@]}"; do
    corpus="$(seed "$t")"
    crashes="Fuzz/crashes/$t"
    mkdir -p "$crashes"
    limit=(-runs="$runs")
    if [ -n "${MAX_SECONDS:-}" ]; then limit=(-max_total_time="$MAX_SECONDS"); fi
    start=$(date +%s)
    set +e
    "Fuzz/$build/release/$t" "$corpus" "${limit[@]}" -max_len="${MAX_LEN:-65536}" -artifact_prefix="$crashes/" -print_final_stats=1 > "$work/$t.log" 2>&1
    rc=$?
    set -e
    execs=$(grep -E 'stat::number_of_executed_units' "$work/$t.log" | awk '{print $2}')
    rate=$(grep -E 'stat::average_exec_per_sec' "$work/$t.log" | awk '{print $2}')
    echo "$t: ${execs:-?} executions in $(( $(date +%s) - start )) s (${rate:-?}/s), exit $rc"
    if [ $rc -ne 0 ]; then
        status=1
        grep -E 'ERROR|==[0-9]+==|Test unit written' "$work/$t.log" | head -20
    fi
done
exit $status
