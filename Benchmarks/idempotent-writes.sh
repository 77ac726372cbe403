#!/usr/bin/env bash
# POST /v1/customers with a fresh Idempotency-Key on every request, with wrk:
# the cost of idempotency on a write (the claim, the stored response, the
# seal). Takes the binary to measure, so two builds can be compared:
#
#   swift build -c release --product portico
#   Benchmarks/idempotent-writes.sh .build/release/portico          # 3 rounds x 10 s, 32 connections
#   ROUNDS=5 DURATION=20s Benchmarks/idempotent-writes.sh /tmp/old/.build/release/portico
set -euo pipefail
binary=$(realpath "$1")
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
source Benchmarks/bench-env.sh
PORTICO_LOGGING_LEVEL=warning "$binary" sandbox --port 0 --plan bench --database "$work/p.sqlite" >"$work/line" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do [ -s "$work/line" ] && break; sleep 0.05; done
read -r url key < <(python3 -c '
import json, sys
line = json.load(open(sys.argv[1]))
print(line["url"], line["organizations"][0]["keys"]["test_secret"])' "$work/line")

cat >"$work/post.lua" <<LUA
local counter = 0
local thread_id = 0
function setup(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
request = function()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer $key", ["Content-Type"] = "application/json",
                    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", id, counter, math.random(1, 1000000000)) }
  return wrk.format("POST", "/v1/customers", headers, '{"name":"Bench","email":"bench@example.com"}')
end
LUA
for round in $(seq "$ROUNDS"); do
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s "$work/post.lua" "$url" | awk -v r="$round" '/Requests\/sec/ {print "round " r ": " $2 " req/s"} /Non-2xx/ {print "  non-2xx: " $4}'
done
