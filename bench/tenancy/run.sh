#!/usr/bin/env bash
# Issue 3 benchmarks: organization create and get through the admin API on SQLite and on
# PostgreSQL (wrk, 2 threads, 16 connections), and API-key authentication overhead (µs).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GATEHOUSE_BIN:-build/bench/src/app/gatehouse}
DURATION=${DURATION:-10s}; CONNS=${CONNS:-16}
work=$(mktemp -d)
pids=()
# The cluster lives outside $work (0700, root's): initdb runs as the postgres user.
pgdir=$(mktemp -u /tmp/gatehouse-bench-pg.XXXXXX)
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -d "$pgdir" ] && scripts/pg-cluster stop "$pgdir"; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== API-key authentication overhead"
build/bench/bench/tenancy/bench_tenancy_auth --benchmark_min_time=1 2>/dev/null | grep -E "^BM_"

cat >"$work/create.lua" <<'LUA'
local n = 0
local tid = tostring(math.random(1, 1e9))
request = function()
  n = n + 1
  local body = string.format('{"name":"Bench %s %d","slug":"b-%s-%d"}', tid, n, tid, n)
  return wrk.format("POST", nil, {["Content-Type"]="application/json", ["Authorization"]="Bearer " .. os.getenv("KEY")}, body)
end
LUA
cat >"$work/get.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
LUA

run_backend() { # name (store settings come from GATEHOUSE_* variables)
  local name=$1
  local port; port=$(free_port)
  local data="$work/data-$name"
  local demo; demo=$("$bin" seed-demo --data-dir "$data" --log-level warn)
  local key; key=$(echo "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["admin_api_key"])')
  local org; org=$(echo "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization_id"])')
  "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" --access-log false --log-level warn \
    --public-url "http://127.0.0.1:$port" 2>"$work/$name.log" &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.05; done
  local base="http://127.0.0.1:$port/api/v1/environments/sandbox/organizations"
  local c g
  c=$(KEY=$key wrk -t2 -c"$CONNS" -d"$DURATION" -s "$work/create.lua" "$base" | awk '/Requests\/sec/{print $2}')
  g=$(KEY=$key wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$work/get.lua" "$base/$org" | awk '/Requests\/sec/{r=$2} $1=="99%"{p=$2} END{print r" req/s p99 "p}')
  echo "  $name: organization create $c req/s; get $g"
}

echo "== admin API (wrk -t2 -c$CONNS -d$DURATION; rate limits raised for the run)"
export GATEHOUSE_RATE_LIMIT_ADMIN_PER_S=1000000 GATEHOUSE_RATE_LIMIT_ADMIN_BURST=1000000
GATEHOUSE_SQLITE_SYNCHRONOUS=full run_backend sqlite-full
GATEHOUSE_SQLITE_SYNCHRONOUS=normal run_backend sqlite-normal
pg=$(scripts/pg-cluster start "$pgdir")  # fsync off (a test cluster): compare with sqlite-normal
GATEHOUSE_STORE=$pg run_backend postgres
