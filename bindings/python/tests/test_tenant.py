"""`flag_context`: the evaluation context of a tenant, from the control plane's records."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

import dezky

TENANT_ID = "6650f1c2a9b4e3d2c1b0a998"
PARTNER_ID = "6650f1c2a9b4e3d2c1b0aaaa"


def acme(**overrides: Any) -> dict[str, Any]:
    return {"_id": TENANT_ID, "slug": "acme", "plan": "business", **overrides}


NORDIC = {"_id": PARTNER_ID, "slug": "nordic-it"}


def test_a_tenant_without_partner() -> None:
    ctx = dezky.flag_context(acme(), environment="prod")
    assert ctx == {"tenantId": TENANT_ID, "tenantSlug": "acme", "plan": "business", "environment": "prod"}


def test_the_partner_lands_in_the_context_and_evaluates() -> None:
    ctx = dezky.flag_context(acme(partnerId=PARTNER_ID), NORDIC, environment="prod")
    assert ctx["partnerSlug"] == "nordic-it"
    flags = dezky.FlagSet.from_flags(
        [{"key": "partner_only", "state": "targeted", "scope": {"partnerSlugs": ["nordic-it"]}}]
    )
    assert flags.evaluate_all(ctx) == {"partner_only": True}
    assert flags.evaluate_all(dezky.flag_context(acme(), environment="prod")) == {"partner_only": False}


def test_whole_documents_with_id_or_objectid() -> None:
    class ObjectId:  # the shape of bson.ObjectId: str() is the hex form
        def __init__(self, hex: str) -> None:
            self.hex = hex

        def __str__(self) -> str:
            return self.hex

    doc = {
        "_id": ObjectId(TENANT_ID),
        "slug": "acme",
        "plan": "business",
        "partnerId": ObjectId(PARTNER_ID),
        "name": "ACME Corp",
        "createdAt": datetime(2024, 5, 1, tzinfo=timezone.utc),
        "__v": 0,
    }
    partner = {"id": PARTNER_ID, "slug": "nordic-it", "createdAt": datetime.now(timezone.utc)}
    ctx = dezky.flag_context(doc, partner, environment="staging")
    assert ctx["tenantId"] == TENANT_ID and ctx["partnerSlug"] == "nordic-it"
    assert ctx["environment"] == "staging"
    assert dezky.flag_context(acme(partnerId=None), None, environment="prod")["tenantId"] == TENANT_ID


@pytest.mark.parametrize(
    ("tenant", "partner", "environment", "field"),
    [
        (acme(_id="tenant-1"), None, "prod", "tenant.id"),
        (acme(slug=" "), None, "prod", "tenant.slug"),
        (acme(plan=""), None, "prod", "tenant.plan"),
        (acme(), None, " ", "environment"),
        (acme(partnerId=PARTNER_ID), None, "prod", "partner"),
        (acme(partnerId="6650f1c2a9b4e3d2c1b0bbbb"), NORDIC, "prod", "partner"),
        (acme(), NORDIC, "prod", "partner"),
        ({"_id": TENANT_ID, "plan": "business"}, None, "prod", "tenant.slug"),
        (acme(slug=5), None, "prod", "tenant.slug"),
        (acme(), {"_id": PARTNER_ID}, "prod", "partner"),
    ],
)
def test_bad_records_raise_invalid_argument(
    tenant: dict[str, Any], partner: dict[str, Any] | None, environment: str, field: str
) -> None:
    with pytest.raises(dezky.InvalidArgumentError) as info:
        dezky.flag_context(tenant, partner, environment=environment)
    err = info.value
    assert type(err) is dezky.InvalidArgumentError
    assert err.code == "DEZKY_INVALID_ARGUMENT"
    assert err.field == field and err.argument == field.split(".")[0]
    assert isinstance(err, ValueError)


def test_wrong_python_types_are_argument_type_errors() -> None:
    with pytest.raises(dezky.ArgumentTypeError) as info:
        dezky.flag_context("acme", environment="prod")  # type: ignore[arg-type]
    assert info.value.code == "DEZKY_INVALID_ARGUMENT" and info.value.argument == "tenant"
    with pytest.raises(dezky.ArgumentTypeError):
        dezky.flag_context(acme(), ["nordic"], environment="prod")  # type: ignore[arg-type]
    with pytest.raises(dezky.ArgumentTypeError):
        dezky.flag_context(acme(), environment=None)  # type: ignore[arg-type]
    with pytest.raises(dezky.ArgumentTypeError):
        dezky.flag_context(acme())  # type: ignore[call-arg]
