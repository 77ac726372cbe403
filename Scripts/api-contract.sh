#!/usr/bin/env bash
# The API contract check CI runs (through `swift test`, ContractTests):
#   1. openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator);
#   2. schemathesis fuzzes every /v1 operation of a running Portico with the
#      document and requires zero server errors, zero undocumented statuses or
#      content types, and zero responses that violate their schema.
#
#   Scripts/api-contract.sh URL KEY [extra schemathesis options…]
#
# URL and KEY come from `portico sandbox`'s JSON line. Roll and revoke are left
# out of the fuzzing (it would revoke the very key it uses), and so are the two
# event streams (they never end); the Swift OpenAPITests and the listen and
# logs-tail tests check those. CI runs a fixed seed so a failure
# reproduces; run with `--seed $RANDOM` to explore.
set -euo pipefail
cd "$(dirname "$0")/.."
url=$1 key=$2
shift 2
python3 -c 'import json, sys; from openapi_spec_validator import validate; validate(json.load(open("openapi.json"))); print("openapi.json: valid OpenAPI 3.1")'
# Through python3 so a pip-installed CLI need not be on PATH (pyenv shims, --user installs).
python3 -c "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = \"schemathesis\"; schemathesis()" run "$url/v1/openapi.json" \
  -H "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases coverage,fuzzing,stateful \
  --max-examples 25 \
  --exclude-operation-id revokeKey --exclude-operation-id rollKey \
  --exclude-operation-id listenWebhooks --exclude-operation-id streamRequestLogs \
  --seed 20261122 \
  --no-color \
  "$@"
