#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite (issue 22): Debian's
# `postgresql` package, a fresh data directory, loopback only, trust
# authentication, no fsync (nothing in it outlives the run).
#
#   eval "$(Scripts/test-postgres.sh start)"   # exports PORTICO_TEST_POSTGRES_URL
#   swift test                                   # the contract suite runs on both engines
#   Scripts/test-postgres.sh stop
#
# The cluster lives in $PORTICO_TEST_POSTGRES_DIR (default /tmp/portico-test-postgres)
# and listens on $PORTICO_TEST_POSTGRES_PORT (default 54329). `start` on a running
# cluster prints the same line again.
set -euo pipefail

dir=${PORTICO_TEST_POSTGRES_DIR:-/tmp/portico-test-postgres}
port=${PORTICO_TEST_POSTGRES_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case ${1:-} in
  start)
    if [ -z "$bin" ]; then
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      rm -rf "$dir" && mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
      # Tests need no durability; a benchmark sets PORTICO_TEST_POSTGRES_DURABLE=1 to keep PostgreSQL's defaults.
      durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
      [ -n "${PORTICO_TEST_POSTGRES_DURABLE:-}" ] && durability=""
      as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start -o \
        "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=600" >/dev/null
    fi
    echo "export PORTICO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -n "$bin" ] && as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
