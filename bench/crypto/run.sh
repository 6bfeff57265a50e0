#!/usr/bin/env bash
# JWS sign/verify per algorithm beside the raw OpenSSL operation, and sealed-value opening, in
# one run: 5 repetitions, randomly interleaved (so drift and turbo hit both sides alike), medians.
# Targets (issue 4): JWS signing >= 90 % of raw for ES256 and EdDSA, >= 95 % for RS256;
# opening a sealed 64-byte value with a cached data key >= 1 M/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${CRYPTO_BENCH_BIN:-build/bench/bench/crypto/crypto_bench}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" --benchmark_repetitions="${REPS:-5}" --benchmark_enable_random_interleaving=true \
  --benchmark_min_time="${MIN_TIME:-0.3}" --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out" 2>/dev/null
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
med = {}
for b in d["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    med[b["run_name"]] = b.get("items_per_second", 0.0)
names = ["RS256_2048", "RS256_3072", "PS256", "ES256", "EdDSA"]
target = {"RS256_2048": 95, "RS256_3072": 95, "PS256": 95, "ES256": 90, "EdDSA": 90}
print(f"{'alg':<11} {'raw sign/s':>11} {'JWS sign/s':>11} {'ratio':>6} {'target':>7}   "
      f"{'raw verify/s':>12} {'JWT verify/s':>12} {'ratio':>6}")
for i, n in enumerate(names):
    rs, js = med[f"BM_RawEvpSign/{i}"], med[f"BM_JwsSign/{i}"]
    rv, jv = med[f"BM_RawEvpVerify/{i}"], med[f"BM_JwtVerify/{i}"]
    print(f"{n:<11} {rs:>11.0f} {js:>11.0f} {100*js/rs:>5.0f}% {'>=' + str(target[n]) + '%':>7}   "
          f"{rv:>12.0f} {jv:>12.0f} {100*jv/rv:>5.0f}%")
print(f"full JWT sign (claims JSON included), ES256: {med['BM_JwtSign/3']:.0f}/s, "
      f"EdDSA: {med['BM_JwtSign/4']:.0f}/s")
print(f"sealed 64-byte open, cached data key: {med['BM_SealedOpen64Cached']/1e6:.2f} M/s "
      f"(raw AES-GCM decrypt {med['BM_RawAesGcmDecrypt64']/1e6:.2f} M/s; target >= 1 M/s)")
print(f"seal 64 bytes: {med['BM_Seal64Cached']/1e3:.0f} k/s")
PY
