"""Prints the flag benchmark figures as ratios, from criterion's output of one run.

cargo bench --bench flags && python3 benches/report.py
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"


def median_ns(*parts):
    path = ROOT.joinpath(*parts, "new", "estimates.json")
    return json.loads(path.read_text())["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.1f} ns"


def main():
    print("| benchmark | median |")
    print("|---|---|")
    for fn in ("evaluate", "is_enabled"):
        for state in ("state_off", "state_on", "state_targeted", "state_rollout"):
            print(f"| evaluate_one/{fn}/{state} | {fmt(median_ns('evaluate_one', fn, state))} |")
    b, s = median_ns("bucket", "bucket"), median_ns("bucket", "sha256_same_bytes")
    print(f"| bucket | {fmt(b)} |\n| SHA-256 of the same bytes | {fmt(s)} |")
    print(f"\nbucket / bare SHA-256: {b / s:.2f}x\n")
    print("| flags | dezky evaluate_all | SHA-256 floor (rollout flags) | dezky / floor "
          "| Unleash resolve_all | Unleash / dezky | Unleash check_enabled per flag | that / dezky |")
    print("|---|---|---|---|---|---|---|---|")
    for n in ("10", "100", "1000"):
        ours = median_ns("evaluate_all", "dezky", n)
        floor = median_ns("evaluate_all", "sha256_floor", n)
        resolve = median_ns("evaluate_all", "unleash_resolve_all", n)
        each = median_ns("evaluate_all", "unleash_check_enabled_each", n)
        print(f"| {n} | {fmt(ours)} | {fmt(floor)} | {ours / floor:.2f}x | {fmt(resolve)} | "
              f"{resolve / ours:.1f}x | {fmt(each)} | {each / ours:.1f}x |")
    memory = ROOT / "memory.txt"
    if memory.exists():
        print("\n" + memory.read_text().strip())


if __name__ == "__main__":
    main()
