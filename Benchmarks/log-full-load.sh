#!/usr/bin/env bash
# Full-load request-log check: 60 s of wrk against GET /v1/customers/{id}
# (limits, logging and metering all on), then a graceful stop, then count.
# Every request the server answered on /v1 (per its own /metrics) must have
# exactly one row in the request-log partitions, and no record may be dropped.
#
#   Benchmarks/log-full-load.sh                  # 60 s, 64 connections
#   DURATION=30s CONNECTIONS=128 Benchmarks/log-full-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-64}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product portico >/dev/null 2>&1

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
source Benchmarks/bench-env.sh
PORTICO_LOGGING_LEVEL=warning .build/release/portico sandbox --port 0 --plan bench --database "$work/portico.sqlite" >"$work/line" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do [ -s "$work/line" ] && break; sleep 0.05; done
read -r url key < <(python3 -c '
import json, sys
line = json.load(open(sys.argv[1]))
print(line["url"], line["organizations"][0]["keys"]["test_secret"])' "$work/line")
id=$(curl -sf "$url/v1/customers" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"name":"Bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

echo "full load: $DURATION, $CONNECTIONS connections, $(nproc) cores"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $key" "$url/v1/customers/$id" | grep -E "requests in|Requests/sec|99%|Non-2xx" || true
curl -sf "$url/metrics" >"$work/metrics"
kill -TERM $pid; wait $pid || true
python3 - "$work/metrics" "$work/portico.sqlite" <<'PY'
import re, sqlite3, sys
served = 0
for line in open(sys.argv[1]):
    m = re.match(r'portico_http_requests_total\{(.*)\} (\d+)', line)
    if m and 'route="/v1/' in m.group(1):
        served += int(m.group(2))
dropped = sum(int(l.split()[-1]) for l in open(sys.argv[1]) if l.startswith("portico_request_log_dropped_total"))
lag = [l.strip() for l in open(sys.argv[1]) if l.startswith("portico_request_log_writer_lag_seconds")]
db = sqlite3.connect(sys.argv[2])
tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'request_logs_[0-9]*'")]
rows = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
usage = db.execute("SELECT coalesce(sum(quantity),0) FROM usage_buckets WHERE metric='requests'").fetchone()[0]
print(f"/v1 requests served (server metrics, before stop): {served}")
print(f"request-log rows after graceful stop:              {rows}  (the /metrics call itself is not /v1)")
print(f"usage 'requests' total:                            {usage}")
print(f"dropped: {dropped}   last batch lag: {lag[0] if lag else 'n/a'}")
print("OK: rows == requests served" if rows == served else f"MISMATCH: {rows - served:+d}")
PY
