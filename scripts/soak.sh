#!/usr/bin/env bash
# Soak: the engine against the simulated venue at accelerated time under random, seeded faults (stream
# closes, diff gaps, stalls, 5xx, 429/-1003 bursts, clock skew, listen-key expiry, delayed and unanswered
# REST requests, WebSocket API outages and unanswered requests, refused cancel-alls, a user stream connected
# but silent, SIGKILL + restart, operator halts (one inside a 429 window), loss halts), with invariants
# checked from the venue's side. The last stdout line is the JSON report; exit 0 when it passed.
#
#   scripts/soak.sh                 3 simulated hours at 20× (about 9 minutes + the release build)
#   scripts/soak.sh --short         1 simulated hour at 30× (about 2.5 minutes)
#   scripts/soak.sh --seed 7 --sim-minutes 600 --speed 25 --out state/soak-7
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mm >&2
exec .build/release/mm soak "$@"
