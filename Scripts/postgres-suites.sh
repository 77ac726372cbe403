#!/usr/bin/env bash
# The app suites that run a second time on PostgreSQL (PORTICO_TEST_ENGINE=postgres):
# the API, webhook and dashboard suites, and the rate limits (shared between instances
# there), as a `swift test --filter` pattern.
#
#   PORTICO_TEST_ENGINE=postgres swift test --filter "$(Scripts/postgres-suites.sh)"
set -euo pipefail
cd "$(dirname "$0")/../Tests/PorticoAppTests"
suites=$(grep -ho '^\(@Suite[^s]*\)\?struct [A-Za-z]*Tests\b' API/*.swift Webhooks/*.swift Dashboard/*.swift Metering/RateLimitTests.swift | awk '{print $NF}' | sort -u | paste -sd'|')
echo "PorticoAppTests\.($suites)(/|\$)"
