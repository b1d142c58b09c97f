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

# One package selection for every cargo call below, so they share one build.
SELECTION=(--workspace --exclude dezky-node --exclude dezky-python)

rust_tests() {
    # Every test binary runs, so one failure does not hide the others.
    cargo test "${SELECTION[@]}" --no-fail-fast
}

examples() {
    cargo build --quiet "${SELECTION[@]}" --examples || return 1
    local bin
    bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/examples"
    "$bin/quickstart" >/dev/null &&
        "$bin/flags_eval" examples/data/seed-flags.json examples/data/contexts.json |
        python3 tests/conformance/check_flags_eval.py examples/data/seed-flags.json examples/data/contexts.json ||
        return 1
    # Bad input: a message with the stable code on stderr, exit status 2.
    local bad status=0
    bad="$(mktemp)"
    echo '[{"key": "Bad-Key", "state": "on"}]' >"$bad"
    "$bin/flags_eval" "$bad" examples/data/contexts.json 2>"$bad.err" >/dev/null || status=$?
    if [ "$status" -ne 2 ] || ! grep -q DEZKY_INVALID_FLAG "$bad.err"; then
        echo "flags_eval on a bad flag file: exit $status, stderr: $(cat "$bad.err")"
        return 1
    fi
    rm -f "$bad" "$bad.err"
}

stage "test dependencies (nsd, checkdmarc, stripe-mock)" bash scripts/install-test-deps.sh
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
