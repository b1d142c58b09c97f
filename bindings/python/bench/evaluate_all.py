"""evaluate_all through the binding vs a pure-Python implementation of the same
semantics (hashlib), for 10, 100 and 1,000 flags of which a third are rollouts.

Run: python bench/evaluate_all.py [--quick]
Both sides get the same flags and contexts; the pure-Python side gets its flags
pre-parsed into tuples once (its best case), and the results are checked equal
before timing.
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dezky

AXES = (("plans", "plan"), ("tenantSlugs", "tenantSlug"), ("partnerSlugs", "partnerSlug"), ("environments", "environment"))
PLANS = ["starter", "business", "enterprise"]
ENVS = ["prod", "staging", "dev"]
PARTNERS = ["nordic-it", "acme-partners", "cloudco"]


def make_flags(n: int, rng: random.Random) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    for i in range(n):
        kind = i % 3
        scope: dict[str, list[str]] = {}
        if kind == 0:  # a third are rollouts, some scoped
            state = "rollout"
            pct = rng.randint(1, 99)
            if rng.random() < 0.3:
                scope["environments"] = ["prod"]
        elif kind == 1:
            state = "targeted"
            pct = 0
            scope["plans"] = rng.sample(PLANS, rng.randint(1, 2))
            if rng.random() < 0.3:
                scope["partnerSlugs"] = [rng.choice(PARTNERS)]
        else:
            state = rng.choice(["on", "off"])
            pct = 0
        flags.append({"key": f"feature_{i}_x", "description": "", "state": state, "pct": pct, "scope": scope})
    return flags


def make_contexts(n: int, rng: random.Random) -> list[dict[str, str]]:
    out = []
    for _ in range(n):
        ctx = {
            "tenantId": "%024x" % rng.getrandbits(96),
            "tenantSlug": f"tenant-{rng.randint(0, 999)}",
            "plan": rng.choice(PLANS),
            "environment": rng.choice(ENVS),
        }
        if rng.random() < 0.5:
            ctx["partnerSlug"] = rng.choice(PARTNERS)
        out.append(ctx)
    return out


# --- the pure-Python reference -------------------------------------------------

Compiled = tuple[str, str, int, tuple[tuple[str, frozenset[str]], ...]]


def compile_flags(flags: Sequence[Mapping[str, Any]]) -> list[Compiled]:
    out = []
    for f in flags:
        scope = f.get("scope") or {}
        axes = tuple((field, frozenset(scope[name])) for name, field in AXES if scope.get(name))
        out.append((f["key"], f["state"], int(f.get("pct") or 0), axes))
    return out


def bucket(subject: str, key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{subject}:{key}".encode()).digest()[:4], "big") % 100


def py_evaluate_all(flags: list[Compiled], ctx: Mapping[str, str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    tenant = ctx.get("tenantId")
    for key, state, pct, axes in flags:
        if state == "on":
            out[key] = True
        elif state == "off":
            out[key] = False
        else:
            matches = all(ctx.get(field) in values for field, values in axes)
            if state == "targeted":
                out[key] = bool(axes) and matches
            else:
                out[key] = matches and tenant is not None and bucket(tenant, key) < pct
    return out


# --- timing ----------------------------------------------------------------------


def per_call(fn: Callable[[Mapping[str, str]], object], contexts: list[dict[str, str]], budget: float) -> float:
    """Seconds per call: the best of 5 rounds over all contexts, scaled to the budget."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            for ctx in contexts:
                fn(ctx)
        elapsed = time.perf_counter() - start
        if elapsed > budget / 10:
            break
        loops *= 2
    best = elapsed
    for _ in range(4):
        start = time.perf_counter()
        for _ in range(loops):
            for ctx in contexts:
                fn(ctx)
        best = min(best, time.perf_counter() - start)
    return best / (loops * len(contexts))


def main() -> int:
    quick = "--quick" in sys.argv
    budget = 0.2 if quick else 1.0
    rng = random.Random(20260301)
    contexts = make_contexts(200, rng)
    print(f"dezky {dezky.__version__}, Python {sys.version.split()[0]}; best of 5, per call")
    print(f"{'flags':>6} {'binding':>12} {'store':>12} {'pure Python':>13} {'ratio':>8}")
    ratios: dict[int, float] = {}
    for n in (10, 100, 1000):
        docs = make_flags(n, rng)
        flags = dezky.FlagSet.from_flags(docs)
        store = dezky.FlagStore(flags)
        compiled = compile_flags(docs)
        for ctx in contexts:  # same semantics first
            expected = py_evaluate_all(compiled, ctx)
            assert flags.evaluate_all(ctx) == expected, ctx
            assert store.evaluate_all(ctx) == expected, ctx
        native = per_call(flags.evaluate_all, contexts, budget)
        via_store = per_call(store.evaluate_all, contexts, budget)
        python = per_call(lambda c: py_evaluate_all(compiled, c), contexts, budget)
        ratios[n] = python / native
        print(
            f"{n:>6} {native * 1e6:>10.2f}µs {via_store * 1e6:>10.2f}µs {python * 1e6:>11.2f}µs {ratios[n]:>7.1f}x"
        )
    print(f"target: >= 10x at 100 flags: {'met' if ratios[100] >= 10 else 'NOT met'} ({ratios[100]:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
