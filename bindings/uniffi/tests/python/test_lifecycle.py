"""The pure part of the tenant lifecycle through the UniFFI Python output:
slugs, a new tenant's document, the status machine and version-guarded
patches (docs/lifecycle.md). Mirrors lifecycle() in tests/kotlin/Main.kt."""

import datetime
import json

import pytest

from dezky_ffi.dezky_uniffi import (
    Actor,
    DezkyError,
    LifecycleAction,
    Surface,
    TenantStatus,
    apply_tenant_patch,
    new_pending_tenant,
    parse_tenant_slug,
    ready_to_activate,
    require_tenant_member,
    transition_tenant,
)

ID = "6650f1c2a9b4e3d2c1b0a998"
ACTOR = "ops@dezky.eu"
AT = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)
STAMP = "2023-11-14T22:13:20.000Z"
NAME = {TenantStatus.PENDING: "pending", TenantStatus.ACTIVE: "active",
        TenantStatus.SUSPENDED: "suspended", TenantStatus.DELETED: "deleted"}
SETTLED = {"authentik": "ok", "stalwart": "ok", "ocis": "ok", "stripe": "ok", "onboarding": "skipped"}


def pending():
    return new_pending_tenant(ID, "acme", "Acme Co", "business")


def settled():
    document = json.loads(pending())
    document["provisioningStatus"] = SETTLED
    return json.dumps(document)


def with_status(status, version=2):
    return json.dumps({"_id": ID, "slug": "acme", "status": status, "__v": version})


def test_a_slug_is_checked_and_returned():
    assert parse_tenant_slug("nordic-it-2") == "nordic-it-2"


@pytest.mark.parametrize("slug", ["a", "Acme", "acme.io", "2acme", "acme-", "ac--me", "dezky", "dezky-platform-admins", "admin", ""])
def test_a_bad_slug_is_invalid_with_its_reason(slug):
    with pytest.raises(DezkyError.Invalid) as info:
        parse_tenant_slug(slug)
    error = info.value
    assert error.code() == "DEZKY_INVALID_ARGUMENT"
    assert (error.argument, error.field) == ("slug", "slug")
    assert error.reason and error.reason in str(error)


def test_a_new_tenant_is_pending_at_version_0():
    document = json.loads(pending())
    assert document["_id"] == ID
    assert (document["slug"], document["name"], document["plan"]) == ("acme", "Acme Co", "business")
    assert document["status"] == "pending"
    assert document["__v"] == 0
    assert document["provisioningStatus"] == {}
    assert ready_to_activate(pending()) is False


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((ID, "Acme", "Acme", "pro"), "tenant.slug"),
        (("not-an-id", "acme", "Acme", "pro"), "tenant.id"),
        ((ID, "acme", " ", "pro"), "tenant.name"),
        ((ID, "acme", "Acme", ""), "tenant.plan"),
    ],
)
def test_a_new_tenant_refuses_bad_arguments(args, field):
    with pytest.raises(DezkyError.Invalid) as info:
        new_pending_tenant(*args)
    assert info.value.field == field


