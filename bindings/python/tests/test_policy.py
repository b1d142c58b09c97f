"""Tenant security policies (the core's rules are tested in
``dezky-core/src/policy.rs``; these check what crosses into Python: policy
dicts and datetimes in, records, patches and field-named errors out)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dezky.errors import ArgumentTypeError, InvalidArgumentError
from dezky.policy import MemberMfa, SecurityPolicy, mfa_compliance, update_security_policy
from dezky.provisioning import apply_tenant_patch, new_tenant

TENANT = "6650f1c2a9b4e3d2c1b0a998"
ACTOR = "ops@dezky.example"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def tenant(**extra: Any) -> dict[str, Any]:
    return {**new_tenant(TENANT, "acme", "Acme Co", "business"), **extra}


def test_defaults_and_the_normalised_object_form() -> None:
    default = SecurityPolicy()
    assert default.to_value() == {
        "mfaMode": "optional",
        "sessionIdleMinutes": 60,
        "sessionAbsoluteHours": 24,
        "allowedCountries": [],
        "ipAllowlist": [],
    }
    assert SecurityPolicy.of_tenant(tenant()) == default
    policy = SecurityPolicy(
        {
            "mfaMode": "required",
            "sessionIdleMinutes": 30,
            "allowedCountries": ["se", "DK", "dk"],
            "ipAllowlist": ["192.0.2.77/24", "2001:db8::1", "192.0.2.0/24"],
        }
    )
    assert policy.mfa_mode == "required"
    assert (policy.session_idle_minutes, policy.session_absolute_hours) == (30, 24)
    assert policy.allowed_countries == ["DK", "SE"]
    assert policy.ip_allowlist == ["192.0.2.0/24", "2001:db8::1/128"]
    assert SecurityPolicy.from_value(policy.to_value()) == policy
    assert SecurityPolicy.of_tenant(tenant(securityPolicy=policy.to_value())) == policy
    assert "SecurityPolicy(" in repr(policy)


@pytest.mark.parametrize(
    ("ip", "allowed"),
    [
        ("192.0.2.7", True),
        ("::ffff:192.0.2.1", True),
        (" 2001:db8::42 ", True),
        ("198.51.100.1", False),
        ("2001:db9::1", False),
    ],
)
def test_ip_allowlist(ip: str, allowed: bool) -> None:
    policy = SecurityPolicy({"ipAllowlist": ["192.0.2.0/24", "2001:db8::/32"]})
    assert policy.ip_allowed(ip) is allowed
    assert SecurityPolicy().ip_allowed(ip) is True


@pytest.mark.parametrize(
    ("country", "restricted", "open_"),
    [("DK", True, True), ("se", True, True), ("DE", False, True), (None, False, True)],
)
def test_countries_fail_closed_when_restricted(country: str | None, restricted: bool, open_: bool) -> None:
    assert SecurityPolicy({"allowedCountries": ["DK", "SE"]}).country_allowed(country) is restricted
    assert SecurityPolicy().country_allowed(country) is open_


def test_session_limits_with_datetimes() -> None:
    policy = SecurityPolicy({"sessionIdleMinutes": 30, "sessionAbsoluteHours": 2})
    started = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=timezone.utc)
    active = started + timedelta(minutes=100)
    ends = policy.session_ends(started, active)
    assert ends == started + timedelta(hours=2)
    assert ends.tzinfo is not None and ends.utcoffset() == timedelta(0)
    assert policy.session_ends(started, started + timedelta(minutes=10)) == started + timedelta(minutes=40)
    assert policy.session_expired(started, active, started + timedelta(minutes=110)) is None
    assert policy.session_expired(started, started, started + timedelta(minutes=30)) == "idle"
    assert policy.session_expired(started, active, started + timedelta(hours=2)) == "absolute"
    # Another time zone is the same instant.
    cet = timezone(timedelta(hours=1))
    assert policy.session_ends(started.astimezone(cet), active.astimezone(cet)) == ends
    # Without `now`: the present.
    assert policy.session_expired(started, active) == "absolute"
    recent = datetime.now(timezone.utc)
    assert policy.session_expired(recent, recent) is None


def test_a_policy_update_is_a_patch_and_an_event() -> None:
    doc = tenant()
    update = update_security_policy(doc, {"mfaMode": "admins", "allowedCountries": ["dk"]}, ACTOR, at=AT)
    assert update["changed"] == ["mfaMode", "allowedCountries"]
    assert update["policy"]["mfaMode"] == "admins"
    event = update["event"]
    assert (event["action"], event["actorEmail"], event["at"]) == (
        "tenant.security_policy.update",
        ACTOR,
        "2026-01-02T03:04:05.000Z",
    )
    assert event["metadata"]["before"] == {"mfaMode": "optional", "allowedCountries": []}
    assert event["metadata"]["after"] == {"mfaMode": "admins", "allowedCountries": ["DK"]}
    patched = apply_tenant_patch(doc, update["patch"])
    assert SecurityPolicy.of_tenant(patched).to_value() == update["policy"]
    # The same change again changes nothing: no write, still an event.
    again = update_security_policy(patched, {"mfaMode": "admins"}, ACTOR, at=AT)
    assert again["changed"] == []
    assert again["patch"]["update"] is None
    assert again["event"]["metadata"]["changed"] == []


def test_mfa_compliance() -> None:
    members: list[MemberMfa] = [
        {"member": "ann@acme.test", "admin": True, "factors": 0},
        {"member": "bob@acme.test", "admin": False, "factors": 0},
        {"member": "cy@acme.test", "admin": True, "factors": 2},
    ]
    admins = mfa_compliance("admins", members)
    assert admins == {
        "mfaMode": "admins",
        "members": 3,
        "enrolled": 1,
        "required": 2,
        "missing": ["ann@acme.test"],
        "compliant": False,
    }
    assert mfa_compliance("required", iter(members))["missing"] == ["ann@acme.test", "bob@acme.test"]
    assert mfa_compliance("optional", members)["compliant"] is True
    assert SecurityPolicy({"mfaMode": "required"}).mfa_compliance(members)["required"] == 3


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: SecurityPolicy({"mfaMode": "always"}), "securityPolicy.mfaMode"),
        (lambda: SecurityPolicy({"mfa": "off"}), "securityPolicy.mfa"),
        (lambda: SecurityPolicy({"sessionIdleMinutes": 2}), "securityPolicy.sessionIdleMinutes"),
        (lambda: SecurityPolicy({"sessionIdleMinutes": 600, "sessionAbsoluteHours": 1}), "securityPolicy.sessionAbsoluteHours"),
        (lambda: SecurityPolicy({"allowedCountries": ["DK", "EU"]}), "securityPolicy.allowedCountries[1]"),
        (lambda: SecurityPolicy({"ipAllowlist": ["192.0.2.0/24", "10.0.0.300"]}), "securityPolicy.ipAllowlist[1]"),
        (lambda: SecurityPolicy.from_value({"mfaMode": 1}, "body"), "body.mfaMode"),
        (lambda: SecurityPolicy.of_tenant(tenant(securityPolicy={"ipAllowlist": "x"})), "tenant.securityPolicy.ipAllowlist"),
        (lambda: SecurityPolicy().ip_allowed("not-an-ip"), "ip"),
        (lambda: SecurityPolicy().country_allowed("ZZ"), "country"),
        (lambda: SecurityPolicy().session_expired(AT, AT - timedelta(seconds=1), AT), "lastActive"),
        (lambda: update_security_policy(tenant(), {"sessionAbsoluteHours": 0}, ACTOR), "securityPolicy.sessionAbsoluteHours"),
        (lambda: update_security_policy(tenant(), {"mfaMode": "off"}, ""), "actor"),
        (lambda: mfa_compliance("sometimes", []), "mode"),  # type: ignore[arg-type]
        (lambda: mfa_compliance("admins", [{"member": "ann", "factors": -1}]), "members[0]"),  # type: ignore[typeddict-item]
        (lambda: SecurityPolicy().session_ends(datetime(1969, 12, 31, tzinfo=timezone.utc), AT), "started"),
    ],
)
def test_bad_values_name_the_field(call: Any, field: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        call()
    assert raised.value.code == "DEZKY_INVALID_ARGUMENT"
    assert field in (getattr(raised.value, "field", None), getattr(raised.value, "argument", None))
    assert not isinstance(raised.value, ArgumentTypeError)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: SecurityPolicy(wrong(["required"])), "securityPolicy"),
        (lambda: SecurityPolicy().ip_allowed(wrong(42)), "ip"),
        (lambda: SecurityPolicy().session_ends(wrong("2026-01-01"), AT), "started"),
        (lambda: SecurityPolicy().session_expired(AT, AT, now=wrong(1.5)), "now"),
        (lambda: mfa_compliance("admins", wrong("ann")), "members"),
        (lambda: mfa_compliance("admins", wrong([("ann", True, 0)])), "members[0]"),
        (lambda: update_security_policy(wrong([]), {}, ACTOR), "tenant"),
    ],
)
def test_wrong_types_are_argument_type_errors(call: Any, name: str) -> None:
    with pytest.raises(ArgumentTypeError) as raised:
        call()
    assert raised.value.argument == name
    assert isinstance(raised.value, TypeError)
