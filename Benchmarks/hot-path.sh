#!/usr/bin/env bash
# Hot-path benchmark: GET /v1/customers/{id} with a valid test key against
# bare /healthz on the same release binary, in one run. The API request goes
# through everything a real one does: IP, key and organization rate limits, a
# monthly quota, the request log and usage metering (the limits are set high
# enough never to refuse, so every request does the full work).
#
#   Benchmarks/hot-path.sh                      # 3 rounds x 10 s per target, 64 connections
#   ROUNDS=5 DURATION=20s CONNECTIONS=128 Benchmarks/hot-path.sh
#   PORTICO_SERVER_REPRESENTATION_CACHE_ENTRIES=0 Benchmarks/hot-path.sh   # every GET reads SQLite
#
# The two targets alternate round by round; the medians are compared, and so
# are the rounds pairwise (a round's two runs are back to back, so a machine
# whose speed drifts over minutes hits both alike). wrk shares this machine's cores with the
# server: compare ratios, not absolute figures across machines.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product portico >/dev/null 2>&1

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
source Benchmarks/bench-env.sh
PORTICO_LOGGING_LEVEL=warning .build/release/portico sandbox --port 0 --plan bench ${DATABASE:+--database "$DATABASE"} >"$work/line" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do [ -s "$work/line" ] && break; sleep 0.05; done

read -r url key < <(python3 -c '
import json, sys
line = json.load(open(sys.argv[1]))
print(line["url"], line["organizations"][0]["keys"]["test_secret"])' "$work/line")
id=$(curl -sf "$url/v1/customers" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"name":"Bench","email":"bench@example.com","metadata":{"tier":"gold"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

run() { # name, wrk args...: appends "rps p99 non2xx" to $work/name
  local name=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$work/out.txt"
  awk '/Requests\/sec/ {rps=$2} $1 == "99%" {p99=$2} /Non-2xx/ {bad=$5} END {print rps, p99, bad+0}' "$work/out.txt" >>"$work/$name"
}

echo "portico hot path: $ROUNDS rounds x $DURATION, $CONNECTIONS connections, $THREADS wrk threads, $(nproc) cores"
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$url/healthz" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -H "Authorization: Bearer $key" "$url/v1/customers/$id" >/dev/null
for _ in $(seq "$ROUNDS"); do
  run healthz "$url/healthz"
  run customer -H "Authorization: Bearer $key" "$url/v1/customers/$id"
done
python3 - "$work/healthz" "$work/customer" <<'PY'
import statistics, sys
def load(path):
    rows = [line.split() for line in open(path)]
    return [float(r[0]) for r in rows], [r[1] for r in rows], sum(int(r[2]) for r in rows)
results = {}
for label, path in (("GET /healthz", sys.argv[1]), ("GET /v1/customers/{id}", sys.argv[2])):
    rps, p99, bad = load(path)
    results[label] = statistics.median(rps)
    print(f"{label:24} median {statistics.median(rps):9.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r in rps)})  p99 {', '.join(p99)}  non-2xx {bad}")
ratio = results["GET /v1/customers/{id}"] / results["GET /healthz"]
healthz, customer = load(sys.argv[1])[0], load(sys.argv[2])[0]
# Each round's two runs are back to back, so their ratio cancels slow drift in the machine's speed.
paired = statistics.median(c / h for h, c in zip(healthz, customer))
print(f"ratio customer/healthz: {ratio:.2f} (of medians), {paired:.2f} (median of per-round ratios)  (target >= 0.80)")
PY