def test_the_whole_life_pending_active_suspended_active_deleted():
    document = settled()
    assert ready_to_activate(document) is True
    steps = [
        (LifecycleAction.ACTIVATE, TenantStatus.PENDING, TenantStatus.ACTIVE, {"status": "active"}, None),
        (LifecycleAction.SUSPEND, TenantStatus.ACTIVE, TenantStatus.SUSPENDED, {"status": "suspended", "suspendedAt": STAMP}, None),
        (LifecycleAction.RESUME, TenantStatus.SUSPENDED, TenantStatus.ACTIVE, {"status": "active"}, {"suspendedAt": ""}),
        (LifecycleAction.DELETE, TenantStatus.ACTIVE, TenantStatus.DELETED, {"status": "deleted", "deletedAt": STAMP}, None),
    ]
    for version, (action, before, after, set_, unset) in enumerate(steps):
        t = transition_tenant(document, action, ACTOR, AT)
        assert (t.action, t.from_status, t.to_status) == (action, before, after)
        patch = json.loads(t.patch_json)
        assert patch["tenantId"] == ID
        assert patch["expectedVersion"] == version
        assert patch["filter"] == {"_id": {"$oid": ID}, "__v": version}
        assert patch["update"]["$set"] == set_
        assert patch["update"].get("$unset") == unset
        assert patch["update"]["$inc"] == {"__v": 1}
        event = json.loads(t.event_json)
        assert event["action"] == "tenant." + action.name.lower()
        assert (event["outcome"], event["actorEmail"], event["at"]) == ("success", ACTOR, STAMP)
        assert (event["targetType"], event["targetId"], event["tenantId"]) == ("tenant", "acme", ID)
        assert event["metadata"] == {"from": NAME[before], "to": NAME[after]}
        document = apply_tenant_patch(document, t.patch_json)
        stored = json.loads(document)
        assert stored["status"] == NAME[after]
        assert stored["__v"] == version + 1
        assert ("suspendedAt" in stored) == (after == TenantStatus.SUSPENDED)
    stored = json.loads(document)
    assert stored["deletedAt"] == STAMP
    assert stored["provisioningStatus"] == SETTLED


def test_deprovision_keeps_deleted_and_stamps_the_time():
    t = transition_tenant(with_status("deleted"), LifecycleAction.DEPROVISION, ACTOR, AT)
    assert (t.from_status, t.to_status) == (TenantStatus.DELETED, TenantStatus.DELETED)
    assert json.loads(t.patch_json)["update"]["$set"] == {"status": "deleted", "deprovisionedAt": STAMP}


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("deleted", LifecycleAction.RESUME),
        ("pending", LifecycleAction.SUSPEND),
        ("active", LifecycleAction.ACTIVATE),
        ("suspended", LifecycleAction.SUSPEND),
        ("active", LifecycleAction.DEPROVISION),
    ],
)
def test_an_illegal_transition_has_its_details(status, action):
    with pytest.raises(DezkyError.IllegalTransition) as info:
        transition_tenant(with_status(status), action, ACTOR, AT)
    error = info.value
    assert error.code() == "DEZKY_ILLEGAL_TRANSITION"
    assert error.from_status == status
    assert error.action == action.name.lower()
    assert error.details["from_status"].value == status
    assert error.details["action"].value == error.action
    assert status in str(error) and error.action in str(error)


def test_activation_waits_for_every_step():
    with pytest.raises(DezkyError.Invalid) as info:
        transition_tenant(pending(), LifecycleAction.ACTIVATE, ACTOR, AT)
    assert info.value.field == "tenant.provisioningStatus"
    assert info.value.reason.endswith("authentik, stalwart, ocis, stripe, onboarding")


def test_the_stale_patch_is_a_version_conflict_and_changes_nothing():
    document = settled()
    first = transition_tenant(document, LifecycleAction.ACTIVATE, ACTOR, AT)
    second = transition_tenant(document, LifecycleAction.DELETE, ACTOR, AT)
    written = apply_tenant_patch(document, first.patch_json)
    with pytest.raises(DezkyError.VersionConflict) as info:
        apply_tenant_patch(written, second.patch_json)
    error = info.value
    assert error.code() == "DEZKY_VERSION_CONFLICT"
    assert (error.tenant, error.expected_version) == (ID, 0)
    assert error.details["tenant"].value == ID
    assert error.details["expected_version"].value == 0
    assert json.loads(written)["status"] == "active"


def test_a_document_without_a_version_conflicts_without_expected_version():
    unversioned = json.dumps({"_id": ID, "slug": "acme", "status": "active"})
    t = transition_tenant(unversioned, LifecycleAction.SUSPEND, ACTOR, AT)
    assert json.loads(t.patch_json)["filter"]["__v"] == {"$exists": False}
    with pytest.raises(DezkyError.VersionConflict) as info:
        apply_tenant_patch(with_status("active", 5), t.patch_json)
    assert info.value.expected_version is None
    assert "expected_version" not in info.value.details
    assert json.loads(apply_tenant_patch(unversioned, t.patch_json))["__v"] == 1


