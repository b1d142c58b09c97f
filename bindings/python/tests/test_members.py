"""dezky.members on the in-memory upstreams (the core's rules are tested in
dezky-core/tests/members.rs; these check what crosses into Python: documents
and callers in, records, patches, Secrets and typed errors out, rollback
visible on the upstreams, and the one-time password never in a repr, str or
error)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from dezky.auth import Actor
from dezky.errors import (
    AlreadyExistsError,
    ArgumentTypeError,
    ConfigError,
    DezkyError,
    ForbiddenError,
    IllegalTransitionError,
    InvalidArgumentError,
    UpstreamUnavailableError,
)
from dezky.members import Members, Secret, me

TENANT = "6650f1c2a9b4e3d2c1b0a998"
GROUP = "6a3c2e1f-0c4b-4a5e-9d62-000000000001"
ADMIN_ID = "6650f1c2a9b4e3d2c1b0a001"
ALICE_ID = "6650f1c2a9b4e3d2c1b0a111"
PARTNER = "6650f1c2a9b4e3d2c1b0a777"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
ADMIN = Actor(subject="sub-admin", surface="portal", email="admin@acme.test", name="Ada Admin")


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def tenant(status: str = "active") -> dict[str, Any]:
    return {
        "_id": TENANT, "slug": "acme", "name": "Acme Co", "status": status, "plan": "business",
        "domains": ["acme.test"], "authentikGroupId": GROUP, "stalwartDomain": "acme.test", "__v": 4,
    }


def admin_user() -> dict[str, Any]:
    return {
        "_id": ADMIN_ID, "authentikSubjectId": "sub-admin", "email": "admin@acme.test",
        "tenantIds": [TENANT], "tenantRoles": {TENANT: "admin"}, "active": True,
    }


def world() -> Members:
    members = Members.in_memory()
    members.add_memory_group(GROUP)
    return members


def new_member(email: str = "alice@acme.test", **extra: Any) -> Any:
    return {"email": email, "name": "Alice Liddell", "quotaBytes": 1 << 30, **extra}


def no_secret(text: str, secret: Secret) -> None:
    assert secret.reveal() not in text, "the one-time secret leaked"


def alice(members: Members) -> tuple[dict[str, Any], Secret]:
    created = members.create_member_sync(tenant(), new_member(), ADMIN, admin_user(), "admin@acme.test", at=AT)
    return {**created["document"], "_id": {"$oid": ALICE_ID}}, created["password"]


async def test_create_member_makes_every_resource_and_hides_the_password() -> None:
    members = world()
    created = await members.create_member(tenant(), new_member(admin=True), ADMIN, admin_user(), "admin@acme.test", at=AT)
    record = created["member"]
    assert record["email"] == "alice@acme.test" and record["role"] == "admin"
    assert [r["kind"] for r in record["resources"]] == ["identity", "mailbox", "files"]
    document = created["document"]
    assert document["tenantRoles"] == {TENANT: "admin"}
    assert document["mailboxes"][TENANT]["address"] == "alice@acme.test"
    assert document["__v"] == 0 and document["active"] is True and "_id" not in document
    (event,) = created["events"]
    assert (event["action"], event["outcome"], event["actorEmail"]) == ("member.create", "success", "admin@acme.test")
    password = created["password"]
    assert isinstance(password, Secret)
    text = password.reveal()
    assert len(text) == 23 and text.count("-") == 3
    for shown in (repr(password), str(password), f"{password}", repr(created), str(created)):
        assert text not in shown
    assert repr(password) == "Secret(***)"
    # Set on the identity and the mailbox, never on the files account.
    identity = members.memory_resources("identity")
    (stored,) = identity.values()
    assert stored["name"] == "alice@acme.test" and stored["groups"] == [GROUP] and stored["hasPassword"] is True
    (mailbox,) = members.memory_resources("mailbox").values()
    assert mailbox["hasPassword"] is True and mailbox["quotaBytes"] == 1 << 30
    (files,) = members.memory_resources("files").values()
    assert files["hasPassword"] is False
    no_secret(repr(members.memory_resources("identity")), password)


@pytest.mark.parametrize("failing", ["identity", "mailbox", "files"])
def test_a_fault_at_each_create_leaves_nothing_behind(failing: str) -> None:
    members = world()
    members.fail_next(failing, "create")  # type: ignore[arg-type]
    with pytest.raises(UpstreamUnavailableError) as caught:
        members.create_member_sync(tenant(), new_member(), ADMIN, admin_user(), "admin@acme.test", at=AT)
    error = caught.value
    assert error.code == "DEZKY_UPSTREAM_UNAVAILABLE"
    details: Any = error
    assert details.action == "member.create" and details.failed == failing
    made_before = ["identity", "mailbox", "files"][: ["identity", "mailbox", "files"].index(failing)]
    assert [u["kind"] for u in details.undone] == list(reversed(made_before))
    assert all("error" not in u or u["error"] is None for u in details.undone)
    assert details.left_behind is False
    (event,) = details.events
    assert event["outcome"] == "failure" and event["metadata"]["failed"] == failing
    for kind in ("identity", "mailbox", "files"):
        assert members.memory_resources(kind) == {}, kind
    assert members.memory_calls(failing, "create") == 1  # type: ignore[arg-type]


def test_a_lost_reply_is_found_and_removed_too() -> None:
    members = world()
    members.fail_next("mailbox", "create", lose_reply=True)
    with pytest.raises(UpstreamUnavailableError) as caught:
        members.create_member_sync(tenant(), new_member(), ADMIN, admin_user(), "admin@acme.test", at=AT)
    assert [u["kind"] for u in getattr(caught.value, "undone")] == ["mailbox", "identity"]
    assert members.memory_resources("mailbox") == {} and members.memory_resources("identity") == {}


def test_a_failed_cleanup_is_reported() -> None:
    members = world()
    members.fail_next("files", "create", failure="rejected", code="DEZKY_UPSTREAM_REJECTED")
    members.fail_next("mailbox", "remove")
    with pytest.raises(DezkyError) as caught:
        members.create_member_sync(tenant(), new_member(), ADMIN, admin_user(), "admin@acme.test", at=AT)
    error: Any = caught.value
    assert error.code == "DEZKY_UPSTREAM_REJECTED"
    assert error.left_behind is True
    assert error.undone[0]["kind"] == "mailbox" and error.undone[0]["error"]["code"] == "DEZKY_UPSTREAM_UNAVAILABLE"
    assert "undoing mailbox" in str(error)
    assert len(members.memory_resources("mailbox")) == 1 and members.memory_resources("identity") == {}


def test_an_existing_member_is_already_exists_and_left_untouched() -> None:
    members = world()
    alice(members)
    with pytest.raises(AlreadyExistsError) as caught:
        members.create_member_sync(tenant(), new_member(), ADMIN, admin_user(), "admin@acme.test", at=AT)
    assert getattr(caught.value, "failed") == "identity"
    assert len(members.memory_resources("identity")) == 1


@pytest.mark.parametrize(
    ("member", "field", "kind"),
    [
        (new_member("not-an-email"), "member.email", InvalidArgumentError),
        (new_member("a b@acme.test"), "member.email", InvalidArgumentError),
        (new_member(name=" "), "member.name", InvalidArgumentError),
        (new_member(quotaBytes=0), "member.quotaBytes", InvalidArgumentError),
        (new_member(quotaBytes=-1), "member.quotaBytes", InvalidArgumentError),
        (new_member(quotaBytes="1G"), "member.quotaBytes", ArgumentTypeError),
        (new_member(admin="yes"), "member.admin", ArgumentTypeError),
        (new_member(role="admin"), "member.role", InvalidArgumentError),
        ({"name": "Alice"}, "member.email", InvalidArgumentError),
        ({"email": 5, "name": "Alice"}, "member.email", ArgumentTypeError),
    ],
)
def test_bad_input_names_the_field(member: Any, field: str, kind: type[Exception]) -> None:
    members = world()
    with pytest.raises(kind) as caught:
        members.create_member_sync(tenant(), member, ADMIN, admin_user(), "admin@acme.test", at=AT)
    assert getattr(caught.value, "field") == field
    assert members.memory_calls("identity", "find") == 0


def test_rules_refused_with_typed_errors() -> None:
    members = world()
    stranger = {**admin_user(), "tenantRoles": {TENANT: "member"}}
    with pytest.raises(ForbiddenError):
        members.create_member_sync(tenant(), new_member(), ADMIN, stranger, "admin@acme.test")
    with pytest.raises(ForbiddenError):  # the record is not the token's
        members.create_member_sync(tenant(), new_member(), Actor(subject="sub-other", surface="portal"), admin_user(), "x")
    with pytest.raises(IllegalTransitionError):
        members.create_member_sync(tenant("pending"), new_member(), ADMIN, admin_user(), "admin@acme.test")
    with pytest.raises(InvalidArgumentError) as caught:
        members.create_member_sync({**tenant(), "authentikGroupId": None}, new_member(), ADMIN, admin_user(), "a")
    assert getattr(caught.value, "field") == "tenant.authentikGroupId"
    doc, _ = alice(members)
    me_as_admin = {**admin_user(), "_id": {"$oid": ADMIN_ID}}
    for operation in (members.suspend_member_sync, members.force_logout_sync, members.remove_member_sync):
        with pytest.raises(ForbiddenError):  # never oneself
            operation(tenant(), me_as_admin, ADMIN, admin_user(), "admin@acme.test")
    with pytest.raises(ForbiddenError):  # a member may not suspend
        members.suspend_member_sync(tenant(), doc, ADMIN, stranger, "x")
    # Nothing changed upstream.
    (identity,) = members.memory_resources("identity").values()
    assert identity["suspended"] is False


def test_bad_callers_and_documents_are_typed_errors() -> None:
    members = world()
    cases: list[tuple[Any, str, type[Exception]]] = [
        (lambda: members.create_member_sync(tenant(), wrong("alice"), ADMIN, admin_user(), "a"), "member", ArgumentTypeError),
        (lambda: members.create_member_sync(tenant(), new_member(), wrong("sub-admin"), admin_user(), "a"), "caller", ArgumentTypeError),
        (lambda: members.create_member_sync(tenant(), new_member(), {"surface": "portal"}, admin_user(), "a"), "caller.subject", InvalidArgumentError),
        (lambda: members.create_member_sync(tenant(), new_member(), {"subject": "s", "surface": "web"}, admin_user(), "a"), "caller.surface", InvalidArgumentError),
        (lambda: members.create_member_sync(tenant(), new_member(), ADMIN, wrong(None), "a"), "caller_user", ArgumentTypeError),
        (lambda: members.create_member_sync(wrong([]), new_member(), ADMIN, admin_user(), "a"), "tenant", ArgumentTypeError),
        (lambda: members.create_member_sync(tenant(), new_member(), ADMIN, admin_user(), ""), "actor", InvalidArgumentError),
        (lambda: members.suspend_member_sync(tenant(), {"mailboxes": 5}, ADMIN, admin_user(), "a"), "member", InvalidArgumentError),
        (lambda: members.fail_next(wrong("calendar"), "create"), "kind", InvalidArgumentError),
        (lambda: members.fail_next("identity", wrong("explode")), "op", InvalidArgumentError),
        (lambda: members.fail_next("identity", "create", failure=wrong("boom")), "failure", InvalidArgumentError),
    ]
    for call, name, kind in cases:
        with pytest.raises(kind) as caught:
            call()
        error: Any = caught.value
        assert name in (getattr(error, "argument", None), getattr(error, "field", None)) or str(
            getattr(error, "field", "")
        ).startswith(name), (name, error)


def test_suspend_resume_force_logout_and_reset() -> None:
    members = world()
    doc, first = alice(members)
    (handle,) = members.memory_resources("identity")
    members.open_memory_session(handle)
    members.open_memory_session(handle)
    suspended = members.suspend_member_sync(tenant(), doc, ADMIN, admin_user(), "admin@acme.test", at=AT)
    assert suspended["action"] == "member.suspend"
    assert [e["done"] for e in suspended["effects"]] == ["deactivated", "sessions_ended", "suspended"]
    assert members.memory_resources("identity")[handle]["sessions"] == 0
    assert suspended["patch"]["expectedVersion"] == 0 and suspended["patch"]["update"] is not None
    assert members.memory_resources("identity")[handle]["suspended"] is True
    assert all(m["suspended"] for m in members.memory_resources("mailbox").values())
    suspended_doc = {**doc, "active": False, "memberSuspensions": suspended["patch"]["update"]["$set"][f"memberSuspensions.{TENANT}"], "__v": 1}
    suspended_doc["memberSuspensions"] = {TENANT: suspended_doc["memberSuspensions"]}
    resumed = members.resume_member_sync(tenant(), suspended_doc, ADMIN, admin_user(), "admin@acme.test", at=AT)
    assert resumed["action"] == "member.resume"
    assert members.memory_resources("identity")[handle]["suspended"] is False
    members.open_memory_session(handle)
    logged_out = members.force_logout_sync(tenant(), doc, ADMIN, admin_user(), "admin@acme.test")
    assert logged_out["sessionsEnded"] == 1 and members.memory_resources("identity")[handle]["sessions"] == 0
    reset = members.reset_password_sync(tenant(), doc, ADMIN, admin_user(), "admin@acme.test")
    assert reset["change"]["action"] == "member.reset_password"
    second = reset["password"]
    assert second.reveal() != first.reveal()
    no_secret(repr(reset), second)
    no_secret(repr(reset["change"]), second)


def test_a_failed_suspend_is_undone() -> None:
    members = world()
    doc, _ = alice(members)
    members.fail_next("mailbox", "suspend")
    with pytest.raises(UpstreamUnavailableError) as caught:
        members.suspend_member_sync(tenant(), doc, ADMIN, admin_user(), "admin@acme.test")
    assert getattr(caught.value, "action") == "member.suspend"
    assert all(not m["suspended"] for m in members.memory_resources("identity").values())


def test_a_reset_refused_by_the_mailbox_keeps_the_identity_change() -> None:
    members = world()
    doc, password = alice(members)
    members.fail_next("mailbox", "set_password", failure="rejected", code="DEZKY_UPSTREAM_REJECTED")
    with pytest.raises(DezkyError) as caught:
        members.reset_password_sync(tenant(), doc, ADMIN, admin_user(), "admin@acme.test")
    error: Any = caught.value
    assert error.kept == ["identity"]
    no_secret(str(error), password)
    no_secret(repr(error.details), password)


def test_remove_member_then_nothing_is_left() -> None:
    members = world()
    doc, _ = alice(members)
    members.fail_next("mailbox", "remove")
    partial = members.remove_member_sync(tenant(), doc, ADMIN, admin_user(), "admin@acme.test")
    assert partial["complete"] is False
    assert [(s["kind"], s["outcome"]) for s in partial["steps"]] == [
        ("files", "removed"), ("mailbox", "failed"), ("identity", "not_reached"),
    ]
    removed = members.remove_member_sync(tenant(), doc, ADMIN, admin_user(), "admin@acme.test")
    assert removed["complete"] is True and removed["deleteDocument"] is True
    assert removed["events"][0]["action"] == "member.remove"
    for kind in ("identity", "mailbox", "files"):
        assert members.memory_resources(kind) == {}, kind


def test_invite_partner_staff_gives_a_hidden_link() -> None:
    members = world()
    partner = {"_id": PARTNER, "slug": "reseller"}
    staff_user = {**admin_user(), "tenantIds": [], "tenantRoles": {}, "partnerId": PARTNER}
    invited = members.invite_partner_staff_sync(partner, {"email": "bob@reseller.test", "name": "Bob"}, ADMIN, staff_user, "admin@acme.test")
    link = invited["recovery_link"]
    assert isinstance(link, Secret) and link.reveal()
    no_secret(repr(invited), link)
    assert invited["document"]["partnerId"] == {"$oid": PARTNER}
    assert invited["events"][0]["action"] == "partner.staff_invite"
    with pytest.raises(ForbiddenError):
        members.invite_partner_staff_sync(partner, {"email": "c@reseller.test", "name": "C"}, ADMIN, admin_user(), "a")
    with pytest.raises(InvalidArgumentError) as caught:
        members.invite_partner_staff_sync(partner, wrong({"email": "c@reseller.test"}), ADMIN, staff_user, "a")
    assert getattr(caught.value, "field") == "staff.name"


def test_me_profile() -> None:
    user = {**admin_user(), "_id": {"$oid": ADMIN_ID}, "name": "Ada"}
    profile = me(ADMIN, user, [{"_id": TENANT, "slug": "acme", "plan": "business", "status": "active", "name": "ignored"}])
    assert profile["subject"] == "sub-admin" and profile["email"] == "admin@acme.test"
    assert [(t["slug"], t["role"], t["suspended"]) for t in profile["tenants"]] == [("acme", "admin", False)]
    assert profile["unknownTenantIds"] == []
    assert me({"subject": "sub-admin", "surface": "portal"}, user)["unknownTenantIds"] == [TENANT]
    with pytest.raises(ForbiddenError):
        me(Actor(subject="sub-other", surface="portal"), user)
    with pytest.raises(InvalidArgumentError) as caught:
        me(ADMIN, user, partner={"_id": PARTNER, "slug": "reseller"})
    assert getattr(caught.value, "argument") == "partner"


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTHENTIK_API_URL", "STALWART_API_URL", "OCIS_API_URL"):
        monkeypatch.delenv(name, raising=False)
    bare = Members.from_env()
    with pytest.raises(InvalidArgumentError):
        bare.memory_resources("identity")
    # No upstream configured: every resource is skipped, the member is a document only.
    created = bare.create_member_sync({**tenant(), "authentikGroupId": None}, new_member(), ADMIN, admin_user(), "a")
    assert created["member"]["resources"] == []
    monkeypatch.setenv("AUTHENTIK_API_URL", "ftp://auth.example")
    with pytest.raises((ConfigError, InvalidArgumentError)):
        Members.from_env()
