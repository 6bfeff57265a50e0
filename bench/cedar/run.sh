#!/usr/bin/env bash
# Cedar decisions/s and per-decision latency: gatehouse's engine (bench/cedar/cedar_bench) beside
# @cedar-policy/cedar-wasm 4.13 (../shared/peers/peers/cedar-bench.mjs), same workload, one run.
# Usage: bench/cedar/run.sh [build-dir]   (default build/bench; SECS=5 RUNS=3 for the wasm side)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build/bench}"
SHARED="${GATEHOUSE_SHARED_DIR:-$ROOT/../shared}"
SECS="${SECS:-5}"
RUNS="${RUNS:-3}"

BENCH_BIN="$BUILD/bench/cedar/cedar_bench"
if [ ! -x "$BENCH_BIN" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_TESTS=OFF >/dev/null
  cmake --build "$BUILD" --target cedar_bench -j2 >/dev/null
fi

# The shared peers folder is read-only: install its node_modules in a copy.
PEERS=/tmp/gatehouse-cedar-peers
if [ ! -d "$PEERS/node_modules/@cedar-policy/cedar-wasm" ]; then
  rm -rf "$PEERS" && cp -r "$SHARED/peers" "$PEERS" && chmod -R u+w "$PEERS"
  (cd "$PEERS" && npm ci --no-audit --no-fund >/dev/null)
fi

echo "== cedar-wasm (node $(node --version)), ${SECS}s x ${RUNS} runs"
WASM_OUT=$(cd "$PEERS" && node peers/cedar-bench.mjs "$SECS" "$RUNS")
echo "$WASM_OUT" | grep -v '^JSON '

echo "== gatehouse cedar engine (Google Benchmark, 3 repetitions)"
OURS=$("$BENCH_BIN" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=json 2>/dev/null)
echo "$OURS" | node -e '
const ours = JSON.parse(require("fs").readFileSync(0, "utf8")).benchmarks.filter((b) => b.aggregate_name === "median");
const wasm = JSON.parse(process.argv[1].split("\n").find((l) => l.startsWith("JSON ")).slice(5));
const stateful = wasm.find((w) => w.name.startsWith("statefulIsAuthorized"));
for (const b of ours) {
  console.log(`${b.run_name}: decisions/s median=${b.items_per_second.toFixed(0)} | p50=${b.p50_us.toFixed(2)}us p99=${b.p99_us.toFixed(2)}us`);
}
const best = ours.find((b) => b.run_name.startsWith("BM_Authorize/"));
const json = ours.find((b) => b.run_name.startsWith("BM_AuthorizeEntityJson"));
console.log(`== ratio vs cedar-wasm statefulIsAuthorized (${stateful.median.toFixed(0)}/s, p50 ${stateful.p50_us.toFixed(0)}us):`);
console.log(`   entities in store:      ${(best.items_per_second / stateful.median).toFixed(0)}x decisions/s, p50 ${best.p50_us.toFixed(2)}us (target >= 100x, <= 5us)`);
console.log(`   entities JSON per call: ${(json.items_per_second / stateful.median).toFixed(0)}x decisions/s, p50 ${json.p50_us.toFixed(2)}us`);
' "$WASM_OUT"
