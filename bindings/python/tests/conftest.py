from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dezky

TENANT = "6650f1c2a9b4e3d2c1b0a998"

FLAGS: list[dict[str, Any]] = [
    {"key": "gdpr_export_v2", "description": "GDPR export", "state": "rollout", "pct": 25, "scope": {}},
    {"key": "jmap_native_v2", "state": "targeted", "scope": {"plans": ["business"]}},
    {"key": "new_billing_engine", "state": "rollout", "pct": 10, "scope": {}},
    {"key": "always_on", "state": "on", "_id": "abc123"},
    {"key": "never", "state": "off"},
    {
        "key": "partner_only",
        "state": "targeted",
        "scope": {"partnerSlugs": ["nordic-it"], "environments": ["prod"]},
    },
    {"key": "user_beta", "state": "rollout", "pct": 100, "level": "user", "scope": {}},
]


@pytest.fixture
def flags() -> dezky.FlagSet:
    return dezky.FlagSet.from_flags(FLAGS)


@pytest.fixture
def flag_file(tmp_path: Path) -> Path:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(FLAGS))
    return path
