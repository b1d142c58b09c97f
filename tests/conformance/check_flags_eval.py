"""Checks the flags_eval example from outside: its output (stdin) must match this
directory's independent implementation of the flag contract.

cargo run --example flags_eval -- FLAGS CONTEXTS | python3 check_flags_eval.py FLAGS CONTEXTS
"""

import json
import sys

from generate import evaluate


def main():
    flags = json.load(open(sys.argv[1]))
    contexts = json.load(open(sys.argv[2]))
    lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
    if len(lines) != len(contexts):
        sys.exit(f"expected {len(contexts)} lines, got {len(lines)}")
    for ctx, line in zip(contexts, lines):
        got = json.loads(line)
        want = {f["key"]: evaluate(flags, f["key"], ctx)["value"] for f in flags}
        if got != want or list(got) != list(want):
            sys.exit(f"mismatch for {ctx}:\n got  {got}\n want {want}")
    print(f"flags_eval: {len(lines)} passed, 0 failed")


if __name__ == "__main__":
    main()
