#!/usr/bin/env bash
# Emergency stop: halt a running engine AND cancel every open order straight through the venue's REST API,
# so it works when the engine is hung or dead.
#
#   scripts/emergency_stop.sh [--flatten] [--config FILE] [--symbol SYMBOL]
#
# 1. If MM_CONTROL_TOKEN is set, asks the engine on 127.0.0.1:${MM_CONTROL_PORT:-9101} to halt (which
#    cancels and stops quoting); a dead or hung engine is reported and skipped.
# 2. Runs `mm cancel-all` (or `mm flatten` with --flatten) with BINANCE_API_KEY and BINANCE_API_SECRET
#    (or BINANCE_API_PRIVATE_KEY_FILE) from the environment: cancels every open order of the symbol,
#    closes the position reduce-only when asked, and reads back what is left.
# Prints what it did per step; exits non-zero if any order (or, with --flatten, any position) remains.
set -uo pipefail
cd "$(dirname "$0")/.."

flatten=0
config="configs/config.yaml"
symbol=""
while [ $# -gt 0 ]; do
    case "$1" in
        --flatten) flatten=1 ;;
        --config) config="$2"; shift ;;
        --symbol) symbol="$2"; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "emergency_stop: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

# The engine binary: MM_BIN, else a release or debug build here, else build one.
MM="${MM_BIN:-}"
if [ -z "$MM" ]; then
    for candidate in .build/release/mm .build/debug/mm; do
        if [ -x "$candidate" ]; then MM="$candidate"; break; fi
    done
fi
if [ -z "$MM" ]; then
    echo "emergency_stop: building mm (no binary found)..." >&2
    swift build -c release --product mm >&2 && MM=.build/release/mm
fi

if [ -n "${MM_CONTROL_TOKEN:-}" ]; then
    port="${MM_CONTROL_PORT:-9101}"
    reply=$(curl -s -m 3 -X POST -H "Authorization: Bearer ${MM_CONTROL_TOKEN}" "http://127.0.0.1:${port}/control/halt" 2>/dev/null)
    if [ -n "$reply" ]; then
        echo "engine halt: $reply"
    else
        echo "engine halt: no engine answering on 127.0.0.1:${port} (dead or hung); cancelling through the venue"
    fi
else
    echo "engine halt: skipped (MM_CONTROL_TOKEN not set); cancelling through the venue"
fi

args=(--config "$config")
if [ -n "$symbol" ]; then args+=(--symbol "$symbol"); fi
if [ "$flatten" = 1 ]; then
    "$MM" flatten "${args[@]}"
else
    "$MM" cancel-all "${args[@]}"
fi
status=$?
if [ $status -eq 0 ]; then echo "emergency stop: nothing left open"; else echo "emergency stop: SOMETHING REMAINS (exit $status)" >&2; fi
exit $status
