#!/usr/bin/env bash
# Fuzz the REST API against its own OpenAPI schema with schemathesis: every
# operation, generated valid and invalid input; the bar is zero server errors
# (DESIGN.md §5). Not part of `make test`: it needs a running server.
#
#   make run                                   # in another terminal
#   .venv/bin/python manage.py create_api_key --tenant northwind --role owner --name fuzz
#   bench/api_fuzz.sh http://127.0.0.1:8000 otc_live_...
#
# Start the server with API_RATE_LIMIT=100000/min so the throttle does not
# answer most requests with 429.
set -euo pipefail
base=${1:?usage: bench/api_fuzz.sh BASE_URL API_KEY [MAX_EXAMPLES]}
key=${2:?usage: bench/api_fuzz.sh BASE_URL API_KEY [MAX_EXAMPLES]}
examples=${3:-25}
cd "$(dirname "$0")/.."
[[ -x .venv/bin/st ]] || .venv/bin/python -m pip install --quiet "schemathesis==4.32.5"
exec .venv/bin/st run "$base/api/v1/schema/" \
	--header "Authorization: Bearer $key" \
	--checks not_a_server_error \
	--phases examples,coverage,fuzzing \
	--max-examples "$examples" \
	--workers 2
