"""Billing maths (the core's rules, with property tests against a big-integer
reference, are in ``dezky-core/src/billing.rs``; these check what crosses into
Python: documents in, the MRR report and field-named errors out)."""

from __future__ import annotations

from typing import Any

import pytest

from dezky.billing import margin_basis_points, monthly_amount, mrr, read_price, read_subscription
from dezky.errors import ArgumentTypeError, InvalidArgumentError
from dezky.provisioning import new_tenant

ACME, GLOBEX, SOLO = "6650f1c2a9b4e3d2c1b0a901", "6650f1c2a9b4e3d2c1b0a902", "6650f1c2a9b4e3d2c1b0a903"
NORDIC = "6650f1c2a9b4e3d2c1b0a9ff"


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def tenant(id_: str, slug: str, plan: str, **extra: Any) -> dict[str, Any]:
    return {**new_tenant(id_, slug, slug.title(), plan), **extra}


TENANTS: list[dict[str, Any]] = [
    tenant(ACME, "acme", "business", partnerId=NORDIC, seats=7),
    tenant(GLOBEX, "globex", "starter", partnerId=NORDIC),
    tenant(SOLO, "solo", "starter", seats=3),
]
PARTNERS: list[dict[str, Any]] = [{"_id": NORDIC, "slug": "nordic-it", "name": "Nordic IT", "status": "active", "marginPct": 12.5}]
CATALOGUE: list[dict[str, Any]] = [
    {"_id": "p-starter", "plan": "starter", "cycle": "monthly", "currency": "EUR", "perSeatAmount": 400},
    {"_id": "p-starter-old", "plan": "starter", "cycle": "monthly", "currency": "eur", "perSeatAmount": 300, "active": False},
]
SUBSCRIPTIONS: list[dict[str, Any]] = [
    # 7 seats at 10.00 a year: 70.00 / 12 = 5.833.. -> 583 a month.
    {"_id": "s-acme", "tenantId": ACME, "plan": "business", "status": "active", "cycle": "yearly",
     "currency": "eur", "perSeatAmount": 1000, "seats": 7},
    # No snapshot: the catalogue's active starter price, the tenant has no seats: one.
    {"_id": "s-globex", "tenantId": GLOBEX, "plan": "starter", "status": "past_due"},
    # No snapshot and the tenant's 3 seats.
    {"_id": "s-solo", "tenantId": SOLO, "plan": "starter", "status": "active"},
    {"_id": "s-trial", "tenantId": SOLO, "plan": "business", "status": "trialing", "cycle": "monthly",
     "currency": "eur", "perSeatAmount": 999, "seats": 1},
    {"_id": "s-lost", "tenantId": SOLO, "plan": "enterprise", "status": "active"},
]


@pytest.mark.parametrize(
    ("cycle", "per_seat", "seats", "monthly"),
    [
        ("monthly", 400, 3, 1200),
        ("yearly", 1000, 7, 583),
        ("yearly", 6, 1, 1),  # 0.5 rounds up
        ("yearly", 5, 1, 0),
        ("yearly", 0, 100, 0),
        ("monthly", 10**12, 10**6, 10**18),
    ],
)
def test_monthly_amounts_round_half_up_once(cycle: Any, per_seat: int, seats: int, monthly: int) -> None:
    assert monthly_amount(cycle, per_seat, seats) == monthly


def test_documents_as_the_core_reads_them() -> None:
    price = read_price(CATALOGUE[0])
    assert price == {
        "id": "p-starter",
        "plan": "starter",
        "cycle": "monthly",
        "currency": "eur",
        "perSeatAmount": 400,
        "active": True,
        "stripePriceId": None,
    }
    subscription = read_subscription(SUBSCRIPTIONS[1])
    assert (subscription["status"], subscription["cycle"], subscription["seats"]) == ("past_due", None, None)


def test_mrr_by_tenant_plan_and_partner() -> None:
    report = mrr(SUBSCRIPTIONS, CATALOGUE, TENANTS, PARTNERS)
    amounts = {s["subscriptionId"]: (s["amount"], s["fromCatalogue"]) for s in report["subscriptions"]}
    assert amounts == {"s-acme": (583, False), "s-globex": (400, True), "s-solo": (1200, True)}
    assert report["total"] == {"eur": 2183}
    assert report["byPlan"] == {"business": {"eur": 583}, "starter": {"eur": 1600}}
    assert report["byTenant"][SOLO] == {"eur": 1200}
    assert report["byPartner"] == [
        {
            "partnerId": NORDIC,
            "partnerSlug": "nordic-it",
            "currency": "eur",
            "mrr": 983,
            "marginBasisPoints": 1250,
            "margin": 123,  # 122.875 rounds half up
            "net": 860,
        }
    ]
    assert [u["subscriptionId"] for u in report["unpriced"]] == ["s-lost"]
    assert "enterprise" in report["unpriced"][0]["reason"]
    # Any iterable of documents (a cursor, a generator) will do, and the optional lists may be left out.
    assert mrr(iter(SUBSCRIPTIONS[:1]))["total"] == {"eur": 583}


