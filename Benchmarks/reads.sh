#!/usr/bin/env bash
# Read benchmark (issue 17): the list routes and a retrieve against bare
# /healthz on the same release binary, in one run. Every API request does the
# full work of a real one (IP, key and organization rate limits, a monthly
# quota, the request log, usage metering; the bench plan never refuses).
#
#   Benchmarks/reads.sh                         # 3 rounds x 6 s per target, 64 connections
#   ROUNDS=5 DURATION=10s Benchmarks/reads.sh
#   TARGETS="healthz events" Benchmarks/reads.sh
#
# Two servers run side by side on one database each: one with the
# representation cache off (every route, so `customer` is an uncached
# retrieve) and, for `customer_cached`, one with it on. Only one is loaded at
# a time. The targets alternate round by round; each route's median is
# compared with /healthz's, and so is the median of its per-round ratios (a
# round's runs are back to back, so drift in the machine's speed over minutes
# hits them alike). wrk shares this machine's cores with the server: compare
# ratios, not absolute figures across machines. Each route's server CPU time
# per request (user + system, from /proc) is printed too: it moves less than
# req/s when the machine's speed drifts, so it shows a change's effect best.
set -euo pipefail -o noglob
cd "$(dirname "$0")/.."

DURATION=${DURATION:-6s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
TARGETS=${TARGETS:-healthz customers events request_logs customer customer_cached}
BINARY=${BINARY:-.build/release/portico}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -n "${NO_BUILD:-}" ] || swift build -c release --product portico >/dev/null 2>&1

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
source Benchmarks/bench-env.sh

start() { # name, cache entries: starts a sandbox, writes "url key customer_id" to $work/name.target
  local name=$1 entries=$2
  PORTICO_LOGGING_LEVEL=warning PORTICO_SERVER_REPRESENTATION_CACHE_ENTRIES=$entries \
    "$BINARY" sandbox --port 0 --plan bench >"$work/$name.line" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$work/$name.line" ] && break; sleep 0.05; done
  python3 - "$work/$name.line" >"$work/$name.target" <<'PY'
import json, sys, urllib.request
line = json.load(open(sys.argv[1]))
url, key = line["url"], line["organizations"][0]["keys"]["test_secret"]
def call(method, path, body=None):
    request = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))
# 20 customers (each makes a customer.created event), half of them updated (customer.updated with previous_attributes).
ids = []
for n in range(20):
    ids.append(call("POST", "/v1/customers", {"name": f"Customer {n}", "email": f"c{n}@example.com",
                                              "description": "A customer with a longer description, \"quoted\" and ünïcode.",
                                              "metadata": {"tier": "gold", "plan": f"p{n}", "region": "eu-west"}})["id"])
for n in range(0, 20, 2):
    call("PATCH", f"/v1/customers/{ids[n]}", {"metadata": {"tier": "platinum"}})
print(url, key, ids[-1])
PY
}

start uncached 0
read -r url key id <"$work/uncached.target"
cached_url=$url
if [[ " $TARGETS " == *" customer_cached "* ]]; then
  start cached 10000
  read -r cached_url cached_key cached_id <"$work/cached.target"
fi
sleep 1 # the seeding requests' log rows commit, so the request-log list is never empty

args() { # target → wrk_args: its headers and URL
  case $1 in
    healthz) wrk_args=("$url/healthz") ;;
    customers) wrk_args=(-H "Authorization: Bearer $key" "$url/v1/customers?limit=10") ;;
    events) wrk_args=(-H "Authorization: Bearer $key" "$url/v1/events?limit=10") ;;
    request_logs) wrk_args=(-H "Authorization: Bearer $key" "$url/v1/request-logs?limit=10") ;;
    customer) wrk_args=(-H "Authorization: Bearer $key" "$url/v1/customers/$id") ;;
    customer_cached) wrk_args=(-H "Authorization: Bearer $cached_key" "$cached_url/v1/customers/$cached_id") ;;
  esac
}

ticks() { # the CPU time the server serving $1 has used, in clock ticks (user + system)
  local pid=${pids[0]}
  [ "$1" = customer_cached ] && pid=${pids[1]}
  awk '{print $14 + $15}' "/proc/$pid/stat"
}

run() { # target, seconds: appends "rps p99 non2xx cpu_us_per_request" to $work/target.rounds
  args "$1"
  local before after
  before=$(ticks "$1")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency "${wrk_args[@]}" >"$work/out.txt"
  after=$(ticks "$1")
  awk -v cpu=$((after - before)) -v hz="$(getconf CLK_TCK)" '/Requests\/sec/ {rps=$2} $1 == "99%" {p99=$2} /Non-2xx/ {bad=$5} /requests in/ {n=$1}
    END {print rps, p99, bad+0, (n > 0 ? cpu / hz * 1e6 / n : 0)}' "$work/out.txt" >>"$work/$1.rounds"
}

echo "portico reads: $ROUNDS rounds x $DURATION, $CONNECTIONS connections, $THREADS wrk threads, $(nproc) cores"
for target in $TARGETS; do args "$target"; wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${wrk_args[@]}" >/dev/null; done
for _ in $(seq "$ROUNDS"); do
  for target in $TARGETS; do run "$target" "$DURATION"; done
done

python3 - "$work" $TARGETS <<'PY'
import statistics, sys
work, targets = sys.argv[1], sys.argv[2:]
labels = {"healthz": "GET /healthz", "customers": "GET /v1/customers?limit=10", "events": "GET /v1/events?limit=10",
          "request_logs": "GET /v1/request-logs?limit=10", "customer": "GET /v1/customers/{id} (uncached)",
          "customer_cached": "GET /v1/customers/{id} (cached)"}
targets_ = {"customers": 0.4, "events": 0.35, "request_logs": 0.3, "customer": 0.5}
rounds = {}
for target in targets:
    rows = [line.split() for line in open(f"{work}/{target}.rounds")]
    rounds[target] = [float(r[0]) for r in rows]
    rps = rounds[target]
    cpu = statistics.median(float(r[3]) for r in rows)
    print(f"{labels[target]:36} median {statistics.median(rps):8.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r in rps)})"
          f"  p99 {', '.join(r[1] for r in rows)}  non-2xx {sum(int(r[2]) for r in rows)}  server CPU {cpu:.0f} us/request")
if "healthz" in rounds:
    h = rounds["healthz"]
    for target in targets:
        if target == "healthz": continue
        ratio = statistics.median(rounds[target]) / statistics.median(h)
        paired = statistics.median(t / b for b, t in zip(h, rounds[target]))
        goal = f"  (target >= {targets_[target]})" if target in targets_ else ""
        print(f"{labels[target]:36} {ratio:.2f}x /healthz of medians, {paired:.2f}x median of per-round ratios{goal}")
if "customer" in rounds and "customer_cached" in rounds:
    print(f"uncached / cached retrieve: {statistics.median(rounds['customer']) / statistics.median(rounds['customer_cached']):.2f}")
PY
