#!/usr/bin/env bash
# Prints what a browser downloads for Runway's front end: raw, gzip and brotli sizes of the files
# every page loads (the content-hashed script, main WebAssembly module, stylesheet and the lazy
# modules' loader, as <site_root>/hash.txt names them), then what each lazily loaded page
# (`runway_app::lazy`: the admins' and leads' pages) loads on top, from the split manifest.
#
#   bench/frontend-size.sh            builds the production front end first (scripts/build-site
#                                     --release --front-only: wasm-opt -Oz, brotli 11, gzip 9)
#   bench/frontend-size.sh --no-build measures what target/site holds now
#
# The target (issue #11) is at most 300 KB brotli for everything a developer's pages load: the
# first table's total.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
site="${RUNWAY_SITE_ROOT:-target/site}"
[ "${1:-}" = "--no-build" ] || scripts/build-site --release --front-only >&2
[ -f "$site/hash.txt" ] || { echo "no $site/hash.txt: build the site first" >&2; exit 1; }

node - "$site" <<'NODE'
const fs = require("fs"), path = require("path"), zlib = require("zlib");
const site = process.argv[2], pkg = path.join(site, "pkg");
const hashes = Object.fromEntries(fs.readFileSync(path.join(site, "hash.txt"), "utf8")
  .split("\n").filter(Boolean).map(l => l.split(":").map(s => s.trim())));
const size = f => {
  const file = path.join(pkg, f), data = fs.readFileSync(file);
  const gz = fs.existsSync(file + ".gz") ? fs.statSync(file + ".gz").size : zlib.gzipSync(data, { level: 9 }).length;
  const br = fs.existsSync(file + ".br") ? fs.statSync(file + ".br").size
    : zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { raw: data.length, gz, br };
};
const row = (name, s) => console.log(name.padEnd(64) + [s.raw, s.gz, s.br].map(n => String(n).padStart(10)).join(" "));
const table = (title, files) => {
  console.log(`\n${title}`);
  console.log("file".padEnd(64) + ["raw", "gzip", "brotli"].map(n => n.padStart(10)).join(" "));
  const total = { raw: 0, gz: 0, br: 0 };
  for (const f of files) {
    const s = size(f); row(f, s);
    for (const k of Object.keys(total)) total[k] += s[k];
  }
  row("total", total);
  return total;
};
const every = [`runway.${hashes.js}.js`, `runway.${hashes.wasm}.wasm`, `runway.${hashes.css}.css`];
if (hashes.split) every.push(`__wasm_split.${hashes.split}.js`);
table("Every page (what a developer's pages load)", every);
if (hashes.manifest) {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, `__wasm_split_manifest.${hashes.manifest}.json`), "utf8"));
  console.log("\nLazily loaded pages: what each loads on top (brotli), once");
  for (const [split, modules] of Object.entries(manifest).sort()) {
    const br = modules.reduce((n, m) => n + size(`${m}.wasm`).br, 0);
    console.log(split.replace(/^__/, "").replace(/_view_\d+$/, "").padEnd(40) + String(br).padStart(10));
  }
}
NODE
