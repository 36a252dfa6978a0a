#!/usr/bin/env bash
# Tick → wire with the venue in another process: `mm sim` pinned to one core, `mm run` to the other,
# talking over loopback as they would to Binance. Prints the engine's own latency figures from its run
# summary: tick → gateway (the strategy thread's hand-over), the gateway's work per tick (taking the tick
# to handing its batch's writes to the kernel; in two: the decision, up to the order manager's first
# action, and the send, those actions carried out and written down the channel), the socket write (the
# kernel's send of them, which on loopback also runs the receiving side's TCP work), tick → wire (the
# strategy's tick to its orders written to the socket: all of the above), and the order round trip
# (written → the venue's answer read). `scripts/cache_floor.sh` shows what memory costs after such a gap.
#
#   scripts/tick_to_wire.sh                      60 s, the shipped recording at real time (release build)
#   DURATION=120s SPEED=5 scripts/tick_to_wire.sh
#   INTERVAL_MS=10 scripts/tick_to_wire.sh      ticks every 10 ms instead of the default 250 (quoteIntervalMs)
#   JOURNAL_SYNC=halt scripts/tick_to_wire.sh    the journal synced only at halts (default: batch; or write-ahead)
#   STRATEGY_THREAD=gateway scripts/tick_to_wire.sh   ticks on the gateway's loop (default: own thread)
#   SIM_ARGS=--synthetic scripts/tick_to_wire.sh  a seeded random-walk market instead of the recording
#   ENGINE_CPU=0 VENUE_CPU=1 MM=path/to/mm       cores and binary (default: .build/release/mm, built)
#   KEEP=1 scripts/tick_to_wire.sh               keeps the configuration, logs and summary (path printed)
#   ENGINE_WRAP="perf record -g -o /tmp/engine.perf" scripts/tick_to_wire.sh   the engine under a profiler
#   FLOOR_SENDS=0 scripts/tick_to_wire.sh        skips the machine's floor (below)
#   CPU_LATENCY_US=0 scripts/tick_to_wire.sh     the engine holds the CPU wake-up latency at 0 µs
#                                                (tuning.cpuDmaLatencyUs; needs root)
#
# Last, the floor this machine sets: a plain Python sender on the engine's core writing a batch the size of
# a tick's (four frames, 1,389 bytes, one sendmsg) every 250 ms over loopback TCP to a reader on the
# venue's core, FLOOR_SENDS times (default 40), and the time that one system call takes; then the same
# send back to back. No engine can put a batch on the wire faster than the first here.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-60s}"
SPEED="${SPEED:-1}"
ENGINE_CPU="${ENGINE_CPU:-0}"
VENUE_CPU="${VENUE_CPU:-1}"
JOURNAL_SYNC="${JOURNAL_SYNC:-batch}"
STRATEGY_THREAD="${STRATEGY_THREAD:-own}"
CPU_LATENCY_US="${CPU_LATENCY_US:--1}"
FLOOR_SENDS="${FLOOR_SENDS:-40}"
MM="${MM:-}"
if [ -z "$MM" ]; then
    swift build -c release --product mm >&2
    MM=.build/release/mm
fi
command -v taskset > /dev/null || { echo "tick_to_wire.sh: taskset (util-linux) is needed to pin the processes" >&2; exit 2; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A throwaway account of the simulated venue, passed through the environment only.
MM_SIM_API_KEY=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 64)
MM_SIM_API_SECRET=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 64)
export MM_SIM_API_KEY MM_SIM_API_SECRET
MM_SIM_API_KEY="$MM_SIM_API_KEY" MM_SIM_API_SECRET="$MM_SIM_API_SECRET" \
    taskset -c "$VENUE_CPU" "$MM" sim --port "$port" --speed "$SPEED" ${SIM_ARGS:-} > "$work/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2> /dev/null || true; wait $sim 2> /dev/null || true; if [ -n "${KEEP:-}" ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi' EXIT
for _ in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2> /dev/null && break
    sleep 0.1
done
cat > "$work/config.yaml" <<EOF
venue: binance-testnet
dryRun: false
symbol: BTCUSDT
quoteIntervalMs: ${INTERVAL_MS:-250}
statusIntervalSeconds: 3600
strategy:
  model: fixed
  halfSpreadBps: 0.5
  repriceToleranceTicks: 0
  allowNegativeEdge: true
  thread: $STRATEGY_THREAD
