"""pytest of the UniFFI Python output: the shared conformance vectors
(tests/conformance/flags.json), the control plane's domain rules (flag context,
authorization), plus bad input to every exported function.

UniFFI's Python module is a test vehicle for the bindings (the Python API of the
SDK is bindings/python); these tests mirror tests/kotlin/Main.kt.
"""

import json
import os
import pathlib

import pytest

from dezky_ffi.dezky_flags import Evaluation, EvaluationContext, Reason
from dezky_ffi.dezky_uniffi import (
    Actor,
    DezkyError,
    FlagSet,
    Surface,
    bucket,
    bucket_prefix,
    context_from_json,
    create_flag,
    flag_context,
    kill_switch,
    openfeature_reason,
    preview_rollout,
    reason_name,
    require_can_force_logout,
    require_can_suspend,
    require_operator,
    require_own_active_record,
    require_partner_staff,
    require_partner_tenant,
    require_platform_admin,
    require_tenant_admin,
    require_tenant_member,
    update_flag,
)

REPO = pathlib.Path(__file__).resolve().parents[4]
CONFORMANCE = pathlib.Path(os.environ.get("DEZKY_CONFORMANCE", REPO / "tests" / "conformance" / "flags.json"))
DOC = json.loads(CONFORMANCE.read_text())

CONTEXT_FIELDS = {
    "tenantId": "tenant_id",
    "tenantSlug": "tenant_slug",
    "plan": "plan",
    "partnerSlug": "partner_slug",
    "environment": "environment",
    "userId": "user_id",
}


def context(**fields):
    values = {name: None for name in CONTEXT_FIELDS.values()}
    values.update(fields)
    return EvaluationContext(**values)


def context_of(wire):
    return context(**{CONTEXT_FIELDS[k]: v for k, v in wire.items()})


# --- the conformance file ---------------------------------------------------


def test_conformance_version():
    assert DOC["version"] == 1


@pytest.mark.parametrize("vector", DOC["bucketVectors"], ids=lambda v: f"{v['subject']}:{v['key']}")
def test_bucket_vectors(vector):
    assert bucket(vector["subject"], vector["key"]) == vector["bucket"]
    assert f"{bucket_prefix(vector['subject'], vector['key']):08x}" == vector["prefix"]


CASES = [
    pytest.param(case, i, entry, id=f"{case['name']} [{i}]")
    for case in DOC["cases"]
    for i, entry in enumerate(case["contexts"])
]


@pytest.mark.parametrize(("case", "index", "entry"), CASES)
def test_cases(case, index, entry):
    flag_set = FlagSet.from_json(json.dumps(case["flags"]))
    ctx = context_of(entry["context"])
    keys = flag_set.keys()
    everything = flag_set.evaluate_all(ctx)
    detailed = {ev.key: ev for ev in flag_set.evaluate_all_detailed(ctx)}
    assert set(everything) == set(keys)
    for key, want in entry["expected"].items():
        ev = flag_set.evaluate(key, ctx)
        assert (ev.value, reason_name(ev.reason)) == (want["value"], want["reason"]), key
        assert everything.get(key, False) == want["value"], key
        if key in keys:
            assert detailed[key] == ev


@pytest.mark.parametrize("invalid", DOC["invalid"], ids=lambda v: v["name"])
def test_invalid(invalid):
    with pytest.raises(DezkyError) as info:
        FlagSet.from_json(invalid["json"])
    err = info.value
    assert err.code() == invalid["code"]
    if "flag" in invalid or "field" in invalid:
        assert isinstance(err, DezkyError.InvalidFlag)
        if "flag" in invalid:
            assert err.flag == invalid["flag"]
        if "field" in invalid:
            assert err.field == invalid["field"]


# --- every exported function ------------------------------------------------

ACTOR = "ops@dezky.example"
ROLLOUT = json.dumps(
    {"key": "gdpr_export_v2", "description": "GDPR export", "state": "rollout", "pct": 25, "scope": {}, "owner": "team-a"}
)
TENANT = "6650f1c2a9b4e3d2c1b0a998"  # bucket 12 for gdpr_export_v2


