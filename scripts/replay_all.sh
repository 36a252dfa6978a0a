#!/usr/bin/env bash
# Verifies the book rebuild on every real session in ../shared/fixtures (prints one JSON line per session).
set -euo pipefail
cd "$(dirname "$0")/.."
D=../shared/fixtures/binance_usdm/depth_recordings
C=../shared/fixtures/binance_usdm/cryptofeed_sample
swift build -c release --product mm >/dev/null
MM=.build/release/mm
status=0
for session in "btcusdt_20230404.dat.gz btcusdt_20230405.dat.gz" "btcusdt_20240718.gz btcusdt_20240719.gz" \
               "ethusdt_20240718.gz ethusdt_20240719.gz" "btcusdt_20240808.gz" "ethusdt_20240808.gz"; do
    files=()
    for f in $session; do files+=("$D/hftbacktest_usdm_$f"); done
    "$MM" replay --verify "${files[@]}" || status=$?
done
"$MM" replay --verify "$C/BINANCE_FUTURES.ws.1.0" || status=$?
exit $status
