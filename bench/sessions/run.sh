#!/usr/bin/env bash
# Revocation fan-out latency (issue 7): admin revocation of a session → back-channel logout token
# at the application's receiver, p50/p99 over ROUNDS sessions (SQLite in a temp dir).
#   bench/sessions/run.sh [BIN] [ROUNDS]
set -euo pipefail
BIN=${1:-build/bench/src/app/gatehouse}
ROUNDS=${2:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
exec node "$HERE/fanout.mjs" "$BIN" "$ROUNDS"