def test_round_trip_keeps_unknown_fields():
    flag_set = FlagSet.from_json(f"[{ROLLOUT}]")
    assert flag_set.keys() == ["gdpr_export_v2"]
    assert flag_set.len() == 1 and not flag_set.is_empty()
    assert json.loads(flag_set.to_json())[0]["owner"] == "team-a"
    assert json.loads(flag_set.flag_json("gdpr_export_v2"))["owner"] == "team-a"
    assert flag_set.flag_json("nope") is None


def test_evaluate_reason_bucket_openfeature():
    flag_set = FlagSet.from_json(f"[{ROLLOUT}]")
    ev = flag_set.evaluate("gdpr_export_v2", context(tenant_id=TENANT))
    assert ev == Evaluation(key="gdpr_export_v2", value=True, reason=Reason.IN_ROLLOUT, bucket=12, killed=False)
    assert openfeature_reason(ev.reason) == "SPLIT"
    missing = flag_set.evaluate("no_such_flag", context())
    assert (missing.value, missing.reason) == (False, Reason.FLAG_NOT_FOUND)


def test_reason_names():
    assert [reason_name(r) for r in Reason] == [
        "off", "on", "targeting_match", "not_targeted", "in_rollout", "out_of_rollout", "subject_missing", "flag_not_found",
    ]


def test_with_and_without_flag():
    empty = FlagSet.from_json("[]")
    one = empty.with_flag(ROLLOUT)
    assert one.keys() == ["gdpr_export_v2"]
    assert one.without_flag("gdpr_export_v2").len() == 0
    assert empty.is_empty()


def test_context_from_json():
    assert context_from_json('{"tenantId": "t", "partnerSlug": "p"}') == context(tenant_id="t", partner_slug="p")


def test_create_flag():
    created = create_flag("new_billing_engine", "Billing v2", ACTOR)
    ev = created.event
    assert (ev.action, ev.outcome, ev.actor_email, ev.target_type, ev.target_id) == (
        "flag.create", "success", ACTOR, "flag", "new_billing_engine",
    )
    assert ev.before_json is None and ev.after_json is not None
    flag = json.loads(created.flag_json)
    assert flag["state"] == "off" and len(flag["history"]) == 1


def test_kill_switch():
    killed = kill_switch(ROLLOUT, ACTOR)
    flag = json.loads(killed.flag_json)
    assert (flag["state"], flag["pct"], flag["history"][0]["action"]) == ("off", 0, "kill_switch")
    assert killed.event.action == "flag.kill_switch"
    assert json.loads(killed.event.before_json)["pct"] == 25
    ev = FlagSet.from_json(f"[{killed.flag_json}]").evaluate("gdpr_export_v2", context(tenant_id=TENANT))
    assert (ev.value, ev.reason, ev.killed) == (False, Reason.OFF, True)


def test_update_flag_and_noop():
    changed = update_flag(ROLLOUT, '{"pct": 50}', ACTOR)
    assert changed is not None and changed.event.action == "flag.update"
    assert json.loads(changed.flag_json)["pct"] == 50
    assert update_flag(ROLLOUT, '{"pct": 25}', ACTOR) is None


def test_preview_rollout_agrees_with_evaluate():
    contexts = [context(tenant_id=f"tenant-{i}") for i in range(200)]
    preview = preview_rollout(ROLLOUT, contexts)
    flag_set = FlagSet.from_json(f"[{ROLLOUT}]")
    assert preview.enabled == [i for i, c in enumerate(contexts) if flag_set.evaluate("gdpr_export_v2", c).value]
    assert (preview.total, preview.enabled_count) == (200, len(preview.enabled))
    assert preview_rollout(ROLLOUT, []).total == 0


# Bad input: every call raises its typed exception, and the process lives on.

