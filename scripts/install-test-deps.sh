#!/usr/bin/env bash
# Installs what the DNS tests need and the language toolchains do not:
#   - NSD (Debian package `nsd`), the authoritative server the DNS integration
#     tests and the DNS benchmark start on 127.0.0.1; installed with apt-get when
#     running as root, otherwise it must already be there.
#   - checkdmarc (PyPI, pinned) in its own virtualenv, target/test-deps/venv,
#     for the SPF/DMARC cross-check and the benchmark's baseline. Not the Python
#     binding's venv.
# Idempotent. Exits non-zero, saying what is missing, when it cannot install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/target/test-deps/venv"
CHECKDMARC="checkdmarc==6.0.4"

nsd_path() {
    for p in /usr/sbin/nsd /usr/bin/nsd /usr/local/sbin/nsd; do
        [ -x "$p" ] && { echo "$p"; return 0; }
    done
    return 1
}

if ! nsd_path >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "install-test-deps: installing nsd (apt-get)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nsd >/dev/null
    else
        echo "install-test-deps: nsd is missing; as root run: apt-get install -y --no-install-recommends nsd" >&2
        exit 1
    fi
fi
# The packaged system service is not used: tests run private instances on high ports.
echo "install-test-deps: nsd at $(nsd_path)"

if ! "$VENV/bin/python" -c 'import checkdmarc' >/dev/null 2>&1 ||
    [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkdmarc"))' 2>/dev/null)" != "${CHECKDMARC#*==}" ]; then
    echo "install-test-deps: creating $VENV with $CHECKDMARC"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "$CHECKDMARC"
fi
echo "install-test-deps: checkdmarc $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkdmarc"))') in $VENV"

# stripe-mock (Go, github.com/stripe/stripe-mock), Stripe's validating mock
# server for dezky-clients/tests/stripe_mock.rs, installed with the machine's own
# Go (>= 1.22.1; Debian's golang-1.19 is too old) into $(go env GOPATH)/bin.
# `go install` also leaves the module's source in the Go module cache: the
# contract checks read the OpenAPI document and fixtures it serves from there
# (embedded/openapi/{spec3,fixtures3}.json). The version is pinned in one file.
STRIPE_MOCK_VERSION="$(tr -d '[:space:]' <"$ROOT/scripts/stripe-mock-version")"
if ! command -v go >/dev/null 2>&1; then
    echo "install-test-deps: go is missing; install Go >= 1.22.1 from go.dev, then rerun" >&2
    exit 1
fi
STRIPE_MOCK_DIR="$(go env GOBIN)"
STRIPE_MOCK="${STRIPE_MOCK_DIR:-$(go env GOPATH | cut -d: -f1)/bin}/stripe-mock"
if [ ! -x "$STRIPE_MOCK" ] ||
    [ "$(go version -m "$STRIPE_MOCK" 2>/dev/null | awk '$1 == "mod" { print $3 }')" != "$STRIPE_MOCK_VERSION" ]; then
    echo "install-test-deps: installing stripe-mock $STRIPE_MOCK_VERSION (go install)"
    go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
fi
STRIPE_MOCK_OPENAPI="$(go env GOMODCACHE)/github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION/embedded/openapi"
if [ ! -f "$STRIPE_MOCK_OPENAPI/spec3.json" ] || [ ! -f "$STRIPE_MOCK_OPENAPI/fixtures3.json" ]; then
    # A binary installed earlier while the module cache was cleaned since.
    go mod download "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
fi
echo "install-test-deps: stripe-mock $STRIPE_MOCK_VERSION at $STRIPE_MOCK (documents in $STRIPE_MOCK_OPENAPI)"
