#!/usr/bin/env bash
# Runs every test of the SDK: formatting and lints, the Rust workspace (unit,
# integration, doc tests, examples), then the Node, Python and UniFFI bindings,
# each of which installs its own language packages on first use.
#
# Needs cargo, node 20 + npm, python3 (3.9+) and java 17; as root it installs
# the few Debian packages it needs (libjna-java). Exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

passed=0
failed=0
failures=()
stage() {
    local name="$1"
    shift
    echo
    echo "=== $name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== $name: FAILED ($((SECONDS - start)) s)"
    fi
}

rust_lints() {
    cargo fmt --all -- --check && cargo clippy --workspace --all-targets -- -D warnings
}

rust_tests() {
    cargo test --workspace --exclude dezky-node --exclude dezky-python
}

examples() {
    cargo run --quiet --example quickstart >/dev/null &&
        cargo run --quiet --example flags_eval -- examples/data/seed-flags.json examples/data/contexts.json |
        python3 tests/conformance/check_flags_eval.py examples/data/seed-flags.json examples/data/contexts.json
}

stage "rust: fmt and clippy" rust_lints
stage "rust: tests" rust_tests
stage "rust: examples" examples
stage "node binding" bash bindings/node/test.sh
stage "python binding" bash bindings/python/test.sh
stage "uniffi bindings" bash bindings/uniffi/test.sh

echo
if [ "$failed" -gt 0 ]; then
    echo "failed stages: ${failures[*]}"
fi
echo "test-all: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
