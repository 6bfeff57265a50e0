#!/usr/bin/env bash
# The OIDC provider (issue 6) beside node oidc-provider, in one run, measured by the peers' own
# functions (../shared/peers/lib/common.sh: wrk -t2 -c32 for 10 s, median of 3 runs, each after a
# wait for a quiet machine, with the foreign CPU recorded), plus `openssl speed -multi 2 rsa2048`
# (the RSA signing ceiling of this machine) and code + PKCE round trips through the test IdP.
#   bench/oauth/run.sh            (make bench builds build/bench first)
# Env: GATEHOUSE_BIN, SHARED (the shared folder), PEERS_DIR (where the peers are copied and
# installed once), RUNS, DURATION, THREADS, CONNS, FLOW_SECONDS, FLOW_CONCURRENCY.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GATEHOUSE_BIN:-$repo/build/bench/src/app/gatehouse}
shared=${SHARED:-$repo/../shared}
peers=${PEERS_DIR:-/tmp/gatehouse-peers}
[ -x "$bin" ] || { echo "no $bin: run make bench (or cmake --preset bench && cmake --build build/bench)"; exit 1; }
if [ ! -d "$peers/node_modules" ]; then
  rm -rf "$peers"; cp -r "$shared/peers" "$peers"
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
fi
# shellcheck source=/dev/null
source "$peers/lib/common.sh"
ensure_deps
: > "$RAW_DIR/summary.txt"
results=$(mktemp -d)
LUA="$peers/peers/lua-post-form.lua"

# ---- openssl speed: the RSA-2048 signing ceiling on both cores, in this run --------------
wait_quiet
openssl speed -multi 2 -seconds 3 rsa2048 2>/dev/null > "$results/openssl.txt"
rsa_sign=$(awk '/^rsa 2048 bits/ {print $(NF-1)}' "$results/openssl.txt" | tail -1)
echo "openssl speed -multi 2 rsa2048: ${rsa_sign} sign/s"

# ---- Gatehouse on SQLite --------------------------------------------------------------------
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" seed-demo --data-dir "$work/data" --public-url "$base" --log-level warn > "$work/demo.json"
field() { python3 -c "import json,sys; print(json.load(open('$work/demo.json'))['$1'])"; }
CID=$(field client_id); SECRET=$(field client_secret); KEY=$(field admin_api_key)
REDIRECT=$(field redirect_uri); RESOURCE=$(field resource)
export AUTH="Basic $(printf '%s:%s' "$CID" "$SECRET" | base64 -w0)"
start_server gatehouse "$base/readyz" "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" \
  --public-url "$base" --access-log false --log-level warn
