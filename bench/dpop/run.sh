#!/usr/bin/env bash
# DPoP-bound token issuance requests/s beside plain issuance (issue 7), on SQLite: seed-demo,
# serve, then bench/dpop/dpop_issuance.mjs (plain, then one DPoP proof per request).
#   DURATION_S=10 CONNS=16 bench/dpop/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GATEHOUSE_BIN:-build/bench/src/app/gatehouse}
work=$(mktemp -d)
cleanup() {
  [ -n "${gh_pid:-}" ] && kill "$gh_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
demo=$("$bin" seed-demo --data-dir "$work/data" --log-level warn --public-url "$url")
"$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" --public-url "$url" \
  --access-log false --log-level warn 2>"$work/gh.log" &
gh_pid=$!
until curl -sf "$url/readyz" >/dev/null; do sleep 0.01; done
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" <<<"$demo"; }
node bench/dpop/dpop_issuance.mjs "$url/sandbox" "$(field client_id)" "$(field client_secret)" \
  https://api.example.test
