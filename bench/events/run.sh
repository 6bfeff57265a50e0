#!/usr/bin/env bash
# Outbox → webhook delivery rate to a local receiver (one endpoint, N events already in the
# outbox when the server starts: fan-out, lease, signed POST, attempt recorded).
#   bench/events/run.sh [BIN] [N] [STORE]    (STORE: empty = SQLite in a temp dir, or a postgres URL)
set -euo pipefail
BIN=${1:-build/bench/src/app/gatehouse}
N=${2:-5000}
STORE=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d)
trap 'kill $SRV $RX 2>/dev/null || true; rm -rf "$DIR"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
SPORT=$(port); RPORT=$(port)
STORE_ARGS=(--data-dir "$DIR"); [ -n "$STORE" ] && STORE_ARGS+=(--store "$STORE")
KEY=$("$BIN" seed-demo "${STORE_ARGS[@]}" --log-level warn | python3 -c 'import json,sys;print(json.load(sys.stdin)["admin_api_key"])')
"$BIN" webhook create --url "http://127.0.0.1:$RPORT/hook" "${STORE_ARGS[@]}" --log-level warn >/dev/null
# N events in one transaction, as if N changes had just committed.
SQL="INSERT INTO outbox (tx, id, environment_id, organization_id, type, payload, occurred_at)
     SELECT 0, 'bench-' || g, (SELECT id FROM environments WHERE name = 'sandbox'), '',
            'bench.event', '{\"n\":' || g || '}', 0 FROM "
if [ -z "$STORE" ]; then
  sqlite3 "$DIR/gatehouse.db" "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $N) $SQL s;"
else
  psql -q "$STORE" -c "$SQL generate_series(1, $N) AS g;"
  psql -q "$STORE" -c "UPDATE outbox SET tx = pg_current_xact_id()::text::bigint WHERE id LIKE 'bench-%';"
fi
node "$HERE/receiver.mjs" "$RPORT" "$N" > "$DIR/result.json" & RX=$!
START=$(date +%s%N)
"$BIN" serve "${STORE_ARGS[@]}" --listen "127.0.0.1:$SPORT" --log-level warn --access-log false 2>"$DIR/server.log" & SRV=$!
wait $RX
END=$(date +%s%N)
echo "store=${STORE:-sqlite} events=$N wall_ms=$(( (END - START) / 1000000 )) $(cat "$DIR/result.json")"
