#!/usr/bin/env bash
# Proves the repository is self-sufficient for its tests: clones the committed
# HEAD into an empty folder with nothing beside it and runs every test that reads
# an upstream's official document (the contract checks and the client tests)
# there. The build directory is shared with the main run (CARGO_TARGET_DIR), so
# only the workspace's own crates are compiled again.
#
#   bash scripts/bare-clone-check.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
start=$SECONDS

# Nothing the repository tracks may point outside it for a document.
if git -C "$ROOT" grep -n -e '\.\./shared' -e 'shared/specs' -- ':!scripts/bare-clone-check.sh'; then
    echo "bare-clone-check: the files above refer to a folder outside the repository" >&2
    exit 1
fi

parent="$(mktemp -d)"
trap 'rm -rf "$parent"' EXIT
git clone --quiet --no-local "$ROOT" "$parent/sdk"
echo "bare-clone-check: cloned $(git -C "$parent/sdk" rev-parse --short HEAD) into $parent/sdk (alone in its folder)"
ls -A "$parent"

cd "$parent/sdk"
# DEZKY_SPECS_DIR would point the tests elsewhere: the point is that they need nothing.
env -u DEZKY_SPECS_DIR CARGO_TARGET_DIR="$TARGET" \
    cargo test --quiet -p dezky-contract -p dezky-clients --no-fail-fast
echo "bare-clone-check: passed in $((SECONDS - start)) s"