BAD_CALLS = [
    ("from_json: not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: FlagSet.from_json("[{")),
    ("from_json: empty", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: FlagSet.from_json("")),
    ("from_json: duplicate", DezkyError.DuplicateKey, "DEZKY_DUPLICATE_FLAG", lambda: FlagSet.from_json(f"[{ROLLOUT},{ROLLOUT}]")),
    ("with_flag: invalid", DezkyError.InvalidFlag, "DEZKY_INVALID_FLAG",
     lambda: FlagSet.from_json("[]").with_flag('{"key": "a", "state": "rollout", "pct": 101}')),
    ("with_flag: not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: FlagSet.from_json("[]").with_flag("nope")),
    ("without_flag: unknown", DezkyError.FlagNotFound, "DEZKY_FLAG_NOT_FOUND", lambda: FlagSet.from_json("[]").without_flag("missing")),
    ("context_from_json: unknown field", DezkyError.InvalidContext, "DEZKY_INVALID_CONTEXT",
     lambda: context_from_json('{"partnerslug": "x"}')),
    ("context_from_json: wrong type", DezkyError.InvalidContext, "DEZKY_INVALID_CONTEXT", lambda: context_from_json('{"tenantId": 7}')),
    ("context_from_json: array", DezkyError.InvalidContext, "DEZKY_INVALID_CONTEXT", lambda: context_from_json("[]")),
    ("context_from_json: not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: context_from_json("{")),
    ("create_flag: bad key", DezkyError.InvalidFlag, "DEZKY_INVALID_FLAG", lambda: create_flag("New-Billing", "", ACTOR)),
    ("create_flag: blank actor", DezkyError.InvalidArgument, "DEZKY_INVALID_ARGUMENT", lambda: create_flag("ok_key", "", "  ")),
    ("kill_switch: not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: kill_switch("{", ACTOR)),
    ("kill_switch: invalid flag", DezkyError.InvalidFlag, "DEZKY_INVALID_FLAG", lambda: kill_switch('{"key": "a"}', ACTOR)),
    ("kill_switch: blank actor", DezkyError.InvalidArgument, "DEZKY_INVALID_ARGUMENT", lambda: kill_switch(ROLLOUT, "")),
    ("update_flag: pct 101", DezkyError.InvalidFlag, "DEZKY_INVALID_FLAG", lambda: update_flag(ROLLOUT, '{"pct": 101}', ACTOR)),
    ("update_flag: key", DezkyError.InvalidFlag, "DEZKY_INVALID_FLAG", lambda: update_flag(ROLLOUT, '{"key": "b"}', ACTOR)),
    ("update_flag: state", DezkyError.InvalidFlag, "DEZKY_INVALID_FLAG", lambda: update_flag(ROLLOUT, '{"state": "enabled"}', ACTOR)),
    ("update_flag: update not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: update_flag(ROLLOUT, "nope", ACTOR)),
    ("update_flag: flag not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: update_flag("nope", "{}", ACTOR)),
    ("update_flag: blank actor", DezkyError.InvalidArgument, "DEZKY_INVALID_ARGUMENT", lambda: update_flag(ROLLOUT, "{}", " ")),
    ("preview_rollout: invalid flag", DezkyError.InvalidFlag, "DEZKY_INVALID_FLAG",
     lambda: preview_rollout('{"key": "a", "state": "rollout", "pct": -1}', [context()])),
    ("preview_rollout: not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", lambda: preview_rollout("", [context()])),
]


@pytest.mark.parametrize(("kind", "code", "call"), [pytest.param(k, c, f, id=n) for n, k, c, f in BAD_CALLS])
def test_bad_input_raises_typed_error(kind, code, call):
    with pytest.raises(kind) as info:
        call()
    assert info.value.code() == code
    assert str(info.value)


def test_error_fields():
    with pytest.raises(DezkyError.InvalidFlag) as info:
        update_flag(ROLLOUT, '{"pct": 101}', ACTOR)
    assert (info.value.flag, info.value.field) == ("gdpr_export_v2", "pct")
    with pytest.raises(DezkyError.InvalidArgument) as info:
        create_flag("ok_key", "", "")
    assert info.value.name == "actor"


@pytest.mark.parametrize("subject", ["", ":", "\0", "ünïcödé 🚩", "x" * 10_000])
def test_bucket_odd_input(subject):
    assert 0 <= bucket(subject, subject) <= 99


def test_wrong_argument_types_raise_python_errors():
    # Checked in Python before anything crosses the FFI: a plain Python exception, no crash.
    with pytest.raises(TypeError):
        bucket(1, "x")  # type: ignore[arg-type]
    with pytest.raises((TypeError, AttributeError)):
        FlagSet.from_json("[]").evaluate("k", {"tenantId": "t"})  # type: ignore[arg-type]


# --- the control plane's domain rules ---------------------------------------

T1 = "6650f1c2a9b4e3d2c1b0a901"
T2 = "6650f1c2a9b4e3d2c1b0a902"
P1 = "6650f1c2a9b4e3d2c1b0a9a1"
P2 = "6650f1c2a9b4e3d2c1b0a9a2"


def doc(**fields):
    return json.dumps(fields)


ACME = doc(_id={"$oid": T1}, slug="acme", plan="pro", partnerId={"$oid": P1})
SOLO = doc(_id=T2, slug="solo", plan="free")
RESELLER = doc(_id={"$oid": P1}, slug="reseller")
OTHER_PARTNER = doc(id=P2, slug="other")


def test_flag_context_with_partner():
    assert flag_context(ACME, RESELLER, "production") == context(
        tenant_id=T1, tenant_slug="acme", plan="pro", partner_slug="reseller", environment="production"
    )


def test_flag_context_without_partner():
    assert flag_context(SOLO, None, "staging") == context(
        tenant_id=T2, tenant_slug="solo", plan="free", environment="staging"
    )


def test_flag_context_reads_oid_and_plain_ids_alike():
    plain = doc(id=T1, slug="acme", plan="pro", partnerId=P1)
    assert flag_context(plain, doc(_id=P1, slug="reseller"), "p") == flag_context(ACME, RESELLER, "p")


@pytest.mark.parametrize(
    ("tenant", "partner", "environment", "field"),
    [
        pytest.param(ACME, OTHER_PARTNER, "p", "partner", id="wrong partner"),
        pytest.param(ACME, None, "p", "partner", id="missing partner"),
        pytest.param(SOLO, RESELLER, "p", "partner", id="partner of a tenant without one"),
        pytest.param(doc(_id="not-an-id", slug="a", plan="b"), None, "p", "tenant.id", id="bad tenant id"),
        pytest.param(doc(_id=T2, slug=7, plan="b"), None, "p", "tenant.slug", id="slug not a string"),
        pytest.param(doc(_id=T2, plan="b"), None, "p", "tenant.slug", id="slug missing"),
        pytest.param(doc(slug="a", plan="b"), None, "p", "tenant", id="no id"),
        pytest.param(SOLO, None, " ", "environment", id="blank environment"),
        pytest.param("[]", None, "p", "tenant", id="tenant not an object"),
        pytest.param(ACME, '"reseller"', "p", "partner", id="partner not an object"),
    ],
)
def test_flag_context_invalid(tenant, partner, environment, field):
    with pytest.raises(DezkyError.Invalid) as info:
        flag_context(tenant, partner, environment)
    assert info.value.code() == "DEZKY_INVALID_ARGUMENT"
    assert info.value.field.startswith(field)
    assert field in str(info.value)


def test_flag_context_malformed_json():
    with pytest.raises(DezkyError.MalformedJson) as info:
        flag_context("{", None, "p")
    assert info.value.code() == "DEZKY_MALFORMED_JSON"
    assert "tenant" in info.value.detail


SUB = "ak-subject-1"
PORTAL = Actor(subject=SUB, surface=Surface.PORTAL)
OPERATOR = Actor(subject=SUB, surface=Surface.OPERATOR)


def user(**fields):
    record = {"_id": {"$oid": "6650f1c2a9b4e3d2c1b0a9b1"}, "authentikSubjectId": SUB}
    record.update(fields)
    return json.dumps(record)


ADMIN = user(platformAdmin=True)
PLAIN = user()
MEMBER = user(tenantIds=[{"$oid": T1}], tenantRoles={T1: "member"})
TENANT_ADMIN = user(tenantIds=[{"$oid": T1}], tenantRoles=[{"tenantId": {"$oid": T1}, "role": "admin"}])
GLOBAL_ROLE_ADMIN = user(tenantIds=[T1], role="admin")
STAFF = user(partnerId={"$oid": P1})
INACTIVE_ADMIN = user(platformAdmin=True, active=False)
SOMEONE_ELSE = json.dumps({"_id": "6650f1c2a9b4e3d2c1b0a9b2", "authentikSubjectId": "ak-subject-2", "tenantIds": [T1]})
ELSE_ADMIN = json.dumps(
    {"_id": "6650f1c2a9b4e3d2c1b0a9b3", "authentikSubjectId": "ak-subject-3", "tenantIds": [T1], "platformAdmin": True}
)
OUTSIDER = json.dumps({"_id": "6650f1c2a9b4e3d2c1b0a9b4", "authentikSubjectId": "ak-subject-4", "tenantIds": [T2]})

AUTHZ = [
    # (name, call, allowed)
    ("own record: own and active", lambda: require_own_active_record(PORTAL, PLAIN), True),
    ("own record: another subject's", lambda: require_own_active_record(PORTAL, SOMEONE_ELSE), False),
    ("own record: inactive", lambda: require_own_active_record(PORTAL, INACTIVE_ADMIN), False),
    ("operator: operator surface and platformAdmin", lambda: require_operator(OPERATOR, ADMIN), True),
    ("operator: portal surface", lambda: require_operator(PORTAL, ADMIN), False),
    ("operator: not platformAdmin", lambda: require_operator(OPERATOR, PLAIN), False),
    ("operator: inactive", lambda: require_operator(OPERATOR, INACTIVE_ADMIN), False),
    ("operator: another subject's record", lambda: require_operator(OPERATOR, ELSE_ADMIN), False),
    ("platform admin: portal surface", lambda: require_platform_admin(PORTAL, ADMIN), True),
    ("platform admin: not one", lambda: require_platform_admin(PORTAL, MEMBER), False),
    ("tenant member: member", lambda: require_tenant_member(PORTAL, MEMBER, ACME), True),
    ("tenant member: non-member", lambda: require_tenant_member(PORTAL, MEMBER, SOLO), False),
    ("tenant member: platform admin", lambda: require_tenant_member(PORTAL, ADMIN, SOLO), True),
    ("tenant member: inactive", lambda: require_tenant_member(PORTAL, user(tenantIds=[T1], active=False), ACME), False),
    ("tenant admin: via tenantRoles", lambda: require_tenant_admin(PORTAL, TENANT_ADMIN, ACME), True),
    ("tenant admin: member role", lambda: require_tenant_admin(PORTAL, MEMBER, ACME), False),
    ("tenant admin: legacy global role", lambda: require_tenant_admin(PORTAL, GLOBAL_ROLE_ADMIN, ACME), False),
    ("tenant admin: admin of another tenant", lambda: require_tenant_admin(PORTAL, TENANT_ADMIN, SOLO), False),
    ("tenant admin: platform admin", lambda: require_tenant_admin(PORTAL, ADMIN, ACME), True),
    ("partner staff: own partner", lambda: require_partner_staff(PORTAL, STAFF, RESELLER), True),
    ("partner staff: other partner", lambda: require_partner_staff(PORTAL, STAFF, OTHER_PARTNER), False),
    ("partner staff: platform admin is not staff", lambda: require_partner_staff(PORTAL, ADMIN, RESELLER), False),
    ("partner tenant: own tenant", lambda: require_partner_tenant(PORTAL, STAFF, RESELLER, ACME), True),
    ("partner tenant: tenant without partner", lambda: require_partner_tenant(PORTAL, STAFF, RESELLER, SOLO), False),
    (
        "partner tenant: another partner's tenant",
        lambda: require_partner_tenant(PORTAL, user(partnerId=P2), OTHER_PARTNER, ACME),
        False,
    ),
    ("suspend: tenant admin, a member", lambda: require_can_suspend(PORTAL, TENANT_ADMIN, ACME, SOMEONE_ELSE), True),
    ("suspend: oneself", lambda: require_can_suspend(PORTAL, TENANT_ADMIN, ACME, TENANT_ADMIN), False),
    ("suspend: not a tenant admin", lambda: require_can_suspend(PORTAL, MEMBER, ACME, SOMEONE_ELSE), False),
    ("suspend: target outside the tenant", lambda: require_can_suspend(PORTAL, TENANT_ADMIN, ACME, OUTSIDER), False),
    ("suspend: a platform admin, by a tenant admin", lambda: require_can_suspend(PORTAL, TENANT_ADMIN, ACME, ELSE_ADMIN), False),
    ("suspend: a platform admin, by a platform admin", lambda: require_can_suspend(PORTAL, ADMIN, ACME, ELSE_ADMIN), True),
    ("force logout: tenant admin, a member", lambda: require_can_force_logout(PORTAL, TENANT_ADMIN, ACME, SOMEONE_ELSE), True),
    ("force logout: oneself", lambda: require_can_force_logout(PORTAL, TENANT_ADMIN, ACME, TENANT_ADMIN), False),
    ("force logout: inactive admin", lambda: require_can_force_logout(PORTAL, INACTIVE_ADMIN, ACME, SOMEONE_ELSE), False),
]


@pytest.mark.parametrize(("call", "allowed"), [pytest.param(c, a, id=n) for n, c, a in AUTHZ])
def test_authz(call, allowed):
    if allowed:
        assert call() is None
    else:
        with pytest.raises(DezkyError.Forbidden) as info:
            call()
        assert info.value.code() == "DEZKY_FORBIDDEN"
        assert info.value.reason and info.value.reason in str(info.value)


AUTHZ_BAD_INPUT = [
    ("user not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", None, lambda: require_operator(OPERATOR, "{")),
    ("user empty", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", None, lambda: require_platform_admin(PORTAL, "")),
    ("user an array", DezkyError.Invalid, "DEZKY_INVALID_ARGUMENT", "user", lambda: require_operator(OPERATOR, "[]")),
    ("user without subject", DezkyError.Invalid, "DEZKY_INVALID_ARGUMENT", "user.authentikSubjectId",
     lambda: require_own_active_record(PORTAL, doc(_id=T1))),
    ("user bad tenantIds", DezkyError.Invalid, "DEZKY_INVALID_ARGUMENT", "user",
     lambda: require_tenant_member(PORTAL, user(tenantIds="x"), ACME)),
    ("tenant not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", None, lambda: require_tenant_member(PORTAL, MEMBER, "nope")),
    ("tenant without id", DezkyError.Invalid, "DEZKY_INVALID_ARGUMENT", "tenant.id",
     lambda: require_tenant_admin(PORTAL, MEMBER, doc(slug="x"))),
    ("partner a string", DezkyError.Invalid, "DEZKY_INVALID_ARGUMENT", "partner",
     lambda: require_partner_staff(PORTAL, STAFF, '"p"')),
    ("target not JSON", DezkyError.MalformedJson, "DEZKY_MALFORMED_JSON", None,
     lambda: require_can_suspend(PORTAL, TENANT_ADMIN, ACME, "{")),
    ("target without subject", DezkyError.Invalid, "DEZKY_INVALID_ARGUMENT", "target.authentikSubjectId",
     lambda: require_can_force_logout(PORTAL, TENANT_ADMIN, ACME, doc(_id=T1))),
]


@pytest.mark.parametrize(("kind", "code", "field", "call"), [pytest.param(k, c, f, x, id=n) for n, k, c, f, x in AUTHZ_BAD_INPUT])
def test_authz_bad_input(kind, code, field, call):
    with pytest.raises(kind) as info:
        call()
    assert info.value.code() == code
    if field is not None:
        assert info.value.field == field
