"""The shared conformance vectors (tests/conformance/flags.json at the repo root),
run through FlagSet.evaluate and FlagSet.evaluate_all, like every binding."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import dezky

DEFAULT = Path(__file__).resolve().parents[3] / "tests" / "conformance" / "flags.json"
PATH = Path(os.environ.get("DEZKY_CONFORMANCE", str(DEFAULT)))


def load() -> dict[str, Any]:
    if not PATH.is_file():
        pytest.fail(f"conformance file missing: {PATH} (set DEZKY_CONFORMANCE to point elsewhere)")
    data: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return data


def test_file_has_every_section() -> None:
    doc = load()
    assert len(doc["bucketVectors"]) >= 4
    assert doc["cases"]
    assert doc["invalid"]


def test_bucket_vectors() -> None:
    for vector in load()["bucketVectors"]:
        assert dezky.bucket(vector["subject"], vector["key"]) == vector["bucket"], vector


def test_evaluation_cases() -> None:
    checked = 0
    for case in load()["cases"]:
        name = case["name"]
        flags = dezky.FlagSet.from_flags(case["flags"])
        assert dezky.FlagSet.from_json(flags.to_json()) == flags, name
        for run in case["contexts"]:
            ctx = run["context"]
            every = flags.evaluate_all(ctx)
            assert list(every) == flags.keys(), name
            for key, want in run["expected"].items():
                got = flags.evaluate(key, ctx)
                assert (got["value"], got["reason"]) == (want["value"], want["reason"]), f"{name}: {key} for {ctx}"
                assert got["variant"] == ("on" if want["value"] else "off")
                if want["reason"] == "flag_not_found":
                    assert key not in every, f"{name}: {key}"
                else:
                    assert every[key] is want["value"], f"{name}: evaluate_all {key} for {ctx}"
                checked += 1
            # the same through a store and through keyword arguments
            store = dezky.FlagStore(flags)
            assert store.evaluate_all(ctx) == every, name
            kwargs = {
                snake: ctx[camel]
                for camel, snake in (
                    ("tenantId", "tenant_id"),
                    ("tenantSlug", "tenant_slug"),
                    ("plan", "plan"),
                    ("partnerSlug", "partner_slug"),
                    ("environment", "environment"),
                    ("userId", "user_id"),
                )
                if camel in ctx
            }
            assert flags.evaluate_all(**kwargs) == every, name
    assert checked > 150, f"only {checked} expectations checked"


def test_invalid_flag_sets() -> None:
    for case in load()["invalid"]:
        with pytest.raises(dezky.DezkyError) as info:
            dezky.FlagSet.from_json(case["json"])
        err = info.value
        assert err.code == case["code"], case["name"]
        assert type(err) is dezky.errors.error_class(case["code"]), case["name"]
        if "flag" in case:
            assert getattr(err, "flag") == case["flag"], case["name"]
        if "field" in case:
            assert getattr(err, "field") == case["field"], case["name"]
