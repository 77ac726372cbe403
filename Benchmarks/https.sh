#!/usr/bin/env bash
# HTTPS served by Portico itself against plain HTTP, same binary, one run:
# /healthz with wrk over kept-alive connections (the TLS record layer's cost),
# then with a new connection per request (the handshake's cost, through
# curl's --no-keepalive loop of N requests).
#
#   Benchmarks/https.sh [BINARY]        (default: the newest dist/portico-*)
#   ROUNDS=3 DURATION=10s CONNECTIONS=64 N=500 Benchmarks/https.sh
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-$(ls -t dist/portico-* 2>/dev/null | head -1)}
[ -x "$binary" ] || { echo "no binary: build one with Scripts/release.sh" >&2; exit 1; }
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
N=${N:-500}

work=$(mktemp -d)
trap 'kill $plain $tls 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
export PORTICO_LOGGING_LEVEL=warning PORTICO_RATE_LIMITS_IP_PER_SECOND=0 PORTICO_RATE_LIMITS_IP_PER_MINUTE=0
"$binary" serve --port 18443 --database "$work/plain.sqlite" >/dev/null 2>&1 &
plain=$!
PORTICO_SERVER_TLS_CERTIFICATE="$work/tls.crt" PORTICO_SERVER_TLS_KEY="$work/tls.key" \
  "$binary" serve --port 18444 --database "$work/tls.sqlite" >/dev/null 2>&1 &
tls=$!
until curl -sf -o /dev/null http://127.0.0.1:18443/healthz && curl -skf -o /dev/null https://127.0.0.1:18444/healthz; do sleep 0.05; done

rate() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "$1" | awk '/Requests\/sec/ {print int($2)}'; }
for round in $(seq "$ROUNDS"); do
  echo "round $round: http $(rate http://127.0.0.1:18443/healthz) req/s, https $(rate https://127.0.0.1:18444/healthz) req/s (kept alive)"
done
per_connection() {
  local begin end
  begin=$(date +%s%N)
  for _ in $(seq "$N"); do curl -sk --no-keepalive -o /dev/null "$1"; done
  end=$(date +%s%N)
  echo $(((end - begin) / N / 1000))
}
echo "new connection per request ($N sequential curl runs): http $(per_connection http://127.0.0.1:18443/healthz) µs, https $(per_connection https://127.0.0.1:18444/healthz) µs each"
