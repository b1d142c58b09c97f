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
