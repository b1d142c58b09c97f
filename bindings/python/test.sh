#!/usr/bin/env bash
# Builds the `dezky` wheel, installs it into bindings/python/.venv and runs the
# stub check, mypy and pytest against the installed package. Needs only cargo
# and python3.11 (override with PYTHON=...). Exits non-zero on any failure,
# including a pytest run that collected no test.
#
#   bash bindings/python/test.sh            # build + checks + tests
#   DEZKY_PY_CLIPPY=1 bash ...test.sh       # also cargo fmt --check and clippy -D warnings
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
VENV="$HERE/.venv"
# The workspace's shared target directory, unless the caller set one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

PINS=(
    "maturin==1.16.0"
    "pytest==9.2.0"
    "pytest-asyncio==1.5.0"
    "mypy==2.4.1"
    "openfeature-sdk==0.10.0"
    # The operations notebook (examples/notebooks), run by tests/test_notebook.py.
    "nbclient==0.11.0"
    "nbformat==5.11.1"
    "ipykernel==7.4.0"
    "matplotlib==3.11.2"
)

step() { printf '\n== %s\n' "$*"; }

cd "$HERE"

step "venv ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
python -m pip install -q --disable-pip-version-check "${PINS[@]}"

if [ "${DEZKY_PY_CLIPPY:-0}" = "1" ]; then
    step "cargo fmt --check / clippy"
    (cd "$ROOT" && cargo fmt -p dezky-python --check)
    (cd "$ROOT" && cargo clippy -p dezky-python --all-targets -- -D warnings)
fi

step "generated files (cargo run -p dezky-bindgen -- --check)"
# errors.py and the record TypedDicts are written from the Rust definitions;
# this fails when the committed ones differ (run it without --check to rewrite).
(cd "$ROOT" && cargo run -q -p dezky-bindgen -- --check)

step "build the wheel (release)"
DIST="$(mktemp -d)"
trap 'rm -rf "$DIST"' EXIT
maturin build --release --quiet --out "$DIST" --manifest-path "$HERE/Cargo.toml"
WHEEL="$(ls "$DIST"/dezky-*.whl)"
python - "$WHEEL" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = {"dezky/__init__.py", "dezky/_dezky.pyi", "dezky/py.typed", "dezky/errors.py", "dezky/_error_base.py", "dezky/_authentik_records.py", "dezky/openfeature.py", "dezky/tenant.py", "dezky/auth.py", "dezky/provisioning.py", "dezky/_provisioning_records.py", "dezky/policy.py", "dezky/_policy_records.py", "dezky/branding.py", "dezky/_branding_records.py", "dezky/billing.py", "dezky/_billing_records.py", "dezky/audit.py", "dezky/_audit_records.py", "dezky/members.py", "dezky/_members_records.py", "dezky/domains.py", "dezky/_domains_records.py", "dezky/sso_apps.py", "dezky/_sso_apps_records.py", "dezky/partners.py"}
missing = need - names
assert not missing, f"wheel lacks {sorted(missing)}"
assert any(n.startswith("dezky/_dezky") and n.endswith(".so") for n in names), "wheel lacks the native module"
print(f"wheel ok: {sys.argv[1].rsplit('/', 1)[-1]}")
PY
python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"

step "stub check (mypy.stubtest dezky._dezky)"
# Run outside the source tree so the installed package is the one inspected.
(cd "$DIST" && python -m mypy.stubtest dezky._dezky)

step "mypy --strict (package, tests, bench)"
python -m mypy

step "pytest"
set +e
(cd "$HERE" && python -m pytest -q -p no:cacheprovider "$@")
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    exit "$rc"
fi
python - <<'PY'
import dezky, pathlib
where = pathlib.Path(dezky.__file__).resolve()
assert ".venv" in where.parts, f"tests ran against {where}, not the installed wheel"
PY

step "benchmark smoke run (results checked equal; timings not asserted)"
python "$HERE/bench/evaluate_all.py" --quick
