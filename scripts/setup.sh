# Shared set-up steps for scripts/dev and scripts/test. Each step checks first and does nothing when
# what it installs is already there, so a second run starts fast. Sourced, not executed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

step() { printf '\n==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it by hand, or run as root)"; fi
}

# The toolchain is pinned in rust-toolchain.toml (channel, components, the wasm32 target); rustup
# reads it for every cargo call in this tree.
RUST_CHANNEL="$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$ROOT/rust-toolchain.toml")"

ensure_rust() {
  command -v rustup >/dev/null || die "rustup not found: install Rust with rustup (https://rustup.rs), then rerun"
  if ! rustup toolchain list | grep -q "^$RUST_CHANNEL-"; then
    # A machine whose stable toolchain is exactly the pinned release needs no download: name it.
    if [ "$(RUSTUP_TOOLCHAIN=stable rustc --version 2>/dev/null | cut -d' ' -f2)" = "$RUST_CHANNEL" ]; then
      step "naming the installed stable toolchain $RUST_CHANNEL (rust-toolchain.toml)"
      rustup toolchain link "$RUST_CHANNEL" "$(RUSTUP_TOOLCHAIN=stable rustc --print sysroot)"
    else
      step "installing Rust $RUST_CHANNEL (rust-toolchain.toml)"
      rustup toolchain install "$RUST_CHANNEL" --profile minimal -c clippy,rustfmt -t wasm32-unknown-unknown
    fi
  fi
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    note "Rust $RUST_CHANNEL with the wasm32-unknown-unknown target: present"
  else
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  [ -n "$want" ] || die "cannot find the wasm-bindgen version in Cargo.lock"
  if wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    note "wasm-bindgen-cli $want: present"
  else
    step "installing wasm-bindgen-cli $want (must equal the wasm-bindgen crate version; about 2 minutes)"
    # Without --locked: the CLI's own lock file names a crate version the registry does not serve.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

CARGO_DENY_VERSION="0.20.2"

ensure_cargo_deny() {
  if cargo deny --version 2>/dev/null | grep -q " $CARGO_DENY_VERSION\$"; then
    note "cargo-deny $CARGO_DENY_VERSION: present"
  else
    step "installing cargo-deny $CARGO_DENY_VERSION (licence and dependency checks; about 5 minutes, once)"
    # cargo-deny's own release profile asks for fat LTO in one codegen unit: 20 minutes on two
    # cores. A plain optimised build takes under 5 and checks the same.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
  fi
}

ensure_node_modules() {
  command -v npm >/dev/null || die "npm not found: install Node.js 20 or newer, then rerun"
  # node_modules matches the lock file when it was installed from a lock file with the same hash.
  local stamp="$ROOT/node_modules/.runway-lock-sha256" want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    note "npm packages (wasm-opt, playwright-core): present"
  else
    step "installing npm packages from package-lock.json"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
    echo "$want" > "$stamp"
  fi
}

ensure_chromium() {
  if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    note "chromium: present"
  else
    step "installing Chromium from Debian's packages (for browser tests)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
}

ensure_postgres() {
  local url="${RUNWAY_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  export RUNWAY_TEST_POSTGRES_URL="$url"
  if command -v psql >/dev/null && psql "$url" -qAtc 'select 1' >/dev/null 2>&1; then
    note "postgres at $url: reachable"
    return
  fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    step "starting the local PostgreSQL cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do
    psql "$url" -qAtc 'select 1' >/dev/null 2>&1 && { note "postgres at $url: reachable"; return; }
    sleep 1
  done
  die "PostgreSQL is not reachable at $url; start it or set RUNWAY_TEST_POSTGRES_URL"
}
