#!/usr/bin/env bash
# What memory costs on this machine after the CPU has slept between ticks (scripts/cache_floor.c): the
# median cost of one load after gaps from 0.1 to 250 ms, from a cache line in a page used a moment ago and
# from a line in a page of its own. A quoting loop that ticks every 250 ms pays this for every line of
# code and data its tick touches. Takes about 30 s.
#
#   scripts/cache_floor.sh              pinned to core 0
#   CPU=1 scripts/cache_floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CPU="${CPU:-0}"
command -v cc > /dev/null || { echo "cache_floor.sh: a C compiler (cc) is needed" >&2; exit 2; }
command -v taskset > /dev/null || { echo "cache_floor.sh: taskset (util-linux) is needed to pin the probe" >&2; exit 2; }
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
cc -O2 -o "$bin" scripts/cache_floor.c
taskset -c "$CPU" "$bin"