MALFORMED = [
    # (name, variant, field or None, call)
    ("tenant not JSON", DezkyError.MalformedJson, None,
     lambda: transition_tenant("{", LifecycleAction.DELETE, ACTOR, AT)),
    ("tenant empty", DezkyError.MalformedJson, None, lambda: ready_to_activate("")),
    ("tenant an array", DezkyError.Invalid, "tenant", lambda: ready_to_activate("[]")),
    ("tenant without id", DezkyError.Invalid, "tenant.id",
     lambda: transition_tenant('{"slug": "acme", "status": "active"}', LifecycleAction.SUSPEND, ACTOR, AT)),
    ("unknown status", DezkyError.Invalid, "tenant.status",
     lambda: transition_tenant(with_status("archived"), LifecycleAction.DELETE, ACTOR, AT)),
    ("bad step", DezkyError.Invalid, "tenant.provisioningStatus.backup",
     lambda: ready_to_activate(json.dumps({"_id": ID, "slug": "a1", "status": "pending", "provisioningStatus": {"backup": "ok"}}))),
    ("bad version", DezkyError.Invalid, "tenant.__v",
     lambda: apply_tenant_patch(json.dumps({"_id": ID, "slug": "acme", "status": "active", "__v": "1"}), "{}")),
    ("patch not JSON", DezkyError.MalformedJson, None, lambda: apply_tenant_patch(with_status("active"), "{")),
    ("patch without tenantId", DezkyError.Invalid, "patch.tenantId", lambda: apply_tenant_patch(with_status("active"), "{}")),
    ("patch with another operator", DezkyError.Invalid, "patch.update.$rename",
     lambda: apply_tenant_patch(with_status("active"), json.dumps({"tenantId": ID, "expectedVersion": 2, "update": {"$rename": {"a": "b"}}}))),
    ("patch with a bad version", DezkyError.Invalid, "patch.expectedVersion",
     lambda: apply_tenant_patch(with_status("active"), json.dumps({"tenantId": ID, "expectedVersion": -1}))),
    ("blank actor", DezkyError.InvalidArgument, None,
     lambda: transition_tenant(with_status("active"), LifecycleAction.SUSPEND, " ", AT)),
    ("time before 1970", DezkyError.InvalidArgument, None,
     lambda: transition_tenant(with_status("active"), LifecycleAction.SUSPEND, ACTOR,
                               datetime.datetime(1969, 12, 31, tzinfo=datetime.timezone.utc))),
]


@pytest.mark.parametrize(("kind", "field", "call"), [pytest.param(k, f, c, id=n) for n, k, f, c in MALFORMED])
def test_bad_input_is_a_typed_error(kind, field, call):
    with pytest.raises(kind) as info:
        call()
    error = info.value
    assert error.code() in ("DEZKY_MALFORMED_JSON", "DEZKY_INVALID_ARGUMENT")
    assert str(error)
    if field is not None:
        assert error.field == field


def test_a_refused_time_and_actor_name_their_argument():
    with pytest.raises(DezkyError.InvalidArgument) as info:
        transition_tenant(with_status("active"), LifecycleAction.SUSPEND, ACTOR,
                          datetime.datetime(1960, 1, 1, tzinfo=datetime.timezone.utc))
    assert info.value.argument == "at"
    with pytest.raises(DezkyError.InvalidArgument) as info:
        transition_tenant(with_status("active"), LifecycleAction.SUSPEND, "", AT)
    assert info.value.argument == "actor"


def test_a_tenant_inactive_error_carries_its_details():
    # No lifecycle function refuses with it; the authorization rules do, for a
    # member of a suspended tenant.
    member = json.dumps({"_id": "6650f1c2a9b4e3d2c1b0a9b1", "authentikSubjectId": "ak-1", "tenantIds": [ID]})
    with pytest.raises(DezkyError.TenantInactive) as info:
        require_tenant_member(Actor(subject="ak-1", surface=Surface.PORTAL), member, with_status("suspended"))
    error = info.value
    assert error.code() == "DEZKY_TENANT_INACTIVE"
    assert (error.tenant, error.slug, error.from_status) == (ID, "acme", "suspended")
    assert error.details["slug"].value == "acme"
