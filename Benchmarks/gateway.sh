#!/usr/bin/env bash
# The gateway, side by side in one run: one trivial upstream (Debian's nginx
# returning a fixed JSON body) called directly, through nginx configured as a
# minimal API gateway (bearer key checked with a map, limit_req per key,
# buffered access log: Benchmarks/gateway/nginx.conf), and through Portico's
# gateway with every platform feature on (key authentication, key,
# organization, route and IP limits, monthly quota, request log, usage
# metering, a signed Portico-Identity token per request). wrk alternates the
# three targets round by round; medians of req/s and p99 are compared.
#
#   Benchmarks/gateway.sh                            # 3 rounds x 10 s each, 64 connections
#   ROUNDS=5 DURATION=20s Benchmarks/gateway.sh
#   BINARY=/tmp/other/portico Benchmarks/gateway.sh   # another build (no build step)
#
# Target (issue 16): Portico >= 0.5x nginx-gateway throughput, p99 <= 2x.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}; CONNECTIONS=${CONNECTIONS:-64}; THREADS=${THREADS:-2}; ROUNDS=${ROUNDS:-3}
UPSTREAM_PORT=${UPSTREAM_PORT:-18081}; GATEWAY_PORT=${GATEWAY_PORT:-18082}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -z "${BINARY:-}" ]; then swift build -c release --product portico >/dev/null 2>&1; fi
BINARY=${BINARY:-.build/release/portico}

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; "$NGINX" -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
source Benchmarks/bench-env.sh

# Portico first: the nginx gateway's key is the Portico sandbox's test key, so both check the same bearer.
sed "s/@UPSTREAM_PORT@/$UPSTREAM_PORT/g" Benchmarks/gateway/gateway.json >"$work/gateway.json"
PORTICO_LOGGING_LEVEL=warning "$BINARY" sandbox --port 0 --plan bench --gateway-config "$work/gateway.json" \
  >"$work/line" 2>"$work/log" &
pid=$!
for _ in $(seq 300); do [ -s "$work/line" ] && break; sleep 0.05; done
read -r url key < <(python3 -c '
import json, sys
line = json.load(open(sys.argv[1]))
print(line["url"], line["organizations"][0]["keys"]["test_secret"])' "$work/line")

sed -e "s|@WORK@|$work|g" -e "s/@UPSTREAM_PORT@/$UPSTREAM_PORT/g" -e "s/@GATEWAY_PORT@/$GATEWAY_PORT/g" -e "s/@KEY@/$key/g" \
  Benchmarks/gateway/nginx.conf >"$work/nginx.conf"
"$NGINX" -c "$work/nginx.conf"
sleep 0.3

direct="http://127.0.0.1:$UPSTREAM_PORT/orders/ord_123"
viaNginx="http://127.0.0.1:$GATEWAY_PORT/v1/orders/ord_123"
viaPortico="$url/v1/orders/ord_123"
for target in "$direct" "$viaNginx" "$viaPortico"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$target")
  [ "$status" = 200 ] || { echo "warm-up: $target answered $status" >&2; exit 1; }
done

# One run: "req/s p99_ms".
run() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $key" "$1" | awk '
    /Requests\/sec/ { rps = int($2) }
    /^ +99%/ { v = $2; unit = v; gsub(/[0-9.]/, "", unit); gsub(/[a-z]/, "", v);
               ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v; p99 = ms }
    END { printf "%d %.2f\n", rps, p99 }'
}

results=()
for round in $(seq "$ROUNDS"); do
  d=$(run "$direct"); n=$(run "$viaNginx"); p=$(run "$viaPortico")
  echo "round $round: direct $d | nginx gateway $n | portico gateway $p   (req/s p99_ms)"
  results+=("$d|$n|$p")
done

python3 - "${results[@]}" <<'PY'
import statistics, sys
rows = [[tuple(float(x) for x in part.split()) for part in r.split("|")] for r in sys.argv[1:]]
def med(i, j): return statistics.median(row[i][j] for row in rows)
names = ["direct upstream", "nginx gateway", "portico gateway"]
for i, name in enumerate(names):
    print(f"{name:16s}  {med(i, 0):8.0f} req/s   p99 {med(i, 1):6.2f} ms")
print(f"portico / nginx gateway: throughput {med(2, 0) / med(1, 0):.2f}x (target >= 0.5), "
      f"p99 {med(2, 1) / med(1, 1):.2f}x (target <= 2)")
print(f"per-round throughput ratios: {', '.join(f'{row[2][0] / row[1][0]:.2f}' for row in rows)}")
PY
