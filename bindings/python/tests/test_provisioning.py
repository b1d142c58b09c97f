"""Tenant lifecycle and provisioning on the in-memory upstreams (the core's
behaviour is tested in ``dezky-core/tests/provisioning.rs``; these check what
crosses into Python: documents in, reports, patches and typed errors out)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

import dezky
from dezky.errors import (
    ArgumentTypeError,
    ConfigError,
    IllegalTransitionError,
    InvalidArgumentError,
    VersionConflictError,
)
from dezky.provisioning import (
    BulkEvent,
    Provisioner,
    Reconciliation,
    Step,
    apply_tenant_patch,
    new_tenant,
    parse_tenant_slug,
    transition_tenant,
)

TENANT = "6650f1c2a9b4e3d2c1b0a998"
ACTOR = "ops@dezky.example"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
STEPS: tuple[Step, ...] = ("authentik", "stalwart", "ocis", "stripe", "onboarding")


def document(tenant_id: str = TENANT, slug: str = "acme") -> dict[str, Any]:
    """A new tenant with a mail domain and a contact, so every step applies."""
    doc = new_tenant(tenant_id, slug, "Acme Co", "business")
    doc["domains"] = [f"{slug}.test"]
    doc["billingInfo"] = {"email": f"billing@{slug}.test"}
    return doc


def owned(provisioner: Provisioner, step: Step, tenant_id: str = TENANT) -> list[str]:
    resources = provisioner.memory_resources(step)
    return [handle for handle, r in resources.items() if r["owner"] == tenant_id]


def provisioned(provisioner: Provisioner) -> dict[str, Any]:
    doc = document()
    return apply_tenant_patch(doc, provisioner.provision_sync(doc, ACTOR, at=AT)["patch"])


def test_new_tenant_is_a_pending_document_at_version_0() -> None:
    doc = new_tenant(TENANT, "acme", "Acme Co", "business")
    assert doc["_id"] == TENANT
    assert (doc["slug"], doc["status"], doc["__v"]) == ("acme", "pending", 0)
    assert parse_tenant_slug("acme-1") == "acme-1"


def test_provision_creates_every_resource_and_activates() -> None:
    p = Provisioner.in_memory()
    doc = document()
    report = p.provision_sync(doc, ACTOR, at=AT)
    assert report["tenantId"] == TENANT and report["slug"] == "acme"
    assert report["activated"] and not report["dryRun"]
    assert [s["step"] for s in report["steps"]] == list(STEPS)
    assert {s["drift"] for s in report["steps"]} == {"created"}
    assert [e["action"] for e in report["events"]] == ["tenant.provision", "tenant.activate"]
    assert {e["actorEmail"] for e in report["events"]} == {ACTOR}
    assert report["events"][0]["at"].startswith("2026-01-02T03:04:05")
    patch = report["patch"]
    assert patch["expectedVersion"] == 0
    assert patch["filter"] == {"_id": {"$oid": TENANT}, "__v": 0}
    assert patch["update"] is not None
    assert patch["update"]["$inc"] == {"__v": 1}
    assert patch["update"]["$set"]["status"] == "active"

    tenant = apply_tenant_patch(doc, patch)
    assert (tenant["status"], tenant["__v"]) == ("active", 1)
    assert tenant["provisioningStatus"] == {step: "ok" for step in STEPS}
    assert tenant["stalwartDomain"] == "acme.test"
    assert tenant["stripeCustomerId"].startswith("cus_")
    for step in STEPS:
        assert len(owned(p, step)) == 1, step
    assert owned(p, "authentik") == [tenant["authentikGroupId"]]


def test_reconciling_the_applied_document_is_clean() -> None:
    p = Provisioner.in_memory()
    tenant = provisioned(p)
    report = p.reconcile_sync(tenant, ACTOR)
    assert {s["drift"] for s in report["steps"]} == {"in_sync"}
    assert report["patch"]["update"] is None
    assert not report["activated"]
    assert [e["action"] for e in report["events"]] == ["tenant.reconcile"]
    assert report["events"][0]["outcome"] == "success"
    # Nothing to send; the guard still names the version read.
    assert report["patch"]["filter"] == {"_id": {"$oid": TENANT}, "__v": 1}


def test_drift_is_reported_by_a_dry_run_and_repaired_by_a_reconcile() -> None:
    p = Provisioner.in_memory()
    tenant = provisioned(p)
    lost = tenant["authentikGroupId"]
    assert p.delete_memory_resource("authentik", lost)
    assert not p.delete_memory_resource("authentik", lost)

    dry = p.reconcile_sync(tenant, ACTOR, dry_run=True)
    by_step = {s["step"]: s for s in dry["steps"]}
    assert dry["dryRun"]
    assert by_step["authentik"]["drift"] == "missing"
    assert {by_step[s]["drift"] for s in STEPS if s != "authentik"} == {"in_sync"}
    assert dry["patch"]["update"] is None and dry["events"] == []
    assert owned(p, "authentik") == []  # nothing written upstream

    report = p.reconcile_sync(tenant, ACTOR)
    by_step = {s["step"]: s for s in report["steps"]}
    assert by_step["authentik"]["drift"] == "repaired"
    repaired = apply_tenant_patch(tenant, report["patch"])
    assert repaired["authentikGroupId"] != lost
    assert owned(p, "authentik") == [repaired["authentikGroupId"]]
    assert {s["drift"] for s in p.reconcile_sync(repaired, ACTOR)["steps"]} == {"in_sync"}


def test_suspend_then_resume_restores_the_upstreams() -> None:
    p = Provisioner.in_memory()
    tenant = provisioned(p)

    def suspended(step: Step) -> bool:
        handle = tenant["authentikGroupId"] if step == "authentik" else tenant["stalwartDomain"]
        return p.memory_resources(step)[handle]["suspended"]

    report = p.suspend_sync(tenant, ACTOR, at=AT)
    assert (report["action"], report["fromStatus"], report["toStatus"]) == ("suspend", "active", "suspended")
    assert [e["action"] for e in report["events"]] == ["tenant.suspend"]
    tenant = apply_tenant_patch(tenant, report["patch"])
    assert tenant["status"] == "suspended" and "suspendedAt" in tenant
    assert suspended("authentik") and suspended("stalwart")

    with pytest.raises(IllegalTransitionError) as refused:
        p.suspend_sync(tenant, ACTOR)
    assert (refused.value.from_status, refused.value.action) == ("suspended", "suspend")

    report = p.resume_sync(tenant, ACTOR)
    assert (report["fromStatus"], report["toStatus"]) == ("suspended", "active")
    tenant = apply_tenant_patch(tenant, report["patch"])
    assert tenant["status"] == "active" and "suspendedAt" not in tenant
    assert not suspended("authentik") and not suspended("stalwart")


def test_deprovision_after_delete_removes_what_carries_the_marker() -> None:
    p = Provisioner.in_memory()
    tenant = provisioned(p)
    with pytest.raises(IllegalTransitionError):
        p.deprovision_sync(tenant, ACTOR)

    deleted = transition_tenant(tenant, "delete", ACTOR, at=AT)
    assert (deleted["action"], deleted["fromStatus"], deleted["toStatus"]) == ("delete", "active", "deleted")
    assert deleted["event"]["action"] == "tenant.delete"
    assert deleted["event"]["metadata"]["from"] == "active"
    tenant = apply_tenant_patch(tenant, deleted["patch"])
    assert tenant["status"] == "deleted"
    with pytest.raises(IllegalTransitionError) as refused:
        p.reconcile_sync(tenant, ACTOR)
    assert refused.value.action == "reconcile"

    report = p.deprovision_sync(tenant, ACTOR)
    assert {r["step"]: r["removal"] for r in report["steps"]} == {step: "removed" for step in STEPS}
    for step in STEPS:
        assert owned(p, step) == []
    tenant = apply_tenant_patch(tenant, report["patch"])
    assert "deprovisionedAt" in tenant
    assert "authentikGroupId" not in tenant


def test_illegal_transition_and_version_conflict_carry_their_attributes() -> None:
    p = Provisioner.in_memory()
    tenant = provisioned(p)
    with pytest.raises(IllegalTransitionError) as illegal:
        transition_tenant(tenant, "resume", ACTOR)
    assert illegal.value.code == "DEZKY_ILLEGAL_TRANSITION"
    assert (illegal.value.from_status, illegal.value.action) == ("active", "resume")
    with pytest.raises(IllegalTransitionError) as again:
        p.provision_sync(tenant, ACTOR)
    assert (again.value.from_status, again.value.action) == ("active", "provision")

    # Two writers read version 1; the first write wins, the second is stale.
    first = transition_tenant(tenant, "suspend", ACTOR)["patch"]
    second = transition_tenant(tenant, "delete", ACTOR)["patch"]
    after_first = apply_tenant_patch(tenant, first)
    assert after_first["__v"] == 2
    with pytest.raises(VersionConflictError) as conflict:
        apply_tenant_patch(after_first, second)
    assert conflict.value.code == "DEZKY_VERSION_CONFLICT"
    assert (conflict.value.tenant, conflict.value.expected_version) == (TENANT, 1)


def test_activation_needs_every_step_settled() -> None:
    with pytest.raises(InvalidArgumentError) as unsettled:
        transition_tenant(document(), "activate", ACTOR)
    assert unsettled.value.field == "tenant.provisioningStatus"


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda p: p.provision_sync("acme", ACTOR), ArgumentTypeError, "tenant"),
        (lambda p: p.reconcile_sync([document()], ACTOR), ArgumentTypeError, "tenant"),
        (lambda p: p.provision_sync({**document(), "x": {1, 2}}, ACTOR), ArgumentTypeError, "tenant"),
        (lambda p: p.provision_sync(document(), 42), ArgumentTypeError, "actor"),
        (lambda p: p.reconcile_sync(document(), ACTOR, dry_run="yes"), ArgumentTypeError, "dry_run"),
        (lambda p: p.provision_sync(document(), ACTOR, at="yesterday"), InvalidArgumentError, "at"),
        (lambda p: p.disable("mail"), InvalidArgumentError, "step"),
        (lambda p: p.memory_resources(3), ArgumentTypeError, "step"),
        (lambda p: p.reconcile_all(42), ArgumentTypeError, "tenants"),
        (lambda p: p.reconcile_all([], concurrency="many"), ArgumentTypeError, "concurrency"),
        (lambda p: new_tenant(TENANT, "acme", "Acme", None), ArgumentTypeError, "plan"),  # type: ignore[arg-type]
        (lambda p: parse_tenant_slug(7), ArgumentTypeError, "slug"),  # type: ignore[arg-type]
    ],
)
def test_wrong_arguments_are_typed_errors_naming_the_argument(call: Any, error: type, name: str) -> None:
    with pytest.raises(error) as raised:
        call(Provisioner.in_memory())
    assert raised.value.code == "DEZKY_INVALID_ARGUMENT"  # type: ignore[attr-defined]
    assert raised.value.argument == name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: new_tenant(TENANT, "Acme_Co", "Acme", "business"), "tenant.slug"),
        (lambda: new_tenant(TENANT, "admin", "Acme", "business"), "tenant.slug"),
        (lambda: new_tenant("42", "acme", "Acme", "business"), "tenant.id"),
        (lambda: parse_tenant_slug("dezky-ops"), "slug"),
        (lambda: parse_tenant_slug("x", "body.slug"), "body.slug"),
        (lambda: transition_tenant({**document(), "status": "frozen"}, "delete", ACTOR), "tenant.status"),
        (lambda: transition_tenant({k: v for k, v in document().items() if k != "slug"}, "delete", ACTOR), "tenant.slug"),
        (
            lambda: Provisioner.in_memory().reconcile_sync(
                {**document(), "provisioningStatus": {"ocis": "done"}}, ACTOR
            ),
            "tenant.provisioningStatus.ocis",
        ),
        (lambda: Provisioner.in_memory().reconcile_sync({**document(), "__v": -1}, ACTOR), "tenant.__v"),
        (lambda: transition_tenant(document(), "explode", ACTOR), "action"),  # type: ignore[arg-type]
        (lambda: apply_tenant_patch(document(), {"update": {}}), "patch.tenantId"),  # type: ignore[typeddict-item]
    ],
)
def test_bad_values_are_invalid_argument_errors_naming_the_field(call: Any, field: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        call()
    assert raised.value.code == "DEZKY_INVALID_ARGUMENT"
    assert raised.value.field == field
    assert not isinstance(raised.value, ArgumentTypeError)


def test_a_provisioner_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTHENTIK_API_URL", "STALWART_API_URL", "OCIS_API_URL", "STRIPE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STALWART_PROVISIONING_ENABLED", "maybe")
    with pytest.raises(ConfigError) as broken:
        Provisioner.from_env()
    assert broken.value.code == "DEZKY_CONFIG"
    assert broken.value.field == "STALWART_PROVISIONING_ENABLED"

    # Nothing configured: every step is skipped, without a call.
    monkeypatch.setenv("STALWART_PROVISIONING_ENABLED", "false")
    p = Provisioner.from_env()
    report = p.provision_sync(document(), ACTOR)
    assert {s["state"] for s in report["steps"]} == {"skipped"}
    with pytest.raises(InvalidArgumentError) as not_memory:
        p.memory_resources("authentik")
    assert not_memory.value.field == "provisioner"


def test_a_disabled_step_is_skipped() -> None:
    p = Provisioner.in_memory().disable("ocis")
    assert isinstance(p, Provisioner)
    report = p.provision_sync(document(), ACTOR)
    assert {s["step"]: s["state"] for s in report["steps"]}["ocis"] == "skipped"
    assert owned(p, "ocis") == [] and len(owned(p, "stalwart")) == 1


async def test_operations_are_coroutines() -> None:
    p = Provisioner.in_memory()
    doc = document()
    report = await p.provision(doc, ACTOR, at=AT)
    tenant = apply_tenant_patch(doc, report["patch"])
    assert tenant["status"] == "active"
    assert {s["drift"] for s in (await p.reconcile(tenant, ACTOR))["steps"]} == {"in_sync"}
    suspended = apply_tenant_patch(tenant, (await p.suspend(tenant, ACTOR))["patch"])
    assert suspended["status"] == "suspended"
    with pytest.raises(IllegalTransitionError):
        await p.deprovision(suspended, ACTOR)


# -- bulk runs -----------------------------------------------------------------

COUNT = 200


def tenant_id(i: int) -> str:
    return f"{i + 1:024x}"


def tenants(count: int = COUNT) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield document(tenant_id(i), f"t{i:03d}")


def check_run(events: list[BulkEvent], count: int = COUNT) -> list[Reconciliation]:
    assert events[-1]["kind"] == "done"
    results = [e["result"] for e in events if e["kind"] == "reconciled"]
    assert len(events) == count + 1 and len(results) == count
    assert sorted(r["tenantId"] for r in results) == [tenant_id(i) for i in range(count)]
    return results


def test_reconcile_all_reports_each_tenant_then_the_totals() -> None:
    p = Provisioner.in_memory()
    events = list(p.reconcile_all(tenants(), concurrency=8, actor=ACTOR, at=AT))
    results = check_run(events)
    assert all(r["activated"] for r in results)
    done = events[-1]
    assert done["kind"] == "done"
    summary = done["summary"]
    assert (summary["tenants"], summary["settled"], summary["activated"]) == (COUNT, COUNT, COUNT)
    assert (summary["unsettled"], summary["refused"]) == (0, 0)
    assert len(p.memory_resources("authentik")) == COUNT
    assert results[0]["events"][0]["actorEmail"] == ACTOR


def test_reconcile_all_dry_run_writes_nothing() -> None:
    p = Provisioner.in_memory()
    results = check_run(list(p.reconcile_all(tenants(20), dry_run=True)), 20)
    assert all(r["dryRun"] and r["patch"]["update"] is None for r in results)
    assert {s["drift"] for r in results for s in r["steps"]} == {"missing"}
    assert p.memory_resources("authentik") == {}


def test_reconcile_all_refuses_broken_documents_and_goes_on() -> None:
    p = Provisioner.in_memory()
    good = list(tenants(5))
    deleted = {**document(tenant_id(9), "gone"), "status": "deleted"}
    inputs: list[Any] = [good[0], {"slug": "x"}, good[1], "not a document", deleted, good[2], {"a": {1}}]
    events = list(p.reconcile_all(inputs, concurrency=2))
    refused = sorted((e["index"], e["code"]) for e in events if e["kind"] == "refused")
    assert refused == [
        (1, "DEZKY_INVALID_ARGUMENT"),
        (3, "DEZKY_INVALID_ARGUMENT"),
        (4, "DEZKY_ILLEGAL_TRANSITION"),
        (6, "DEZKY_INVALID_ARGUMENT"),
    ]
    messages = [e["message"] for e in events if e["kind"] == "refused" and e["index"] == 3]
    assert "tenant" in messages[0]
    done = events[-1]
    assert done["kind"] == "done"
    assert (done["summary"]["tenants"], done["summary"]["refused"], done["summary"]["settled"]) == (7, 4, 3)


def test_leaving_reconcile_all_early_cancels_the_run() -> None:
    p = Provisioner.in_memory()
    pulled = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for tenant in tenants():
            pulled += 1
            yield tenant

    for event in p.reconcile_all(counted(), concurrency=4):
        assert event["kind"] == "reconciled"
        break
    made = len(p.memory_resources("authentik"))
    time.sleep(0.2)
    assert len(p.memory_resources("authentik")) == made
    assert made < COUNT and pulled < COUNT


def test_a_cancelled_bulk_run_ends_without_its_totals() -> None:
    p = Provisioner.in_memory()
    for stop in ("end", "cancel"):
        run = p.bulk_run(concurrency=2)
        assert run.next_sync(True) is None  # room for a tenant
        run.push(document(tenant_id(7), f"{stop}-run"))
        getattr(run, stop)()
        kinds = []
        while (event := run.next_sync(False)) is not None:
            kinds.append(event["kind"])
        assert kinds == (["reconciled", "done"] if stop == "end" else []), kinds
        with pytest.raises(InvalidArgumentError) as ended:
            run.push(document())
        assert ended.value.argument == "tenant"


async def test_reconcile_all_async_over_an_async_iterable() -> None:
    p = Provisioner.in_memory()

    async def source() -> AsyncIterator[dict[str, Any]]:
        for tenant in tenants():
            await asyncio.sleep(0)
            yield tenant

    events = [event async for event in p.reconcile_all_async(source(), concurrency=16)]
    check_run(events)
    assert len(p.memory_resources("stripe")) == COUNT


async def test_reconcile_all_async_over_a_plain_iterable() -> None:
    p = Provisioner.in_memory()
    events = [event async for event in p.reconcile_all_async(list(tenants(30)))]
    check_run(events, 30)


async def test_leaving_reconcile_all_async_early_cancels_the_run() -> None:
    p = Provisioner.in_memory()
    pulled = 0

    async def counted() -> AsyncIterator[dict[str, Any]]:
        nonlocal pulled
        for tenant in tenants():
            pulled += 1
            yield tenant

    async with contextlib.aclosing(p.reconcile_all_async(counted(), concurrency=4)) as events:
        async for event in events:
            assert event["kind"] == "reconciled"
            break
    made = len(p.memory_resources("authentik"))
    await asyncio.sleep(0.2)
    assert len(p.memory_resources("authentik")) == made
    assert made < COUNT and pulled < COUNT


def test_the_package_exports_the_provisioner() -> None:
    assert dezky.Provisioner is Provisioner
    assert dezky.provisioning.transition_tenant is transition_tenant


def test_the_in_memory_stalwart_gives_a_zone_file_for_its_domains() -> None:
    p = Provisioner.in_memory()
    assert p.memory_zone_file("acme.test") is None
    provisioned_doc = provisioned(p)
    assert provisioned_doc["status"] == "active"
    zone = p.memory_zone_file("acme.test")
    assert zone is not None
    expected = dezky.dns.expected_records("acme.test", zone)
    kinds = {check["kind"] for check in expected["checks"]}
    assert {"mx", "spf", "dkim", "dmarc"} <= kinds
    assert p.memory_zone_file("other.test") is None
