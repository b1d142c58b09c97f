"""dezky.partners (pure functions) and dezky.sso_apps on the in-memory
identity provider (the core's rules are tested in dezky-core/tests/partners.rs
and sso_apps.rs; these check what crosses into Python: documents and callers
in, writes, steps and typed errors naming the field out)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from dezky.auth import Actor
from dezky.errors import (
    ArgumentTypeError,
    ConfigError,
    ForbiddenError,
    InvalidArgumentError,
    RateLimitedError,
    UpstreamUnavailableError,
)
from dezky.partners import NewPartner, attach_tenant, create_partner, detach_tenant, terminate_partner
from dezky.sso_apps import SsoApps, SsoOp

TENANT = "6650f1c2a9b4e3d2c1b0a998"
OTHER_TENANT = "6650f1c2a9b4e3d2c1b0a999"
PARTNER = "6650f1c2a9b4e3d2c1b0a777"
GROUP = "6a3c2e1f-0c4b-4a5e-9d62-000000000001"
SSO_ID = "6650f1c2a9b4e3d2c1b0a5a0"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
OPERATOR = Actor(subject="sub-op", surface="operator", email="op@dezky.test")
PORTAL = Actor(subject="sub-op", surface="portal", email="op@dezky.test")
BY = "op@dezky.test"


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def user(platform_admin: bool = True, role: str = "admin") -> dict[str, Any]:
    return {
        "_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "sub-op", "email": BY,
        "tenantIds": [TENANT], "tenantRoles": {TENANT: role}, "platformAdmin": platform_admin, "active": True,
    }


def tenant(partner: str | None = None, group: str | None = GROUP) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": TENANT, "slug": "acme", "name": "Acme", "status": "active", "plan": "business",
        "domains": ["acme.test"], "authentikGroupId": group, "__v": 3,
    }
    if partner:
        doc["partnerId"] = {"$oid": partner}
    return doc


def partner(status: str = "active") -> dict[str, Any]:
    return {"_id": {"$oid": PARTNER}, "slug": "resell", "name": "Resell Co", "status": status, "__v": 2}


def test_create_partner_returns_the_document() -> None:
    new: NewPartner = {"slug": "resell", "name": "Resell Co", "domain": "Resell.Example.", "marginPct": 12.5}
    created = create_partner(new, OPERATOR, user(), BY, at=AT)
    document = created["document"]
    assert (document["slug"], document["name"], document["status"]) == ("resell", "Resell Co", "active")
    assert document["domain"] == "resell.example" and document["marginPct"] == 12.5 and "_id" not in document
    (event,) = created["events"]
    assert (event["action"], event["outcome"], event["actorEmail"]) == ("partner.create", "success", BY)


@pytest.mark.parametrize(
    ("new", "field", "kind"),
    [
        ({"slug": "Bad Slug", "name": "R"}, "partner.slug", InvalidArgumentError),
        ({"slug": "resell", "name": ""}, "partner.name", InvalidArgumentError),
        ({"slug": "resell", "name": "x" * 151}, "partner.name", InvalidArgumentError),
        ({"slug": "resell", "name": "R", "domain": "not a domain"}, "partner.domain", InvalidArgumentError),
        ({"slug": "resell", "name": "R", "marginPct": 101}, "partner.marginPct", InvalidArgumentError),
        ({"slug": "resell", "name": "R", "marginPct": "5"}, "partner.marginPct", ArgumentTypeError),
        ({"slug": "resell", "name": "R", "margin": 5}, "partner.margin", InvalidArgumentError),
        ({"name": "R"}, "partner.slug", InvalidArgumentError),
        ({"slug": 5, "name": "R"}, "partner.slug", ArgumentTypeError),
    ],
)
def test_bad_partner_input_names_the_field(new: Any, field: str, kind: type[Exception]) -> None:
    with pytest.raises(kind) as caught:
        create_partner(new, OPERATOR, user(), BY)
    assert getattr(caught.value, "field") == field


def test_every_partner_function_needs_an_operator() -> None:
    calls: list[Any] = [
        lambda caller, u: create_partner({"slug": "resell", "name": "R"}, caller, u, BY),
        lambda caller, u: terminate_partner(partner(), caller, u, BY),
        lambda caller, u: attach_tenant(tenant(), partner(), caller, u, BY),
        lambda caller, u: detach_tenant(tenant(PARTNER), caller, u, BY),
    ]
    for call in calls:
        with pytest.raises(ForbiddenError):  # a platform admin on the portal surface
            call(PORTAL, user())
        with pytest.raises(ForbiddenError):  # a tenant admin on the operator surface
            call(OPERATOR, user(platform_admin=False))
        call(OPERATOR, user())


def test_terminate_is_a_status_and_repeats_as_nothing() -> None:
    change = terminate_partner(partner(), OPERATOR, user(), BY, at=AT)
    assert change["action"] == "partner.terminate"
    update = change["patch"]["update"]
    assert update is not None and update["$set"]["status"] == "terminated"
    assert update["$set"]["terminatedAt"].startswith("2026-01-02T03:04:05")
    assert change["patch"]["filter"]["__v"] == 2
    again = terminate_partner(partner("terminated"), OPERATOR, user(), BY, at=AT)
    assert again["patch"]["update"] is None
    assert again["events"][0]["metadata"]["alreadyTerminated"] is True


def test_attach_and_detach() -> None:
    attached = attach_tenant(tenant(), partner(), OPERATOR, user(), BY, at=AT)
    update = attached["patch"]["update"]
    assert attached["action"] == "tenant.partner_attach"
    assert update is not None and update["$set"]["partnerId"] == {"$oid": PARTNER}
    assert attach_tenant(tenant(), partner("suspended"), OPERATOR, user(), BY)["patch"]["update"] is not None
    assert attach_tenant(tenant(PARTNER), partner(), OPERATOR, user(), BY)["patch"]["update"] is None
    with pytest.raises(InvalidArgumentError) as caught:
        attach_tenant(tenant(), partner("terminated"), OPERATOR, user(), BY)
    assert getattr(caught.value, "field") == "partner.status"
    detached = detach_tenant(tenant(PARTNER), OPERATOR, user(), BY, at=AT)
    update = detached["patch"]["update"]
    assert detached["action"] == "tenant.partner_detach"
    assert update is not None and "partnerId" in update["$unset"] and "partnerId" not in update.get("$set", {})
    assert detach_tenant(tenant(), OPERATOR, user(), BY)["patch"]["update"] is None
    cases: list[tuple[Any, str, type[Exception]]] = [
        (lambda: attach_tenant(tenant(), wrong("resell"), OPERATOR, user(), BY), "partner", ArgumentTypeError),
        (lambda: attach_tenant(tenant(), {"slug": "x"}, OPERATOR, user(), BY), "partner.id", InvalidArgumentError),
        (lambda: detach_tenant(wrong(None), OPERATOR, user(), BY), "tenant", ArgumentTypeError),
        (lambda: create_partner(wrong([]), OPERATOR, user(), BY), "partner", ArgumentTypeError),
    ]
    for call, name, kind in cases:
        with pytest.raises(kind) as raised:
            call()
        error: Any = raised.value
        assert name in (getattr(error, "argument", None), getattr(error, "field", None)), (name, error)


def sso_record(app: Any, tenant_id: str = TENANT) -> dict[str, Any]:
    return {
        "_id": {"$oid": SSO_ID}, "tenantId": {"$oid": tenant_id}, "name": "Wiki", "slug": app["slug"],
        "applicationPk": app["pk"], "providerPk": app["provider"], "clientId": "client-1",
        "issuer": "https://id.dezky.local/application/o/wiki/", "redirectUris": ["https://wiki.acme.test/cb"],
    }


async def test_list_apps_bound_to_the_tenant_group() -> None:
    apps = SsoApps.in_memory()
    wiki = apps.insert_memory_app("wiki", GROUP)
    apps.insert_memory_app("chat", GROUP)
    apps.insert_memory_app("elsewhere", "another-group")
    apps.insert_memory_app("unbound")
    listed = await apps.list_apps(tenant(), OPERATOR, user(), BY)
    assert [a["application"]["slug"] for a in listed] == ["chat", "wiki"]
    assert listed[1]["application"] == wiki and listed[1]["bindingPk"].startswith("binding-")
    with pytest.raises(ForbiddenError):
        apps.list_apps_sync(tenant(), PORTAL, user(platform_admin=False, role="member"), BY)
    with pytest.raises(InvalidArgumentError) as caught:
        apps.list_apps_sync(tenant(group=None), OPERATOR, user(), BY)
    assert getattr(caught.value, "field") == "tenant.authentikGroupId"
    apps.fail_next("bindings")
    with pytest.raises(UpstreamUnavailableError):
        apps.list_apps_sync(tenant(), OPERATOR, user(), BY)


def test_delete_app_removes_everything() -> None:
    apps = SsoApps.in_memory()
    wiki = apps.insert_memory_app("wiki", GROUP)
    deletion = apps.delete_app_sync(tenant(), sso_record(wiki), OPERATOR, user(), BY, at=AT)
    assert [(s["what"], s["outcome"]) for s in deletion["steps"]] == [
        ("binding", "removed"), ("application", "removed"), ("provider", "removed"),
    ]
    assert deletion["deleteFilter"] == {"_id": {"$oid": SSO_ID}}
    assert deletion["events"][0]["action"] == "sso_app.delete"
    assert apps.memory_counts() == (0, 0, 0)
    # Gone already: every step absent, and it succeeds.
    again = apps.delete_app_sync(tenant(), sso_record(wiki), OPERATOR, user(), BY)
    assert {s["outcome"] for s in again["steps"]} == {"absent"}


@pytest.mark.parametrize("op", ["application", "bindings", "delete_binding", "delete_application", "delete_provider"])
@pytest.mark.parametrize("lose_reply", [False, True])
def test_a_fault_at_each_delete_step_resumes_on_the_next_run(op: SsoOp, lose_reply: bool) -> None:
    apps = SsoApps.in_memory()
    wiki = apps.insert_memory_app("wiki", GROUP)
    apps.fail_next(op, failure="rate_limited", code="DEZKY_RATE_LIMITED", lose_reply=lose_reply)
    with pytest.raises(RateLimitedError) as caught:
        apps.delete_app_sync(tenant(), sso_record(wiki), OPERATOR, user(), BY)
    error: Any = caught.value
    assert error.upstream_code == "DEZKY_RATE_LIMITED"
    assert [e["outcome"] for e in error.events] == ["failure"]
    outcomes = [s["outcome"] for s in error.steps]
    assert "failed" in outcomes or op in ("application", "bindings")
    second = apps.delete_app_sync(tenant(), sso_record(wiki), OPERATOR, user(), BY)
    assert second["steps"][-1]["what"] == "provider"
    assert apps.memory_counts() == (0, 0, 0), "the second run left something behind"


def test_delete_app_refusals_name_the_field() -> None:
    apps = SsoApps.in_memory()
    wiki = apps.insert_memory_app("wiki", GROUP)
    cases: list[tuple[Any, str, type[Exception]]] = [
        ({**sso_record(wiki), "clientSecret": "s3cret"}, "ssoApp.clientSecret", InvalidArgumentError),
        (sso_record(wiki, OTHER_TENANT), "ssoApp.tenantId", InvalidArgumentError),
        ({**sso_record(wiki), "providerPk": 999}, "ssoApp.providerPk", InvalidArgumentError),
        ({**sso_record(wiki), "providerPk": "one"}, "ssoApp.providerPk", InvalidArgumentError),
    ]
    for record, field, kind in cases:
        with pytest.raises(kind) as caught:
            apps.delete_app_sync(tenant(), record, OPERATOR, user(), BY)
        assert getattr(caught.value, "field") == field
        assert "s3cret" not in str(caught.value)
    assert apps.memory_counts() == (1, 1, 1)
    assert apps.memory_calls("delete_binding") == 0
    with pytest.raises(ArgumentTypeError):
        apps.delete_app_sync(tenant(), wrong("wiki"), OPERATOR, user(), BY)
    with pytest.raises(InvalidArgumentError) as op:
        apps.fail_next(wrong("explode"))
    assert getattr(op.value, "argument") == "op"


def test_sso_apps_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTHENTIK_API_URL", raising=False)
    with pytest.raises(ConfigError):
        SsoApps.from_env()
    monkeypatch.setenv("AUTHENTIK_API_URL", "http://127.0.0.1:9/api/v3")
    monkeypatch.setenv("AUTHENTIK_API_TOKEN", "test-token")
    apps = SsoApps.from_env()
    with pytest.raises(InvalidArgumentError) as caught:
        apps.memory_counts()
    assert getattr(caught.value, "field") == "sso_apps"
