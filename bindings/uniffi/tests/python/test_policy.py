"""A tenant's security policy through the UniFFI Python output: read from a
policy object or a tenant document, applied (addresses, countries, sessions,
MFA compliance) and changed by a version-guarded patch (docs/policy.md).
Mirrors policy() in tests/kotlin/Main.kt."""

import datetime
import json

import pytest

from dezky_ffi.dezky_uniffi import (
    DezkyError,
    MemberMfa,
    MfaMode,
    SecurityPolicy,
    SessionLimit,
    apply_tenant_patch,
    mfa_compliance,
    mfa_mode_name,
    update_security_policy,
)

ID = "6650f1c2a9b4e3d2c1b0a998"
ACTOR = "ops@dezky.eu"
UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
STAMP = "2026-01-01T09:00:00.000Z"
POLICY = {"mfaMode": "admins", "sessionIdleMinutes": 30, "sessionAbsoluteHours": 12,
          "allowedCountries": ["se", "DK", "dk"], "ipAllowlist": ["192.0.2.77/24", "2001:db8::1"]}


def tenant(policy=None, version=3):
    document = {"_id": ID, "slug": "acme", "status": "active", "__v": version}
    if policy is not None:
        document["securityPolicy"] = policy
    return json.dumps(document)


def test_a_policy_is_read_normalised():
    policy = SecurityPolicy.from_json(json.dumps(POLICY))
    assert policy.mfa_mode() == MfaMode.ADMINS
    assert (policy.session_idle_minutes(), policy.session_absolute_hours()) == (30, 12)
    assert policy.allowed_countries() == ["DK", "SE"]
    assert policy.ip_allowlist() == ["192.0.2.0/24", "2001:db8::1/128"]
    assert json.loads(policy.to_json()) == {
        "mfaMode": "admins", "sessionIdleMinutes": 30, "sessionAbsoluteHours": 12,
        "allowedCountries": ["DK", "SE"], "ipAllowlist": ["192.0.2.0/24", "2001:db8::1/128"]}
    assert mfa_mode_name(policy.mfa_mode()) == "admins"


def test_a_tenant_without_a_policy_has_the_defaults():
    policy = SecurityPolicy.of_tenant(tenant())
    assert policy.mfa_mode() == MfaMode.OPTIONAL
    assert (policy.session_idle_minutes(), policy.session_absolute_hours()) == (60, 24)
    assert policy.ip_allowed("203.0.113.9") is True
    assert policy.country_allowed(None) is True
    assert SecurityPolicy.of_tenant(tenant(POLICY)).allowed_countries() == ["DK", "SE"]


def test_addresses_and_countries():
    policy = SecurityPolicy.from_json(json.dumps(POLICY))
    assert policy.ip_allowed("192.0.2.200") is True
    assert policy.ip_allowed("::ffff:192.0.2.1") is True
    assert policy.ip_allowed(" 2001:db8::1 ") is True
    assert policy.ip_allowed("198.51.100.1") is False
    assert policy.country_allowed("se") is True
    assert policy.country_allowed("NO") is False
    assert policy.country_allowed(None) is False


def test_sessions_end_at_the_earlier_limit():
    policy = SecurityPolicy.from_json(json.dumps(POLICY))
    minutes = lambda n: datetime.timedelta(minutes=n)
    assert policy.session_ends(T0, T0 + minutes(10)) == T0 + minutes(40)
    assert policy.session_ends(T0, T0 + minutes(700)) == T0 + minutes(720)
    assert policy.session_expired(T0, T0 + minutes(10), T0 + minutes(39)) is None
    assert policy.session_expired(T0, T0 + minutes(10), T0 + minutes(40)) == SessionLimit.IDLE
    assert policy.session_expired(T0, T0 + minutes(719), T0 + minutes(720)) == SessionLimit.ABSOLUTE


def test_mfa_compliance():
    members = [MemberMfa(member="ann@acme.test", admin=True, factors=0),
               MemberMfa(member="bo@acme.test", admin=False, factors=0),
               MemberMfa(member="cy@acme.test", admin=True, factors=2)]
    report = mfa_compliance(MfaMode.ADMINS, members)
    assert report.mfa_mode == MfaMode.ADMINS
    assert (report.members, report.enrolled, report.required) == (3, 1, 2)
    assert report.missing == ["ann@acme.test"]
    assert report.compliant is False
    required = SecurityPolicy.from_json('{"mfaMode": "required"}').mfa_compliance(members)
    assert required.missing == ["ann@acme.test", "bo@acme.test"]
    assert mfa_compliance(MfaMode.OPTIONAL, members).compliant is True


