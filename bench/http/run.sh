#!/usr/bin/env bash
# GET /healthz with wrk (2 threads, 64 connections, 10 s) beside nginx serving a fixed JSON
# body, in one run; then idle RSS and start-to-ready time on SQLite.
# Target (issue 2): ≥ 70 % of nginx's requests/s; idle RSS ≤ 15 MB; ready ≤ 100 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GATEHOUSE_BIN:-build/bench/src/app/gatehouse}
DURATION=${DURATION:-10s}; CONNS=${CONNS:-64}; THREADS=${THREADS:-2}; RUNS=${RUNS:-3}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx-light (scripts/deps)"; exit 1; }
work=$(mktemp -d)
cleanup() {
  [ -n "${gh_pid:-}" ] && kill "$gh_pid" 2>/dev/null || true
  [ -f "$work/nginx.conf" ] && nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rps() { # url -> median requests/s and p99 over RUNS
  local url=$1 all=()
  wrk -t"$THREADS" -c"$CONNS" -d2s "$url" >/dev/null 2>&1
  for _ in $(seq "$RUNS"); do
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url")
    all+=("$(echo "$out" | awk '/Requests\/sec/{print $2}') $(echo "$out" | awk '$1=="99%"{print $2}')")
  done
  printf '%s\n' "${all[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

# nginx (the peer script's configuration: 2 workers, fixed body, no access log)
nport=$(free_port)
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$nport;
  location /healthz { default_type application/json; return 200 '{"status":"ok"}'; } } }
CONF
nginx -c "$work/nginx.conf"
sleep 0.3
read -r nginx_rps nginx_p99 < <(rps "http://127.0.0.1:$nport/healthz")
nginx -c "$work/nginx.conf" -s stop; sleep 0.3

# Gatehouse on SQLite; access log off like nginx's.
gport=$(free_port)
"$bin" seed-demo --data-dir "$work/data" --log-level warn >/dev/null
t0=$(date +%s%N)
"$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$gport" --public-url "http://127.0.0.1:$gport" \
  --access-log false --log-level warn 2>"$work/gh.log" &
gh_pid=$!
until curl -sf "http://127.0.0.1:$gport/readyz" >/dev/null; do sleep 0.005; done
t1=$(date +%s%N)
sleep 2
idle_kb=$(awk '/VmRSS/{print $2}' /proc/$gh_pid/status)
read -r gh_rps gh_p99 < <(rps "http://127.0.0.1:$gport/healthz")
after_kb=$(awk '/VmRSS/{print $2}' /proc/$gh_pid/status)

echo "healthz wrk -t$THREADS -c$CONNS -d$DURATION, median of $RUNS:"
echo "  nginx      ${nginx_rps} req/s  p99 ${nginx_p99}"
echo "  gatehouse  ${gh_rps} req/s  p99 ${gh_p99}"
python3 -c "print(f'  ratio      {float(\"$gh_rps\")/float(\"$nginx_rps\")*100:.0f} % of nginx (target >= 70 %)')"
echo "start to ready (spawn -> /readyz 200): $(( (t1 - t0) / 1000000 )) ms (target <= 100 ms)"
echo "idle RSS after start: $((idle_kb / 1024)) MB ($idle_kb kB; target <= 15 MB); after load: $((after_kb / 1024)) MB"
