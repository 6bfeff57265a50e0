#!/usr/bin/env bash
# Issue 10 benchmarks (SQLite; synchronous mode from GATEHOUSE_SQLITE_SYNCHRONOUS, default
# full): POST /Users (wrk, unique userNames) and the filtered GET that IdPs send
# (`userName eq "..."`) against a directory pre-filled by the POST run. The issue's targets
# (≥ 2× SAML Jackson's 3 557 POST/s, ≥ 5× its 5 689 filtered GET/s, filter p99 < 2 ms at
# 1 000 000 users) need the bench preset and long runs: DURATION, CONNS and PREFILL scale it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GATEHOUSE_BIN:-build/bench/src/app/gatehouse}
DURATION=${DURATION:-10s}; CONNS=${CONNS:-16}; PREFILL=${PREFILL:-0}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
data="$work/data"
demo=$("$bin" seed-demo --data-dir "$data" --log-level warn)
org=$(echo "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization_id"])')
dir=$("$bin" directory create --data-dir "$data" --org "$org" --name bench --public-url "http://127.0.0.1:$port" --log-level warn)
base=$(echo "$dir" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scim_base_url"])')
token=$(echo "$dir" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["token"])')
"$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" --access-log false --log-level warn \
  --public-url "http://127.0.0.1:$port" 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# The domain guard: bench.example is a guest domain of the demo organization.
key=$(echo "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["admin_api_key"])')
curl -sf -o /dev/null -X PUT "http://127.0.0.1:$port/api/v1/environments/sandbox/organizations/$org/policy" \
  -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -H 'If-Match: "v0"' \
  -d '{"guest_domains":["bench.example"]}'

for i in $(seq 1 "$PREFILL"); do
  curl -sf -o /dev/null -X POST "$base/Users" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/scim+json' -d "{\"userName\":\"pre$i@bench.example\"}"
done

cat >"$work/post.lua" <<'LUA'
local n = 0
local tid = tostring(math.random(1, 1e9))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/scim+json"
request = function()
  n = n + 1
  local body = string.format('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%s-%d@bench.example","name":{"givenName":"B","familyName":"U"},"emails":[{"primary":true,"type":"work","value":"u%s-%d@bench.example"}],"active":true}', tid, n, tid, n)
  return wrk.format("POST", nil, nil, body)
end
LUA
cat >"$work/get.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/scim/v2/" .. os.getenv("DIR") .. "/Users?filter=userName%20eq%20%22pre" .. (n % math.max(1, tonumber(os.getenv("PREFILL")))) + 1 .. "%40bench.example%22")
end
LUA
dir_id=${base##*/}
echo "== POST /Users (SQLite, synchronous=${GATEHOUSE_SQLITE_SYNCHRONOUS:-full}, $CONNS connections, $DURATION)"
TOKEN=$token wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$work/post.lua" "$base/Users" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "== GET /Users?filter=userName eq (prefilled: $PREFILL)"
TOKEN=$token DIR=$dir_id PREFILL=$PREFILL wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$work/get.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|50%|99%|Non-2xx"
