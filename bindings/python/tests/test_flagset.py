from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import dezky
from conftest import FLAGS, TENANT


def test_from_json_and_round_trip(flags: dezky.FlagSet) -> None:
    again = dezky.FlagSet.from_json(flags.to_json())
    assert again == flags
    assert len(again) == len(FLAGS)
    assert json.loads(flags.to_json())[3]["_id"] == "abc123"  # unknown fields survive


def test_empty_set() -> None:
    empty = dezky.FlagSet()
    assert len(empty) == 0
    assert empty.evaluate_all(tenant_id=TENANT) == {}
    assert dezky.FlagSet([]) == empty


def test_flags_get_keys_contains(flags: dezky.FlagSet) -> None:
    docs = flags.flags()
    assert [d["key"] for d in docs] == flags.keys() == [f["key"] for f in FLAGS]
    assert docs[0]["state"] == "rollout" and docs[0]["pct"] == 25
    assert docs[0]["scope"] == {"plans": [], "tenantSlugs": [], "partnerSlugs": [], "environments": []}
    got = flags.get("jmap_native_v2")
    assert got is not None and got["scope"]["plans"] == ["business"]
    assert flags.get("no_such_flag") is None
    assert "always_on" in flags and "nope" not in flags and 3 not in flags
    assert repr(flags) == "FlagSet(<7 flags>)"


def test_evaluate_contract_vectors(flags: dezky.FlagSet) -> None:
    result = flags.evaluate("gdpr_export_v2", {"tenantId": TENANT})
    assert result == {
        "key": "gdpr_export_v2",
        "value": True,
        "reason": "in_rollout",
        "bucket": 12,
        "killed": False,
        "variant": "on",
    }
    billing = flags.evaluate("new_billing_engine", tenant_id=TENANT)
    assert billing["value"] is False and billing["reason"] == "out_of_rollout" and billing["bucket"] == 29
    assert billing["variant"] == "off"


def test_evaluate_reasons(flags: dezky.FlagSet) -> None:
    assert flags.evaluate("always_on")["reason"] == "on"
    assert flags.evaluate("never")["reason"] == "off"
    assert flags.evaluate("jmap_native_v2", plan="business")["reason"] == "targeting_match"
    assert flags.evaluate("jmap_native_v2", plan="starter")["reason"] == "not_targeted"
    assert flags.evaluate("gdpr_export_v2")["reason"] == "subject_missing"
    missing = flags.evaluate("no_such_flag", tenant_id=TENANT)
    assert missing == {
        "key": "no_such_flag",
        "value": False,
        "reason": "flag_not_found",
        "killed": False,
        "variant": "off",
    }
    assert "bucket" not in flags.evaluate("always_on")


def test_user_level_flags(flags: dezky.FlagSet) -> None:
    assert flags.evaluate("user_beta", tenant_id=TENANT)["reason"] == "subject_missing"
    assert flags.evaluate("user_beta", {"userId": "u-1"})["value"] is True


def test_evaluate_all(flags: dezky.FlagSet) -> None:
    ctx = {"tenantId": TENANT, "plan": "business", "partnerSlug": "nordic-it", "environment": "prod"}
    result = flags.evaluate_all(ctx)
    assert list(result) == flags.keys()
    assert result == {
        "gdpr_export_v2": True,
        "jmap_native_v2": True,
        "new_billing_engine": False,
        "always_on": True,
        "never": False,
        "partner_only": True,
        "user_beta": False,
    }
    for key, value in result.items():
        assert flags.evaluate(key, ctx)["value"] is value
    # the same call twice gives equal, independent dicts
    again = flags.evaluate_all(ctx)
    assert again == result and again is not result


def test_context_as_keywords_matches_dict(flags: dezky.FlagSet) -> None:
    by_dict = flags.evaluate_all(
        {
            "tenantId": TENANT,
            "tenantSlug": "acme",
            "plan": "business",
            "partnerSlug": "nordic-it",
            "environment": "prod",
            "userId": "u-1",
        }
    )
    by_kwargs = flags.evaluate_all(
        tenant_id=TENANT,
        tenant_slug="acme",
        plan="business",
        partner_slug="nordic-it",
        environment="prod",
        user_id="u-1",
    )
    assert by_dict == by_kwargs
    # keywords win over the dict; None means absent
    assert flags.evaluate("jmap_native_v2", {"plan": "business"}, plan="starter")["value"] is False
    assert flags.evaluate("jmap_native_v2", {"plan": "business"}, plan=None)["value"] is False
    assert flags.evaluate("jmap_native_v2", {"plan": None})["value"] is False


AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_kill_switch(flags: dezky.FlagSet) -> None:
    killed, event = flags.kill("gdpr_export_v2", "ops@dezky.example", at=AT)
    assert event["action"] == "flag.kill_switch"
    assert event["actorEmail"] == "ops@dezky.example"
    assert event["at"] == "2026-03-01T12:00:00.000Z"
    assert event["targetId"] == "gdpr_export_v2"
    assert event["before"]["state"] == "rollout" and event["after"] == {**event["after"], "state": "off", "pct": 0}
    result = killed.evaluate("gdpr_export_v2", tenant_id=TENANT)
    assert result["value"] is False and result["killed"] is True and result["reason"] == "off"
    doc = killed.get("gdpr_export_v2")
    assert doc is not None and doc["history"][0]["action"] == "kill_switch"
    # the original set is unchanged
    assert flags.evaluate("gdpr_export_v2", tenant_id=TENANT)["value"] is True


def test_update_with_history(flags: dezky.FlagSet) -> None:
    updated, event = flags.update("new_billing_engine", {"pct": 30}, "dev@dezky.example", at=AT)
    assert event is not None and event["action"] == "flag.update"
    assert event["before"]["pct"] == 10 and event["after"]["pct"] == 30
    assert updated.evaluate("new_billing_engine", tenant_id=TENANT)["value"] is True  # bucket 29 < 30
    doc = updated.get("new_billing_engine")
    assert doc is not None and doc["history"][0]["actor"] == "dev@dezky.example"
    same, none = updated.update("new_billing_engine", {"pct": 30}, "dev@dezky.example")
    assert none is None and same == updated
    assert same is updated  # nothing changed: the very same set (as in Node)
    scoped, _ = flags.update("never", {"state": "targeted", "scope": {"plans": ["starter"]}}, "a@b.c")
    assert scoped.evaluate("never", plan="starter")["value"] is True


def test_create_and_delete(flags: dezky.FlagSet) -> None:
    created, event = flags.create("brand_new", "A new thing", "dev@dezky.example", at=AT)
    assert event["action"] == "flag.create" and event["before"] is None
    doc = created.get("brand_new")
    assert doc is not None and doc["state"] == "off" and doc["description"] == "A new thing"
    assert doc["history"][0]["action"] == "create"
    assert len(created) == len(flags) + 1
    deleted, gone = created.delete("brand_new", "dev@dezky.example")
    assert gone["action"] == "flag.delete" and gone["after"] is None
    assert deleted == flags


def test_history_is_capped(flags: dezky.FlagSet) -> None:
    current = flags
    for pct in range(1, 26):
        current, _ = current.update("new_billing_engine", {"pct": pct}, "dev@dezky.example")
    doc = current.get("new_billing_engine")
    assert doc is not None and len(doc["history"]) == 20
    assert doc["history"][0]["after"]["pct"] == 25


def test_bucket_vectors() -> None:
    assert dezky.bucket(TENANT, "gdpr_export_v2") == 12
    assert dezky.bucket(TENANT, "new_billing_engine") == 29
    assert dezky.bucket("665a00000000000000000001", "jmap_native_v2") == 6
    assert dezky.bucket("tenant-1", "x") == 81


def test_preview_rollout() -> None:
    flag = {"key": "gdpr_export_v2", "state": "rollout", "pct": 25, "scope": {"plans": ["business"]}}
    tenants = [
        {"tenantId": TENANT, "plan": "business"},  # bucket 12: in
        {"tenantId": TENANT, "plan": "starter"},  # out of scope
        {"plan": "business"},  # no subject
    ]
    assert dezky.preview_rollout(flag, tenants) == {"total": 3, "enabled_count": 1, "enabled": [0]}
    assert dezky.preview_rollout(flag, []) == {"total": 0, "enabled_count": 0, "enabled": []}


def test_reasons_and_openfeature_mapping() -> None:
    assert dezky.reasons() == [
        "off",
        "on",
        "targeting_match",
        "not_targeted",
        "in_rollout",
        "out_of_rollout",
        "subject_missing",
        "flag_not_found",
    ]
    assert dezky.openfeature_reason("in_rollout") == "SPLIT"
    assert dezky.openfeature_reason("off") == "DISABLED"
    assert dezky.openfeature_reason("flag_not_found") == "ERROR"


def test_version() -> None:
    assert dezky.__version__ == "0.1.0"


def test_flagset_not_hashable(flags: dezky.FlagSet) -> None:
    with pytest.raises(TypeError):
        hash(flags)
