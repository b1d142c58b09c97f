"""Prints the HTTP client overhead as ratios, from criterion's output of one run.

cargo bench --bench http_client && python3 benches/http_report.py
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"


def median_ns(*parts):
    path = ROOT.joinpath(*parts, "new", "estimates.json")
    return json.loads(path.read_text())["median"]["point_estimate"]


def main():
    print("| request | bare reqwest | dezky HttpClient | dezky / bare |")
    print("|---|---|---|---|")
    for group in ("http_get", "http_post_json"):
        bare = median_ns(group, "bare_reqwest")
        ours = median_ns(group, "dezky_http_client")
        print(f"| {group} | {bare / 1000:.1f} µs | {ours / 1000:.1f} µs | {ours / bare:.3f}x |")
    print("\nAlternating batches (robust to changes in machine load):\n")
    print("| request | rounds x batch | bare reqwest | dezky HttpClient | median per-round ratio |")
    print("|---|---|---|---|---|")
    for name, p in json.loads((ROOT / "http_paired.json").read_text()).items():
        print(
            f"| {name} | {p['rounds']} x {p['batch']} | {p['bare_ns'] / 1000:.1f} µs "
            f"| {p['dezky_ns'] / 1000:.1f} µs | {p['median_ratio']:.3f}x |"
        )


if __name__ == "__main__":
    main()