gh_start=$STARTUP_MS; gh_rss=$IDLE_RSS_KB
api="$base/api/v1/environments/sandbox"
set_alg() {  # the environment's default signing algorithm (access tokens are signed with it)
  local etag
  etag=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $KEY" "$api/key-settings" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')
  curl -sf -X PATCH -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -H "If-Match: $etag" \
    -d "{\"algorithms\":[\"RS256\",\"ES256\"],\"default_alg\":\"$1\"}" "$api/key-settings" >/dev/null
  # Key sets are cached for a few seconds: wait until tokens carry the new algorithm.
  for _ in $(seq 1 100); do
    tok=$(curl -s -u "$CID:$SECRET" -d "grant_type=client_credentials&resource=$RESOURCE" "$base/sandbox/oauth2/token" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    alg=$(python3 -c "import base64,json,sys; h='$tok'.split('.')[0]; print(json.loads(base64.urlsafe_b64decode(h+'='*(-len(h)%4)))['alg'])")
    [ "$alg" = "$1" ] && return 0
    sleep 0.2
  done
  echo "tokens are not $1 after 20 s" >&2; exit 1
}
CC="grant_type=client_credentials&scope=invoices:read&resource=$RESOURCE"
set_alg ES256
BODY=$CC wrk -t2 -c16 -d3s -s "$LUA" "$base/sandbox/oauth2/token" >/dev/null 2>&1  # warm-up
BODY=$CC wrk_median gh-token-jwt-es256 "$base/sandbox/oauth2/token" "$LUA"
set_alg RS256
BODY=$CC wrk_median gh-token-jwt-rs256 "$base/sandbox/oauth2/token" "$LUA"
wrk_median gh-discovery "$base/sandbox/.well-known/openid-configuration"
wrk_median gh-jwks "$base/sandbox/.well-known/jwks.json"
TOK=$(curl -s -u "$CID:$SECRET" -d "$CC" "$base/sandbox/oauth2/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -s -u "$CID:$SECRET" -d "token=$TOK" "$base/sandbox/oauth2/introspect" | head -c 200; echo
BODY="token=$TOK" wrk_median gh-introspect-jwt "$base/sandbox/oauth2/introspect" "$LUA"
report_peak_rss gatehouse
wait_quiet
node "$repo/bench/oauth/code_flow.mjs" "$base/sandbox" "$CID" "$SECRET" "$REDIRECT" \
  "${FLOW_SECONDS:-10}" "${FLOW_CONCURRENCY:-8}" | tee "$results/flows.json"
stop_server
rm -rf "$work"

# ---- oidc-provider: the peer's own script, same machine, same run -------------------------
"$peers/peers/run-oidc-provider.sh" > "$results/peer.txt" 2>&1 || { cat "$results/peer.txt"; exit 1; }
peer_line=$(grep -E '^\[oidc-provider\] pid=' "$results/peer.txt" | head -1)
peer_start=$(echo "$peer_line" | sed -E 's/.*startup_ms=([0-9]+).*/\1/')
peer_rss_mb=$(echo "$peer_line" | sed -E 's/.*idle_rss_mb=([0-9]+).*/\1/')

# ---- the table -------------------------------------------------------------------------------
python3 - "$RAW_DIR/summary.txt" "$rsa_sign" "$gh_start" "$gh_rss" "$peer_start" "$peer_rss_mb" "$results/flows.json" <<'PY'
import json, re, sys
summary, rsa_sign, gh_start, gh_rss, peer_start, peer_rss_mb, flows = sys.argv[1:]
rows = {}
for line in open(summary):
    m = re.match(r'(\S+): req/s median=(\d+).*p99 median=([\d.]+)ms', line)
    if m: rows[m.group(1)] = (int(m.group(2)), float(m.group(3)))
def cmp(name, ours, theirs, target):
    a, b = rows.get(ours), rows.get(theirs)
    if not a or not b: print(f'{name}: missing ({ours}={a}, {theirs}={b})'); return
    ratio = a[0] / b[0]
    print(f'{name:28} gatehouse {a[0]:>7} req/s p99 {a[1]:6.2f} ms | oidc-provider {b[0]:>6} req/s p99 {b[1]:6.2f} ms | {ratio:5.1f}x (target {target}x) {"OK" if ratio >= target else "BELOW"}')
print()
cmp('client_credentials ES256', 'gh-token-jwt-es256', 'oidc-token-jwt-es256', 10)
a = rows.get('gh-token-jwt-rs256'); b = rows.get('oidc-token-jwt-rs256')
if a and b:
    share = a[0] / float(rsa_sign)
    print(f'{"client_credentials RS256":28} gatehouse {a[0]:>7} req/s p99 {a[1]:6.2f} ms | oidc-provider {b[0]:>6} req/s | {100*share:.0f}% of openssl speed -multi 2 rsa2048 sign/s {float(rsa_sign):.0f} (target 70%) {"OK" if share >= 0.7 else "BELOW"}')
cmp('introspection (gh: JWT, peer: opaque)', 'gh-introspect-jwt', 'oidc-introspect-opaque', 8)
cmp('discovery', 'gh-discovery', 'oidc-discovery', 5)
cmp('JWKS', 'gh-jwks', 'oidc-jwks', 5)
f = json.load(open(flows))
print(f'{"code + PKCE round trips":28} {f["flows_per_s"]} flows/s (p50 {f["p50_ms"]} ms, p99 {f["p99_ms"]} ms, {f["flows"]} flows, {f["errors"]} errors) through hosted login and the test IdP')
print(f'{"start-up / idle RSS":28} gatehouse {gh_start} ms, {int(gh_rss)/1024:.1f} MB | oidc-provider {peer_start} ms, {peer_rss_mb} MB')
PY
