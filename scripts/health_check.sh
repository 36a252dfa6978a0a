#!/usr/bin/env bash
# Prints a running engine's /health JSON; exits 0 when healthy, 1 when not, 2 when no engine answers.
#   scripts/health_check.sh [PORT]   (default: 9100, the engine's metrics.port)
set -uo pipefail
port="${1:-${MM_METRICS_PORT:-9100}}"
body=$(curl -s -m 5 -w '\n%{http_code}' "http://127.0.0.1:${port}/health" 2>/dev/null)
code=$(printf '%s' "$body" | tail -n1)
json=$(printf '%s' "$body" | sed '$d')
if [ -z "$json" ] || [ "$code" = "000" ]; then
    echo "health_check: no engine answering on 127.0.0.1:${port}" >&2
    exit 2
fi
echo "$json"
[ "$code" = "200" ]
