#!/usr/bin/env bash
# Runway's queue beside graphile-worker (default and batched), on the same machine and the same
# Postgres, each on a fresh database; prints every figure and the ratios. Also runs Runway's
# benchmark on SQLite.
#
#   bench/queue-vs-graphile.sh [JOBS]      (default 20000; set RUNWAY_TEST_POSTGRES_URL for another server)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JOBS="${1:-20000}"
PG="${RUNWAY_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
BASE="${PG%/*}"
cd "$ROOT"

echo "==> building runway (release)" >&2
cargo build --release -q -p runway-server --features demo,bench
if [ ! -d bench/node_modules/graphile-worker ]; then
  echo "==> installing graphile-worker" >&2
  (cd bench && npm install --no-audit --no-fund >/dev/null)
fi

fresh() { psql "$PG" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1; echo "$BASE/$1"; }
out="$(mktemp)"

echo "==> machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(psql "$PG" -Atc 'show server_version'), synchronous_commit=$(psql "$PG" -Atc 'show synchronous_commit')" | tee -a "$out"
RUNWAY_LOG__FILTER=warn RUNWAY_DATABASE_URL="$(fresh runway_bench_pg)" target/release/runway bench queue --jobs "$JOBS" --concurrency 16 | tee -a "$out"
tmp="$(mktemp -d)"
RUNWAY_LOG__FILTER=warn RUNWAY_DATABASE_URL="sqlite://$tmp/runway.db" target/release/runway bench queue --jobs "$JOBS" --concurrency 16 | tee -a "$out"
rm -rf "$tmp"
for mode in default batched; do
  node bench/graphile.mjs "$(fresh gw_bench_$mode)" "$mode" "$JOBS" 200 | tee -a "$out"
done

# Ratios: Runway's figure divided by graphile-worker's.
rate() { grep -F "$1" "$out" | head -n1 | sed -E "s/.* $2 ([0-9]+) jobs\/s.*/\1/"; }
p50() { grep -F "$1" "$out" | head -n1 | sed -E 's/.*p50 ([0-9.]+) ms.*/\1/'; }
echo
echo "ratios (Runway / graphile-worker; above 1 means Runway is faster, for latency below 1 is better):"
for mode in default batched; do
  for kind in run "end to end"; do
    r=$(rate "postgres queue path" "$kind"); g=$(rate "graphile-worker $mode:" "$kind")
    awk -v r="$r" -v g="$g" -v m="$mode" -v k="$kind" 'BEGIN { printf "  queue path %-10s vs %-7s: %6.0f / %6.0f jobs/s = %.2f\n", k, m, r, g, r / g }'
  done
  r=$(rate "postgres request path" "run"); g=$(rate "graphile-worker $mode:" "run")
  awk -v r="$r" -v g="$g" -v m="$mode" 'BEGIN { printf "  request path run      vs %-7s: %6.0f / %6.0f jobs/s = %.2f\n", m, r, g, r / g }'
  r=$(p50 "postgres latency"); g=$(p50 "graphile-worker $mode latency")
  awk -v r="$r" -v g="$g" -v m="$mode" 'BEGIN { printf "  latency p50           vs %-7s: %6.2f / %6.2f ms = %.2f\n", m, r, g, r / g }'
done
rm -f "$out"