risk:
  netMax: 0.01
journal:
  path: $work/journal.jsonl
  sync: $JOURNAL_SYNC
tuning:
  cpuDmaLatencyUs: $CPU_LATENCY_US
metrics:
  enabled: false
control:
  enabled: false
logging:
  errorFile: ""
binance:
  restUrl: http://127.0.0.1:$port
  streamUrl: ws://127.0.0.1:$port
  wsApiUrl: ws://127.0.0.1:$port/ws-fapi/v1
  userStreamUrl: ws://127.0.0.1:$port
  depthStream: "@depth@0ms"
EOF
BINANCE_API_KEY="$MM_SIM_API_KEY" BINANCE_API_SECRET="$MM_SIM_API_SECRET" \
    taskset -c "$ENGINE_CPU" ${ENGINE_WRAP:-} "$MM" run --config "$work/config.yaml" --live --duration "$DURATION" > "$work/summary.json" 2> "$work/engine.log" || {
    echo "tick_to_wire.sh: mm run failed:" >&2
    tail -20 "$work/engine.log" >&2
    exit 1
}
python3 - "$work/summary.json" "journal sync $JOURNAL_SYNC, strategy thread $STRATEGY_THREAD" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
lat = s["latency"]
orders = s.get("orders", {})
print(f"{sys.argv[2]}; orders sent {orders.get('sent', '?')}, fills {s.get('fills', '?')}")
rows = [
    ("tick → gateway", "tick_to_gateway"),
    ("gateway work per tick", "gateway_work"),
    ("  decision", "gateway_decision"),
    ("  send", "gateway_send"),
    ("socket write (kernel)", "socket_write"),
    ("tick → wire", "tick_to_send"),
    ("order round trip", "order_round_trip"),
]
print(f"{'path':<24} {'p50 µs':>9} {'p99 µs':>9}")
for name, key in rows:
    p50 = lat.get(key + "_p50_us")
    p99 = lat.get(key + "_p99_us")
    if p50 is None:
        continue
    print(f"{name:<24} {p50:>9.1f} {p99:>9.1f}")
print(json.dumps({"latency": lat}))
PY
kill $sim 2> /dev/null || true
wait $sim 2> /dev/null || true
if [ "$FLOOR_SENDS" -gt 0 ]; then
    python3 - "$ENGINE_CPU" "$VENUE_CPU" "$FLOOR_SENDS" <<'PY'
import json, os, socket, sys, time
engine_cpu, venue_cpu, sends = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
reader = os.fork()
if reader == 0:
    os.sched_setaffinity(0, {venue_cpu})
    conn, _ = server.accept()
    while conn.recv(65536):
        pass
    os._exit(0)
os.sched_setaffinity(0, {engine_cpu})
s = socket.create_connection(server.getsockname())
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
batch = [b"a" * 305, b"b" * 305, b"c" * 389, b"d" * 390]
def timed(gap_seconds, count):
    took = []
    for _ in range(count):
        if gap_seconds:
            time.sleep(gap_seconds)
        t0 = time.perf_counter_ns()
        s.sendmsg(batch)
        took.append(time.perf_counter_ns() - t0)
    took.sort()
    return took[len(took) // 2] / 1000, took[min(len(took) - 1, int(len(took) * 0.99))] / 1000
p50, p99 = timed(0.25, sends)
# The same send back to back: what it costs once the path is warm (the difference is the cost of sending
# after 250 ms of not sending: caches and the idle core).
b50, b99 = timed(0, 2000)
s.close()
os.waitpid(reader, 0)
print(f"{'floor: sendmsg, loopback':<24} {p50:>9.1f} {p99:>9.1f}   (a tick's batch every 250 ms, {sends} sends)")
print(f"{'  … back to back':<24} {b50:>9.1f} {b99:>9.1f}   (2000 sends)")
print(json.dumps({"loopback_send_floor": {"p50_us": p50, "p99_us": p99, "sends": sends, "back_to_back_p50_us": b50, "back_to_back_p99_us": b99}}))
PY
fi
