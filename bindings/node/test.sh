#!/usr/bin/env bash
# Builds and tests the Node binding (@dezky/sdk) and the Nitro example.
# Needs only cargo, node (>= 20.17) and npm. Exits non-zero on any failure.
#
#   bindings/node/test.sh            full run
#   BENCH=1 bindings/node/test.sh    also runs the benchmark (quick mode)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nitro="$here/../../examples/nitro"
cd "$here"

step() { printf '\n== %s\n' "$*"; }

# npm ci from the committed lock, which lists every optional per-platform
# package: a lock npm ci refuses is a failure, never rewritten by an install.
npm_ci() {
  npm ci --no-audit --no-fund --loglevel=error
}

step "npm ci (bindings/node)"
npm_ci

step "napi build --platform --release"
# The committed declarations, to compare with what the build generates.
committed="$(mktemp)"
trap 'rm -f "$committed"' EXIT
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
  && git -C "$here" cat-file -e HEAD:./index.d.ts 2>/dev/null; then
  git -C "$here" show HEAD:./index.d.ts >"$committed"
else
  cp index.d.ts "$committed"
fi
npx napi build --platform --release

step "index.d.ts must match the committed one"
if ! diff -u "$committed" index.d.ts; then
  echo "index.d.ts drifted from the Rust sources: regenerate it with 'npx napi build --platform --release' and commit it" >&2
  exit 1
fi

step "node --test (bindings/node)"
node --test

if [[ "${BENCH:-0}" == "1" ]]; then
  step "benchmark"
  node bench/evaluate_all.mjs --quick
fi

step "Nitro example: npm ci, build, serve, call"
cd "$nitro"
# The example installs @dezky/sdk as a packed copy (install-links) of the SDK
# just built; npm ci starts from an empty node_modules.
npm_ci
node --test test/
