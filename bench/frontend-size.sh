#!/usr/bin/env bash
# Prints what a browser downloads for Runway's front end: raw, gzip and brotli sizes of the files a
# page loads (the content-hashed wasm, js and css named in <site_root>/hash.txt).
#
#   bench/frontend-size.sh            builds the production front end first (scripts/build-site
#                                     --release --front-only: wasm-opt -Oz, brotli 11, gzip 9)
#   bench/frontend-size.sh --no-build measures what target/site holds now
#
# The target (issue #11) is at most 300 KB brotli for everything a developer's pages load.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
site="${RUNWAY_SITE_ROOT:-target/site}"
[ "${1:-}" = "--no-build" ] || scripts/build-site --release --front-only >&2
[ -f "$site/hash.txt" ] || { echo "no $site/hash.txt: build the site first" >&2; exit 1; }

total_raw=0 total_gz=0 total_br=0
printf '%-34s %12s %12s %12s\n' file raw gzip brotli
while IFS=': ' read -r ext hash; do
  [ -n "$ext" ] || continue
  f="$site/pkg/runway.$hash.$ext"
  raw=$(wc -c < "$f")
  gz=$(if [ -f "$f.gz" ]; then wc -c < "$f.gz"; else gzip -9 -c "$f" | wc -c; fi)
  br=$(if [ -f "$f.br" ]; then wc -c < "$f.br"; else node -e '
    const z = require("zlib"), d = require("fs").readFileSync(process.argv[1]);
    process.stdout.write(String(z.brotliCompressSync(d, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11 } }).length));' "$f"; fi)
  printf '%-34s %12d %12d %12d\n' "runway.$hash.$ext" "$raw" "$gz" "$br"
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
done < "$site/hash.txt"
printf '%-34s %12d %12d %12d\n' total "$total_raw" "$total_gz" "$total_br"
