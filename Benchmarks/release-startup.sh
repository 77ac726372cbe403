#!/usr/bin/env bash
# The release artefact's start time: from exec to the first 200 from /healthz,
# on a fresh database (migrations, first organization, scrypt-hashed owner
# password) and on a restart (the same database again). Medians of RUNS runs.
#
#   Benchmarks/release-startup.sh dist/portico-0.15.0-linux-x86_64
set -euo pipefail
artefact=${1:?usage: Benchmarks/release-startup.sh ARTEFACT}
runs=${RUNS:-10}
directory=$(mktemp -d)
trap 'rm -rf "$directory"' EXIT

# Milliseconds from exec to the first 200, for one start on database $1.
start_once() {
  local port=$((20000 + RANDOM % 20000))
  local begin end pid
  begin=$(date +%s%N)
  "$artefact" serve --port "$port" --database "$1" >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.002; done
  end=$(date +%s%N)
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo $(((end - begin) / 1000000))
}

median() { sort -n | awk '{v[NR]=$1} END {printf "median %d ms (min %d, max %d, %d runs)\n", v[int((NR+1)/2)], v[1], v[NR], NR}'; }

echo "artefact: $artefact, $(stat -c %s "$artefact") bytes; $("$artefact" version)"
printf 'fresh database: '
for i in $(seq "$runs"); do start_once "$directory/fresh-$i.sqlite"; done | median
printf 'restart:        '
for i in $(seq "$runs"); do start_once "$directory/fresh-$i.sqlite"; done | median
