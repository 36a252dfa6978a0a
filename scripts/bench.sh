#!/usr/bin/env bash
# Runs the benchmark suite (release build, separate package) and prints its tables.
# Usage: scripts/bench.sh [extra `swift package benchmark` arguments, e.g. --filter "Depth.*"]
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
swift package --allow-writing-to-package-directory benchmark --format text "$@"
