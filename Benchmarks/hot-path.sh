#!/usr/bin/env bash
# Hot-path benchmark: GET /v1/customers/{id} with a valid test key against
# bare /healthz on the same release binary, in one run.
#
#   Benchmarks/hot-path.sh                # 15 s per target, 64 connections
#   DURATION=30s CONNECTIONS=128 Benchmarks/hot-path.sh
#
# Prints requests/s and p99 for each target and the ratio (target >= 0.8).
# wrk and the server share this machine's cores, so compare ratios, not
# absolute figures across machines.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product portico >/dev/null

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
PORTICO_LOGGING_LEVEL=warning .build/release/portico sandbox --port 0 >"$work/line" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do [ -s "$work/line" ] && break; sleep 0.05; done

read -r url key < <(python3 -c '
import json, sys
line = json.load(open(sys.argv[1]))
print(line["url"], line["organizations"][0]["keys"]["test_secret"])' "$work/line")
id=$(curl -sf "$url/v1/customers" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"name":"Bench","email":"bench@example.com","metadata":{"tier":"gold"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

run() { # name, wrk args...
  local name=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" >/dev/null  # warm-up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$work/$name.txt"
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/$name.txt")
  printf '%-28s %12s req/s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p99" "${non2xx:-0}"
  echo "$rps" >"$work/$name.rps"
}

echo "portico hot path: $DURATION, $CONNECTIONS connections, $THREADS wrk threads, $(nproc) cores"
run healthz "$url/healthz"
run "GET /v1/customers/{id}" -H "Authorization: Bearer $key" "$url/v1/customers/$id"
python3 -c '
import sys
health, customer = (float(open(p).read()) for p in sys.argv[1:3])
print(f"ratio customer/healthz: {customer / health:.2f}  (target >= 0.80)")' "$work/healthz.rps" "$work/GET /v1/customers/{id}.rps"