@pytest.mark.parametrize(("pct", "bp"), [(None, 0), (0, 0), (12.5, 1250), (33.33, 3333), (100, 10000)])
def test_margin_basis_points(pct: float | None, bp: int) -> None:
    partner = {**PARTNERS[0], "marginPct": pct}
    assert margin_basis_points(partner) == bp


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: monthly_amount("weekly", 1, 1), "cycle"),  # type: ignore[arg-type]
        (lambda: monthly_amount("monthly", -1, 1), "per_seat_amount"),
        (lambda: read_price({**CATALOGUE[0], "perSeatAmount": 10**13}), "price.perSeatAmount"),
        (lambda: read_price({**CATALOGUE[0], "currency": "euro"}), "price.currency"),
        (lambda: read_subscription({**SUBSCRIPTIONS[0], "seats": -2}), "subscription.seats"),
        (lambda: mrr([SUBSCRIPTIONS[0], {**SUBSCRIPTIONS[1], "status": "gone"}]), "subscriptions[1].status"),
        (lambda: mrr(SUBSCRIPTIONS, [{**CATALOGUE[0], "cycle": "daily"}]), "catalogue[0].cycle"),
        (lambda: mrr(SUBSCRIPTIONS, CATALOGUE, [{**TENANTS[0], "status": "frozen"}]), "tenants[0].status"),
        (lambda: mrr(SUBSCRIPTIONS, CATALOGUE, TENANTS, [{**PARTNERS[0], "marginPct": 12.345}]), "partner.marginPct"),
        (lambda: margin_basis_points({**PARTNERS[0], "marginPct": 101}), "partner.marginPct"),
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
        (lambda: monthly_amount("monthly", wrong("400"), 1), "per_seat_amount"),
        (lambda: monthly_amount("monthly", 400, True), "seats"),
        (lambda: mrr(wrong(SUBSCRIPTIONS[0])), "subscriptions"),
        (lambda: mrr(wrong("s-acme")), "subscriptions"),
        (lambda: mrr(wrong(42)), "subscriptions"),
        (lambda: mrr([SUBSCRIPTIONS[0], wrong("s-globex")]), "subscriptions[1]"),
        (lambda: read_price(wrong(["p"])), "price"),
        (lambda: margin_basis_points(wrong(None)), "partner"),
    ],
)
def test_wrong_types_are_argument_type_errors(call: Any, name: str) -> None:
    with pytest.raises(ArgumentTypeError) as raised:
        call()
    assert raised.value.argument == name


def test_billing_audit_events() -> None:
    from datetime import datetime, timezone

    from dezky.billing import billing_audit_event

    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    event = billing_audit_event(
        "seats_change", "6650f1c2a9b4e3d2c1b0a998", "sub_1", "admin@acme.test",
        request_id="req-4", seats=7, seats_before=5, at=at,
    )
    assert event == {
        "action": "billing.seats_change",
        "outcome": "success",
        "actorEmail": "admin@acme.test",
        "at": "2026-01-02T03:04:05.000Z",
        "targetType": "subscription",
        "targetId": "sub_1",
        "tenantId": "6650f1c2a9b4e3d2c1b0a998",
        "metadata": {"requestId": "req-4", "seats": 7, "seatsBefore": 5},
    }
    details = billing_audit_event(
        "details_update", "t-1", "cus_1", "admin@acme.test", outcome="failure", fields=["email", "address"]
    )
    assert (details["action"], details["outcome"], details["targetType"]) == ("billing.details_update", "failure", "customer")
    assert details["metadata"] == {"fields": ["email", "address"]}
    created = billing_audit_event("subscription_create", "t-1", "sub_1", "a@b.example", seats=5)
    assert created["action"] == "billing.subscription_create" and created["metadata"] == {"seats": 5}
    cancelled = billing_audit_event("cancel_at_period_end", "t-1", "sub_1", "a@b.example")
    assert cancelled["action"] == "billing.cancel_at_period_end" and "metadata" not in cancelled


@pytest.mark.parametrize(
    ("kwargs", "name", "kind"),
    [
        ({"action": "seats_change"}, "billing.seats", InvalidArgumentError),
        ({"action": "seats_change", "seats": 1_000_001}, "billing.seats", InvalidArgumentError),
        ({"action": "seats_change", "seats": -1}, "seats", InvalidArgumentError),
        ({"action": "seats_change", "seats": "7"}, "seats", ArgumentTypeError),
        ({"action": "cancel_at_period_end", "seats_before": 3}, "billing.seatsBefore", InvalidArgumentError),
        ({"action": "details_update"}, "billing.fields", InvalidArgumentError),
        ({"action": "details_update", "fields": ["vat"]}, "billing.fields[0]", InvalidArgumentError),
        ({"action": "refund"}, "action", InvalidArgumentError),
        ({"action": "cancel_at_period_end", "outcome": "maybe"}, "outcome", InvalidArgumentError),
        ({"action": "cancel_at_period_end", "target_id": " "}, "billing.targetId", InvalidArgumentError),
    ],
)
def test_billing_audit_event_refusals(kwargs: dict[str, Any], name: str, kind: type[Exception]) -> None:
    from dezky.billing import billing_audit_event

    args: dict[str, Any] = {"tenant_id": "t-1", "target_id": "sub_1", "actor": "a@b.example", **kwargs}
    with pytest.raises(kind) as caught:
        billing_audit_event(**args)
    error: Any = caught.value
    assert name in (getattr(error, "field", None), getattr(error, "argument", None)), error
