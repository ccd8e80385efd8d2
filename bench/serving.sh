#!/usr/bin/env bash
# Serving throughput with wrk against a release `runway serve` on loopback (SQLite, demo catalogue,
# development sign-in), in one run: /healthz without and with a session cookie, the signed-in
# catalogue page, a hashed static file with brotli accepted, and an API call with a token (its rate
# limits raised out of reach, so every call is checked against its buckets and answered 200).
#
#   scripts/build-site --release --features demo,bench    (once)
#   bench/serving.sh [seconds per URL, default 15] [sqlite|postgres, default sqlite]
#
# With `postgres`, the server uses a fresh database on the local server (127.0.0.1:5432, trust
# auth; dropped afterwards).
# Needs `wrk` (apt-get install wrk). Uses a scratch data directory and port 3100; loopback only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
secs="${1:-15}"
backend="${2:-sqlite}"
# Another build to compare: BENCH_RUNWAY_BIN=path (not RUNWAY_*: the server reads those as settings).
bin="${BENCH_RUNWAY_BIN:-target/release/runway}"
[ -x "$bin" ] || { echo "build first: scripts/build-site --release --features demo,bench" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
scratch="$(mktemp -d)"
db_env=()
pgdb=""
case "$backend" in
  sqlite) ;;
  postgres)
    pgdb="runway_bench_$$"
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $pgdb" >/dev/null
    db_env=(RUNWAY_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pgdb") ;;
  *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac
cleanup() {
  set +e
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  [ -z "$pgdb" ] || psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null
  rm -rf "$scratch"
}
pid=""
trap cleanup EXIT
env "${db_env[@]}" RUNWAY_LISTEN=127.0.0.1:3100 RUNWAY_DATA_DIR="$scratch/data" RUNWAY_LOG__FILTER=warn \
  RUNWAY_API__RATE_PER_MINUTE=1000000000 RUNWAY_API__RATE_PER_PERSON_PER_MINUTE=1000000000 \
  RUNWAY_SITE_ROOT="$ROOT/target/site" "$bin" serve >"$scratch/log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf -o /dev/null http://127.0.0.1:3100/healthz && break; sleep 0.2; done
curl -s -c "$scratch/jar" -o /dev/null -H 'Origin: http://127.0.0.1:3100' \
  -d 'login=dana&next=/' http://127.0.0.1:3100/auth/dev-login
cookie="$(awk '$6 ~ /runway_session/ { print $6 "=" $7 }' "$scratch/jar")"
[ -n "$cookie" ] || { echo "could not sign in" >&2; exit 1; }
token="$(curl -s -b "$scratch/jar" -H 'Origin: http://127.0.0.1:3100' \
  -d 'name=bench&days=1&scopes=read' http://127.0.0.1:3100/settings/tokens | grep -o 'rw_pat_[A-Za-z0-9_-]*' | head -n 1)"
[ -n "$token" ] || { echo "could not make an API token" >&2; exit 1; }
# One token for each of the demo's people, for calls spread over several clients' budgets.
: > "$scratch/tokens"
for who in dana pia raj kai lee sam sol ada; do
  curl -s -c "$scratch/jar-$who" -o /dev/null -H 'Origin: http://127.0.0.1:3100' \
    -d "login=$who&next=/" http://127.0.0.1:3100/auth/dev-login
  curl -s -b "$scratch/jar-$who" -H 'Origin: http://127.0.0.1:3100' \
    -d 'name=bench&days=1&scopes=read' http://127.0.0.1:3100/settings/tokens \
    | grep -o 'rw_pat_[A-Za-z0-9_-]*' | head -n 1 >> "$scratch/tokens"
done
{
  printf 'local tokens = {'
  while read -r t; do printf '"%s",' "$t"; done < "$scratch/tokens"
  printf '}\nlocal i = 0\nrequest = function()\n  i = i + 1\n'
  printf '  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[i %% #tokens + 1] })\nend\n'
} > "$scratch/tokens.lua"
css="runway.$(sed -n 's/^css: //p' target/site/hash.txt).css"

run() { # label, url, extra wrk args...
  local label="$1" url="$2"; shift 2
  local out; out="$(wrk -t2 -c32 -d"${secs}s" --latency "$@" "$url")"
  printf '%-34s %10s req/s   p50 %8s   p99 %8s   %s\n' "$label" \
    "$(awk '/Requests\/sec/ { print $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")" \
    "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
    "$(awk '/Non-2xx/ { print "(" $NF " not 2xx/3xx)" }' <<<"$out")"
}
echo "wrk -t2 -c32 -d${secs}s, $(nproc) cores, $backend, $(date -u +%F)"
run "/healthz (no cookie)" http://127.0.0.1:3100/healthz
run "/healthz (session cookie)" http://127.0.0.1:3100/healthz -H "Cookie: $cookie"
run "/signin (lightest page, no data)" http://127.0.0.1:3100/signin
run "/ signed in (catalogue page)" http://127.0.0.1:3100/ -H "Cookie: $cookie"
run "/pkg/$css (br)" "http://127.0.0.1:3100/pkg/$css" -H 'Accept-Encoding: br, gzip'
run "/api/v1/me (token)" http://127.0.0.1:3100/api/v1/me -H "Authorization: Bearer $token"
run "/api/v1/me (8 people's tokens)" http://127.0.0.1:3100/api/v1/me -s "$scratch/tokens.lua"
