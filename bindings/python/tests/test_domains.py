"""dezky.domains on the in-memory mail server (the core's rules are tested in
dezky-core/tests/domains.rs; these check what crosses into Python: documents
and callers in, records, patches, the ownership token as a Secret and typed
errors naming the field out, and rollback visible on the mail server)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from dezky.auth import Actor
from dezky.domains import AddedDomain, DmarcPolicy, Domains, MailOp, Secret, dmarc_record, list_domains, set_dmarc
from dezky.errors import (
    AlreadyExistsError,
    ArgumentTypeError,
    ConfigError,
    ForbiddenError,
    InUseError,
    InvalidArgumentError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

TENANT = "6650f1c2a9b4e3d2c1b0a998"
OTHER_TENANT = "6650f1c2a9b4e3d2c1b0a999"
ADMIN_ID = "6650f1c2a9b4e3d2c1b0a001"
ALICE_ID = "6650f1c2a9b4e3d2c1b0a111"
DOMAIN_ID = "6650f1c2a9b4e3d2c1b0ad01"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
ADMIN = Actor(subject="sub-admin", surface="portal", email="admin@acme.test", name="Ada Admin")
BY = "admin@acme.test"


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def tenant(domains: list[str] | None = None, status: str = "active") -> dict[str, Any]:
    return {
        "_id": TENANT, "slug": "acme", "name": "Acme Co", "status": status, "plan": "business",
        "domains": domains if domains is not None else ["acme.test"], "stalwartDomain": "acme.test", "__v": 4,
    }


def admin_user() -> dict[str, Any]:
    return {
        "_id": ADMIN_ID, "authentikSubjectId": "sub-admin", "email": BY,
        "tenantIds": [TENANT], "tenantRoles": {TENANT: "admin"}, "active": True,
    }


def plain_user() -> dict[str, Any]:
    return {**admin_user(), "tenantRoles": {TENANT: "member"}}


def world() -> Domains:
    domains = Domains.in_memory()
    domains.insert_memory_domain("acme.test", TENANT)
    return domains


def stored(added: AddedDomain) -> dict[str, Any]:
    """The domain document as the control plane stores it (with its id and token)."""
    return {**added["document"], "_id": {"$oid": DOMAIN_ID}, "ownershipToken": added["ownership_token"].reveal()}


def add(domains: Domains, name: str = "example.org") -> AddedDomain:
    return domains.add_domain_sync(tenant(), name, ADMIN, admin_user(), BY, at=AT)


def domain_names(domains: Domains) -> list[str]:
    return sorted(d["name"] for d in domains.memory_state()["domains"].values())


async def test_add_domain_returns_the_records_and_hides_the_token() -> None:
    domains = world()
    added = await domains.add_domain(tenant(), "Example.ORG.", ADMIN, admin_user(), BY, at=AT)
    document = added["document"]
    assert document["name"] == "example.org" and document["status"] == "pending" and document["__v"] == 0
    assert document["tenantId"] == {"$oid": TENANT} and "ownershipToken" not in document
    token = added["ownership_token"]
    assert isinstance(token, Secret) and repr(token) == "Secret(***)" and str(token) == "Secret(***)"
    text = token.reveal()
    assert len(text) == 43 and all(c.isalnum() or c in "-_" for c in text)
    for shown in (repr(document), repr(added["events"]), repr(added["tenant_patch"]), f"{token}"):
        assert text not in shown
    # The ownership TXT, published, is the one place the token is, last of the records.
    ownership = added["expected"]["checks"][-1]
    assert ownership["kind"] == "ownership" and ownership["name"] == "_dezky-challenge.example.org."
    assert ownership["values"] == [f"dezky-domain-verification={text}"]
    assert added["tenant_patch"]["update"] is not None
    assert added["tenant_patch"]["update"]["$set"]["domains"] == ["acme.test", "example.org"]
    assert added["adopted"] is False and added["dkim_selectors"]
    (event,) = added["events"]
    assert (event["action"], event["outcome"], event["actorEmail"]) == ("domain.add", "success", BY)
    assert domain_names(domains) == ["acme.test", "example.org"]


def test_the_dkim_wait_uses_the_in_memory_clock() -> None:
    domains = Domains.in_memory(dkim_after=3)
    add(domains)
    assert domains.memory_sleeps() == [0.2, 0.4, 0.8]
    assert domains.memory_calls("dkim_selectors") == 4
    late = Domains.in_memory(dkim_after=1000)
    with pytest.raises(UpstreamTimeoutError) as caught:
        add(late)
    assert getattr(caught.value, "step") == "dkim"
    assert sum(late.memory_sleeps()) == pytest.approx(30.0)
    assert domain_names(late) == []


@pytest.mark.parametrize("step", ["find_domain", "create_domain", "dkim_selectors", "zone_file"])
@pytest.mark.parametrize("lose_reply", [False, True])
def test_a_fault_at_each_add_step_leaves_nothing_behind(step: MailOp, lose_reply: bool) -> None:
    domains = world()
    domains.fail_next(step, lose_reply=lose_reply)
    with pytest.raises(UpstreamUnavailableError) as caught:
        add(domains)
    error: Any = caught.value
    assert error.code == "DEZKY_UPSTREAM_UNAVAILABLE" and error.action == "domain.add"
    assert error.upstream_code == "DEZKY_UPSTREAM_UNAVAILABLE"
    assert [e["outcome"] for e in error.events] == ["failure"]
    assert domain_names(domains) == ["acme.test"], "the failed add left a domain behind"
    # Run again, it ends with exactly one.
    added = add(domains)
    assert added["adopted"] is False
    assert domain_names(domains) == ["acme.test", "example.org"]


def test_a_failed_cleanup_is_reported() -> None:
    domains = world()
    domains.fail_next("zone_file")
    domains.fail_next("remove_domain", failure="rate_limited", code="DEZKY_RATE_LIMITED")
    with pytest.raises(UpstreamUnavailableError) as caught:
        add(domains)
    (undo,) = getattr(caught.value, "undone")
    assert undo["what"] == "domain" and undo["error"]["code"] == "DEZKY_RATE_LIMITED"
    assert domain_names(domains) == ["acme.test", "example.org"]
    assert add(domains)["adopted"] is True  # the leftover is this tenant's: adopted


def test_a_domain_of_someone_else_is_already_exists() -> None:
    domains = world()
    domains.insert_memory_domain("taken.test", OTHER_TENANT)
    with pytest.raises(AlreadyExistsError) as caught:
        add(domains, "taken.test")
    assert (getattr(caught.value, "name"), getattr(caught.value, "holder")) == ("taken.test", OTHER_TENANT)
    assert domains.memory_calls("create_domain") == 0


@pytest.mark.parametrize(
    ("name", "field"),
    [("not a domain", "domain.name"), ("single", "domain.name"), ("-bad-.test", "domain.name")],
)
def test_bad_names_name_the_field(name: str, field: str) -> None:
    domains = world()
    with pytest.raises(InvalidArgumentError) as caught:
        add(domains, name)
    assert getattr(caught.value, "field") == field
    assert domains.memory_calls("find_domain") == 0


def test_rules_and_bad_arguments_are_typed_errors() -> None:
    domains = world()
    with pytest.raises(ForbiddenError):
        domains.add_domain_sync(tenant(), "example.org", ADMIN, plain_user(), BY)
    cases: list[tuple[Any, str, type[Exception]]] = [
        (lambda: domains.add_domain_sync(wrong([]), "example.org", ADMIN, admin_user(), BY), "tenant", ArgumentTypeError),
        (lambda: domains.add_domain_sync(tenant(), wrong(5), ADMIN, admin_user(), BY), "name", ArgumentTypeError),
        (lambda: domains.add_domain_sync(tenant(), "example.org", {"surface": "portal"}, admin_user(), BY), "caller.subject", InvalidArgumentError),
        (lambda: domains.remove_domain_sync(tenant(), {"name": "x.test"}, ADMIN, admin_user(), BY), "domain.tenantId", InvalidArgumentError),
        (lambda: domains.fail_next(wrong("explode")), "op", InvalidArgumentError),
        (lambda: domains.fail_next("zone_file", failure=wrong("boom")), "failure", InvalidArgumentError),
    ]
    for call, name, kind in cases:
        with pytest.raises(kind) as caught:
            call()
        error: Any = caught.value
        assert name in (getattr(error, "argument", None), getattr(error, "field", None)), (name, error)
    assert domains.memory_calls("find_domain") == 0
    with pytest.raises(InvalidArgumentError):  # not a mail port operation
        Domains.in_memory().memory_calls(wrong("nothing"))


def test_expected_records_and_verify_against_no_answer() -> None:
    domains = world()
    added = add(domains)
    document = stored(added)
    expected = domains.expected_records_sync(document)
    assert expected["checks"] == added["expected"]["checks"]
    # A resolver that answers nothing: every check unknown, the domain stays pending.
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        check = domains.verify_domain_sync(
            tenant(["acme.test", "example.org"]), document, ADMIN, admin_user(), BY, at=AT,
            nameservers=["127.0.0.1"], port=port, timeout=0.2, attempts=1,
        )
    assert check["status"] == "pending" and check["report"]["complete"] is False
    assert {c["status"] for c in check["report"]["checks"]} == {"unknown"}
    assert check["patch"]["update"] is not None and "lastCheckedAt" in check["patch"]["update"]["$set"]
    assert check["events"][0]["action"] == "domain.verify"
    with pytest.raises(InvalidArgumentError) as caught:
        domains.verify_domain_sync(tenant(), document, ADMIN, admin_user(), BY, nameservers=["not-an-ip"])
    assert getattr(caught.value, "argument") == "nameservers"


def test_list_domains_and_the_dmarc_policy() -> None:
    domains = world()
    document = stored(add(domains))
    owner = tenant(["acme.test", "example.org"])
    policy: DmarcPolicy = {"p": "quarantine", "pct": 50, "rua": ["mailto:DMARC@Example.org"], "adkim": "s"}
    assert dmarc_record(policy) == "v=DMARC1; p=quarantine; pct=50; rua=mailto:DMARC@example.org; adkim=s"
    change = set_dmarc(owner, document, policy, ADMIN, admin_user(), BY, at=AT)
    assert change["action"] == "domain.set_dmarc" and change["patch"] is not None
    assert change["patch"]["update"] is not None
    assert change["patch"]["update"]["$set"]["dmarc"] == dmarc_record(policy)
    (summary,) = list_domains(owner, [{**document, "dmarc": dmarc_record(policy)}], ADMIN, plain_user(), BY)
    assert summary["name"] == "example.org" and summary["customDmarc"] is True and summary["primary"] is False
    cleared = set_dmarc(owner, document, None, ADMIN, admin_user(), BY)
    assert cleared["patch"] is not None and cleared["patch"]["update"] is not None
    with pytest.raises(ForbiddenError):
        set_dmarc(owner, document, policy, ADMIN, plain_user(), BY)
    with pytest.raises(InvalidArgumentError) as caught:
        list_domains(owner, [{**document, "status": "lost"}], ADMIN, plain_user(), BY)
    assert getattr(caught.value, "field") == "domains[0].status"


@pytest.mark.parametrize(
    ("policy", "field", "kind"),
    [
        ({"p": "maybe"}, "dmarc.p", InvalidArgumentError),
        ({"p": "none", "sp": "allow"}, "dmarc.sp", InvalidArgumentError),
        ({"p": "none", "pct": 101}, "dmarc.pct", InvalidArgumentError),
        ({"p": "none", "pct": 300}, "dmarc.pct", InvalidArgumentError),
        ({"p": "none", "pct": "50"}, "dmarc.pct", ArgumentTypeError),
        ({"p": "none", "rua": ["mailto:ok@example.org", "https://example.org"]}, "dmarc.rua[1]", InvalidArgumentError),
        ({"p": "none", "ruf": ["mailto:a@b.test,mailto:c@d.test"]}, "dmarc.ruf[0]", InvalidArgumentError),
        ({"p": "none", "rua": "mailto:a@b.test"}, "dmarc.rua", ArgumentTypeError),
        ({"p": "none", "adkim": "x"}, "dmarc.adkim", InvalidArgumentError),
        ({"p": "none", "aspf": "relaxed"}, "dmarc.aspf", InvalidArgumentError),
        ({"p": "none", "fo": "1"}, "dmarc.fo", InvalidArgumentError),
        ({"pct": 5}, "dmarc.p", InvalidArgumentError),
    ],
)
def test_a_bad_dmarc_policy_names_the_field(policy: Any, field: str, kind: type[Exception]) -> None:
    with pytest.raises(kind) as caught:
        dmarc_record(policy)
    assert getattr(caught.value, "field") == field
    domains = world()
    document = stored(add(domains))
    with pytest.raises(kind) as again:
        set_dmarc(tenant(["acme.test", "example.org"]), document, policy, ADMIN, admin_user(), BY)
    assert getattr(again.value, "field") == field


def test_remove_domain_with_the_in_use_guard() -> None:
    domains = world()
    document = stored(add(domains))
    owner = tenant(["acme.test", "example.org"])
    primary = {**document, "name": "acme.test", "stalwartDomainId": "d-primary"}
    with pytest.raises(InUseError) as caught:
        domains.remove_domain_sync(owner, primary, ADMIN, admin_user(), BY)
    assert getattr(caught.value, "linked") == [] and getattr(caught.value, "name") == "acme.test"
    handle = domains.insert_memory_mailbox("bob@example.org")
    with pytest.raises(InUseError) as caught:
        domains.remove_domain_sync(owner, document, ADMIN, admin_user(), BY)
    assert getattr(caught.value, "linked") == [f"Account/{handle}"]
    assert domain_names(domains) == ["acme.test", "example.org"]
    other = world()
    document = stored(add(other))
    other.fail_next("remove_domain")
    with pytest.raises(UpstreamUnavailableError):
        other.remove_domain_sync(owner, document, ADMIN, admin_user(), BY)
    removal = other.remove_domain_sync(owner, document, ADMIN, admin_user(), BY, at=AT)
    assert removal["delete_filter"] == {"_id": {"$oid": DOMAIN_ID}}
    assert removal["tenant_patch"]["update"] is not None
    assert removal["tenant_patch"]["update"]["$set"]["domains"] == ["acme.test"]
    assert removal["events"][0]["action"] == "domain.remove"
    assert domain_names(other) == ["acme.test"]
    # Gone from the server already: removed from the tenant all the same.
    assert other.remove_domain_sync(owner, document, ADMIN, admin_user(), BY)["delete_filter"] is not None


def alice(domains: Domains) -> tuple[dict[str, Any], str]:
    handle = domains.insert_memory_mailbox("alice@acme.test")
    return {
        "_id": {"$oid": ALICE_ID}, "authentikSubjectId": "sub-alice", "email": "alice@acme.test",
        "tenantIds": [TENANT], "tenantRoles": {TENANT: "member"}, "active": True,
        "mailboxes": {TENANT: {"id": handle, "address": "alice@acme.test"}},
    }, handle


async def test_aliases_and_quota() -> None:
    domains = world()
    member, handle = alice(domains)
    change = await domains.add_alias(tenant(), member, "Sales@acme.test", ADMIN, admin_user(), BY, at=AT)
    assert change["action"] == "mailbox.alias_add" and change["patch"] is None and change["list"] is None
    assert domains.memory_state()["mailboxes"][handle]["aliases"] == ["sales@acme.test"]
    bob = domains.insert_memory_mailbox("bob@acme.test")
    with pytest.raises(AlreadyExistsError):
        domains.add_alias_sync(tenant(), {**member, "mailboxes": {TENANT: {"id": bob, "address": "bob@acme.test"}}}, "sales@acme.test", ADMIN, admin_user(), BY)
    with pytest.raises(InvalidArgumentError) as caught:
        domains.add_alias_sync(tenant(), member, "sales@elsewhere.test", ADMIN, admin_user(), BY)
    assert getattr(caught.value, "field") == "alias.address"
    # An add that failed as unavailable after taking effect is taken off again.
    domains.fail_next("add_alias", lose_reply=True)
    with pytest.raises(UpstreamUnavailableError):
        domains.add_alias_sync(tenant(), member, "team@acme.test", ADMIN, admin_user(), BY)
    assert domains.memory_state()["mailboxes"][handle]["aliases"] == ["sales@acme.test"]
    removed = domains.remove_alias_sync(tenant(), member, "sales@acme.test", ADMIN, admin_user(), BY)
    assert removed["action"] == "mailbox.alias_remove"
    assert domains.memory_state()["mailboxes"][handle]["aliases"] == []
    quota = domains.set_quota_sync(tenant(), member, 1 << 30, ADMIN, admin_user(), BY)
    assert quota["action"] == "mailbox.quota"
    assert domains.memory_state()["mailboxes"][handle]["quotaBytes"] == 1 << 30
    domains.set_quota_sync(tenant(), member, None, ADMIN, admin_user(), BY)
    assert domains.memory_state()["mailboxes"][handle]["quotaBytes"] is None
    for bad, kind in ((0, InvalidArgumentError), (wrong("1G"), ArgumentTypeError), (wrong(-1), InvalidArgumentError)):
        with pytest.raises(kind) as caught:
            domains.set_quota_sync(tenant(), member, bad, ADMIN, admin_user(), BY)
        assert getattr(caught.value, "field") == "mailbox.quotaBytes"
    with pytest.raises(ForbiddenError):
        domains.set_quota_sync(tenant(), member, 5, ADMIN, plain_user(), BY)


def test_mailing_lists() -> None:
    domains = world()
    created = domains.create_list_sync(tenant(), "team@acme.test", ["a@acme.test", "b@example.org"], ADMIN, admin_user(), BY)
    assert created["action"] == "mailing_list.create" and created["list"] is not None
    assert created["list"]["address"] == "team@acme.test"
    assert created["list"]["recipients"] == ["a@acme.test", "b@example.org"]
    with pytest.raises(AlreadyExistsError):
        domains.create_list_sync(tenant(), "team@acme.test", [], ADMIN, admin_user(), BY)
    with pytest.raises(InvalidArgumentError) as caught:
        domains.create_list_sync(tenant(), "news@acme.test", ["a@acme.test", "nobody"], ADMIN, admin_user(), BY)
    assert getattr(caught.value, "field") == "list.recipients[1]"
    with pytest.raises(ArgumentTypeError) as caught:
        domains.create_list_sync(tenant(), "news@acme.test", wrong("a@acme.test"), ADMIN, admin_user(), BY)
    assert getattr(caught.value, "field") == "list.recipients"
    changed = domains.set_list_members_sync(tenant(), "team@acme.test", ADMIN, admin_user(), BY, add=["c@acme.test"], remove=["a@acme.test"])
    assert changed["list"] is not None and changed["list"]["recipients"] == ["b@example.org", "c@acme.test"]
    # A create whose answer was lost removes what it made.
    domains.fail_next("create_list", lose_reply=True)
    with pytest.raises(UpstreamUnavailableError):
        domains.create_list_sync(tenant(), "news@acme.test", [], ADMIN, admin_user(), BY)
    assert [entry["address"] for entry in domains.memory_state()["lists"].values()] == ["team@acme.test"]
    deleted = domains.delete_list_sync(tenant(), "team@acme.test", ADMIN, admin_user(), BY)
    assert deleted["action"] == "mailing_list.delete"
    assert domains.memory_state()["lists"] == {}


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STALWART_API_URL", raising=False)
    with pytest.raises(ConfigError):
        Domains.from_env()
    monkeypatch.setenv("STALWART_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("STALWART_API_KEY", "test-key")
    domains = Domains.from_env()
    with pytest.raises(InvalidArgumentError) as caught:
        domains.memory_state()
    assert getattr(caught.value, "field") == "domains"