def test_an_update_gives_the_policy_the_patch_and_the_event():
    update = update_security_policy(tenant(), json.dumps({"mfaMode": "required", "sessionIdleMinutes": 60}), ACTOR, T0)
    assert update.changed == ["mfaMode"]
    assert json.loads(update.policy_json)["mfaMode"] == "required"
    patch = json.loads(update.patch_json)
    assert patch["expectedVersion"] == 3
    assert patch["filter"] == {"_id": {"$oid": ID}, "__v": 3}
    assert patch["update"]["$set"]["securityPolicy"] == json.loads(update.policy_json)
    event = json.loads(update.event_json)
    assert (event["action"], event["actorEmail"], event["at"], event["tenantId"]) == (
        "tenant.security_policy.update", ACTOR, STAMP, ID)
    assert event["metadata"] == {"changed": ["mfaMode"], "before": {"mfaMode": "optional"}, "after": {"mfaMode": "required"}}
    stored = json.loads(apply_tenant_patch(tenant(), update.patch_json))
    assert stored["securityPolicy"]["mfaMode"] == "required"
    assert stored["__v"] == 4


def test_an_update_that_changes_nothing_writes_nothing():
    update = update_security_policy(tenant(), "{}", ACTOR, T0)
    assert update.changed == []
    assert json.loads(update.patch_json)["update"] is None
    assert json.loads(update.event_json)["metadata"]["changed"] == []


INVALID = [
    ("securityPolicy.mfaMode", lambda: SecurityPolicy.from_json('{"mfaMode": "always"}')),
    ("securityPolicy.mfa", lambda: SecurityPolicy.from_json('{"mfa": "off"}')),
    ("securityPolicy.sessionIdleMinutes", lambda: SecurityPolicy.from_json('{"sessionIdleMinutes": 1}')),
    ("securityPolicy.allowedCountries[1]", lambda: SecurityPolicy.from_json('{"allowedCountries": ["DK", "EU"]}')),
    ("securityPolicy.ipAllowlist[0]", lambda: SecurityPolicy.from_json('{"ipAllowlist": ["10.0.0.0/33"]}')),
    ("securityPolicy", lambda: SecurityPolicy.from_json("[]")),
    ("tenant.securityPolicy.ipAllowlist", lambda: SecurityPolicy.of_tenant(tenant({"ipAllowlist": "10.0.0.0/8"}))),
    ("tenant.id", lambda: SecurityPolicy.of_tenant('{"slug": "acme", "status": "active"}')),
    ("ip", lambda: SecurityPolicy.from_json("{}").ip_allowed("192.0.2")),
    ("country", lambda: SecurityPolicy.from_json("{}").country_allowed("XX")),
    ("lastActive", lambda: SecurityPolicy.from_json("{}").session_expired(T0, T0 - datetime.timedelta(seconds=1), T0)),
    ("securityPolicy.sessionAbsoluteHours",
     lambda: update_security_policy(tenant(), '{"sessionIdleMinutes": 1440, "sessionAbsoluteHours": 1}', ACTOR, T0)),
    ("securityPolicy.ipAllowlist[0]", lambda: update_security_policy(tenant(), '{"ipAllowlist": [7]}', ACTOR, T0)),
]


@pytest.mark.parametrize(("field", "call"), INVALID, ids=[f for f, _ in INVALID])
def test_bad_input_is_invalid_naming_the_field(field, call):
    with pytest.raises(DezkyError.Invalid) as info:
        call()
    error = info.value
    assert error.code() == "DEZKY_INVALID_ARGUMENT"
    assert error.field == field
    assert error.details["field"].value == field
    assert error.reason and error.reason in str(error)


def test_text_that_is_not_json_is_malformed():
    for call in (lambda: SecurityPolicy.from_json("{"),
                 lambda: SecurityPolicy.of_tenant(""),
                 lambda: update_security_policy(tenant(), "{", ACTOR, T0)):
        with pytest.raises(DezkyError.MalformedJson) as info:
            call()
        assert info.value.code() == "DEZKY_MALFORMED_JSON"


def test_times_out_of_range_and_a_blank_actor_are_invalid_arguments():
    policy = SecurityPolicy.from_json("{}")
    before_1970 = datetime.datetime(1969, 12, 31, 23, 59, tzinfo=UTC)
    with pytest.raises(DezkyError.InvalidArgument) as info:
        policy.session_ends(before_1970, T0)
    assert info.value.argument == "started"
    with pytest.raises(DezkyError.InvalidArgument) as info:
        policy.session_expired(T0, T0, before_1970)
    assert info.value.argument == "now"
    late = datetime.datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert policy.session_expired(late, late, late) is None
    with pytest.raises(DezkyError.InvalidArgument) as info:
        update_security_policy(tenant(), "{}", " ", T0)
    assert info.value.argument == "actor"
