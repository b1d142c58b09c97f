#!/usr/bin/env python3
"""Counts the hand-written, non-test lines of the bindings at a commit.

    python3 scripts/binding_lines.py [REV]      # default HEAD

Counted: git-tracked .rs/.mjs/.cjs/.ts/.py/.pyi files under the binding
sources (the list below). Left out: files whose first five lines say
`@generated` (each generator's check fails the tests when its output drifts),
and in Rust files everything from a top-level `#[cfg(test)]` on (the inline
test modules stand at the end of a file in this tree). Every line counts,
blank and comment lines too, so the figure is `wc -l` of what is kept.
"""

import subprocess
import sys

ROOTS = (
    "bindings/node/src",
    "bindings/node/lib",
    "bindings/python/src",
    "bindings/python/python",
    "bindings/uniffi/src",
)
SUFFIXES = (".rs", ".mjs", ".cjs", ".ts", ".py", ".pyi")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def count(rev: str) -> tuple[int, dict[str, int]]:
    files = [f for f in git("ls-tree", "-r", "--name-only", rev, "--", *ROOTS).splitlines() if f.endswith(SUFFIXES)]
    per_file: dict[str, int] = {}
    for path in files:
        lines = git("show", f"{rev}:{path}").splitlines()
        if any("@generated" in line for line in lines[:5]):
            continue
        if path.endswith(".rs"):
            for i, line in enumerate(lines):
                if line.startswith("#[cfg(test)]"):
                    lines = lines[:i]
                    break
        per_file[path] = len(lines)
    return sum(per_file.values()), per_file


def main() -> None:
    rev = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    total, per_file = count(rev)
    for path, n in sorted(per_file.items(), key=lambda kv: kv[1]):
        print(f"{n:6} {path}")
    print(f"{total:6} total at {rev}")


if __name__ == "__main__":
    main()
