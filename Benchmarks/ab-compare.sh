#!/usr/bin/env bash
# A/B of two release binaries on one route, interleaved: both serve at once
# (one sandbox each) and wrk alternates between them round by round, so the
# drift of a shared machine (±20% over minutes here) hits both alike. Reports
# each side's median and the median of the per-round ratios B/A.
#
#   Benchmarks/ab-compare.sh /tmp/old/.build/release/portico .build/release/portico            # GET /healthz
#   ROUTE=customer ROUNDS=8 Benchmarks/ab-compare.sh A B                                        # GET /v1/customers/{id}
#   ROUTE=events Benchmarks/ab-compare.sh A B          # a list: customers, events or request_logs (20 customers made first)
set -euo pipefail
a=$(realpath "$1"); b=$(realpath "$2")
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}; ROUNDS=${ROUNDS:-6}; CONNECTIONS=${CONNECTIONS:-64}; ROUTE=${ROUTE:-healthz}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
source Benchmarks/bench-env.sh
# Both sandboxes are children of this shell (not of a subshell: a sandbox stops when its parent exits).
for side in a b; do
  binary=$a; [ "$side" = b ] && binary=$b
  PORTICO_LOGGING_LEVEL=warning "$binary" sandbox --port 0 --plan bench --database "$work/$side.sqlite" >"$work/$side.line" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/$side.line" ] && break; sleep 0.05; done
done
target() {  # side -> "url path key"
  python3 - "$work/$1.line" "$ROUTE" <<'PY'
import json, sys, urllib.request
line = json.load(open(sys.argv[1])); url = line["url"]; key = line["organizations"][0]["keys"]["test_secret"]
def create():
    request = urllib.request.Request(url + "/v1/customers", data=b'{"name":"Bench","metadata":{"tier":"gold"}}', method="POST",
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))["id"]
route = sys.argv[2]
path = {"healthz": "/healthz", "customers": "/v1/customers?limit=10", "events": "/v1/events?limit=10",
        "request_logs": "/v1/request-logs?limit=10"}.get(route)
if route == "customer":
    path = "/v1/customers/" + create()
elif route != "healthz":
    for _ in range(20): create()  # a full page of customers, their events and log rows
print(url, path, key)
PY
}
read -r url_a path_a key_a < <(target a)
read -r url_b path_b key_b < <(target b)
run() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Authorization: Bearer $3" "$1$2" | awk '/Requests\/sec/ {print int($2)}'; }
ra=(); rb=()
for round in $(seq "$ROUNDS"); do
  ra+=("$(run "$url_a" "$path_a" "$key_a")"); rb+=("$(run "$url_b" "$path_b" "$key_b")")
  echo "round $round: A ${ra[-1]}  B ${rb[-1]}"
done
python3 - "${ra[*]}" "${rb[*]}" <<'PY'
import statistics, sys
a = [int(x) for x in sys.argv[1].split()]; b = [int(x) for x in sys.argv[2].split()]
print(f"A median {statistics.median(a)} req/s, B median {statistics.median(b)} req/s, "
      f"median per-round B/A {statistics.median([y / x for x, y in zip(a, b)]):.3f}")
PY
