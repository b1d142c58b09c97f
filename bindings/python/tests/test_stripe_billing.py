"""StripeClient's billing operations against the local Stripe stand-in of
test_stripe.py: billing details, EU VAT ids, seat subscriptions and their
control-plane snapshot; the form fields, idempotency keys, and local refusals
naming the field (nothing sent)."""

from __future__ import annotations

from typing import Any

import pytest

from dezky.errors import ArgumentTypeError, InvalidArgumentError, NotFoundError
from dezky.stripe import StripeClient
from test_stripe import Stub, client, customer, stub

__all__ = ["stub"]


def tax_id(id: str, **extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": id,
        "object": "tax_id",
        "type": "eu_vat",
        "value": "DE123456789",
        "country": "DE",
        "customer": "cus_1",
        "verification": {"status": "pending", "verified_name": None, "verified_address": None},
        "created": 1700000000,
        "livemode": False,
    }
    value.update(extra)
    return value


def subscription(quantity: int = 5, interval: str = "month", cancel: bool = False) -> dict[str, Any]:
    return {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": "active",
        "cancel_at_period_end": cancel,
        "cancel_at": 1791600000 if cancel else None,
        "currency": "eur",
        "created": 1789000000,
        "start_date": 1789000000,
        "metadata": {"tenant_id": "t-1"},
        "livemode": False,
        "items": {
            "object": "list",
            "has_more": False,
            "url": "/v1/subscription_items?subscription=sub_1",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "quantity": quantity,
                    "current_period_start": 1789000000,
                    "current_period_end": 1791600000,
                    "price": {
                        "id": "price_1",
                        "object": "price",
                        "active": True,
                        "currency": "eur",
                        "unit_amount": 1000,
                        "billing_scheme": "per_unit",
                        "type": "recurring",
                        "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
                        "product": "prod_1",
                    },
                }
            ],
        },
    }


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def refused(error: InvalidArgumentError, field: str) -> None:
    assert error.code == "DEZKY_INVALID_ARGUMENT"
    assert getattr(error, "field", None) == field or getattr(error, "argument", None) == field, (
        f"{error!r} does not name {field}"
    )


async def test_update_billing_details_sends_the_fields_given(stub: Stub) -> None:
    stub.routes["POST /v1/customers/cus_1"] = lambda _: (200, customer("cus_1", name="ACME GmbH"))
    stripe = client(stub)
    updated = await stripe.update_billing_details(
        "cus_1",
        {
            "name": "ACME GmbH",
            "email": "billing@acme.example",
            "address": {"line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "de"},
        },
        "req-1",
    )
    assert updated["id"] == "cus_1" and updated["name"] == "ACME GmbH"
    seen = stub.seen[0]
    assert seen.headers["idempotency-key"] == "customer:cus_1:billing-details:req-1"
    assert seen.form["name"] == ["ACME GmbH"]
    assert seen.form["email"] == ["billing@acme.example"]
    assert seen.form["address[line1]"] == ["Hauptstr. 1"]
    assert seen.form["address[postal_code]"] == ["10115"]
    assert seen.form["address[country]"] == ["DE"]
    assert "address[line2]" not in seen.form and "address[state]" not in seen.form
    # Only the email: nothing else is sent.
    stripe.update_billing_details_sync("cus_1", {"email": "ap@acme.example"}, "req-2")
    assert set(stub.seen[1].form) == {"email"}


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({}, "details"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 257}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"address": {"country": "UK"}}, "address.country"),
        ({"address": {"country": "Germany"}}, "address.country"),
        ({"address": {"city": ""}}, "address.city"),
        ({"address": {"zip": "10115"}}, "address.zip"),
        ({"vat": "DE1"}, "vat"),
    ],
)
async def test_billing_details_refusals_name_the_field(stub: Stub, details: Any, field: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client(stub).update_billing_details("cus_1", details, "req-1")
    refused(caught.value, field)
    assert not isinstance(caught.value, TypeError)
    assert stub.seen == []


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ("ACME", "details"),
        ({"name": 5}, "name"),
        ({"email": b"x@y.z"}, "email"),
        ({"address": "Hauptstr. 1"}, "address"),
        ({"address": {"country": 49}}, "address.country"),
    ],
)
def test_billing_details_wrong_types_name_the_field(stub: Stub, details: Any, field: str) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        client(stub).update_billing_details_sync("cus_1", details, "req-1")
    refused(caught.value, field)
    assert stub.seen == []


def test_billing_details_bad_ids_and_request_ids(stub: Stub) -> None:
    stripe = client(stub)
    with pytest.raises(InvalidArgumentError) as caught:
        stripe.update_billing_details_sync("cus_../x", {"name": "A"}, "req-1")
    refused(caught.value, "customer_id")
    with pytest.raises(InvalidArgumentError) as caught:
        stripe.update_billing_details_sync("cus_1", {"name": "A"}, " ")
    refused(caught.value, "request_id")
    with pytest.raises(ArgumentTypeError) as type_caught:
        stripe.update_billing_details_sync("cus_1", {"name": "A"}, 7)  # type: ignore[arg-type]
    assert type_caught.value.argument == "request_id"
    assert stub.seen == []


async def test_eu_vat_ids_added_listed_deleted(stub: Stub) -> None:
    stub.routes["POST /v1/customers/cus_1/tax_ids"] = lambda _: (200, tax_id("txi_1"))
    stub.routes["GET /v1/customers/cus_1/tax_ids"] = lambda seen: (
        (200, {"object": "list", "has_more": False, "data": [tax_id("txi_3", verification={"status": "verified", "verified_name": "ACME GmbH", "verified_address": None})]})
        if seen.query.get("starting_after") == ["txi_2"]
        else (200, {"object": "list", "has_more": True, "data": [tax_id("txi_1"), tax_id("txi_2")]})
    )
    stub.routes["DELETE /v1/customers/cus_1/tax_ids/txi_1"] = lambda _: (200, {"id": "txi_1", "object": "tax_id", "deleted": True})
    stripe = client(stub)
    added = await stripe.add_eu_vat_id("cus_1", "de 123.456-789", "req-2")
    assert added == {
        "id": "txi_1",
        "type": "eu_vat",
        "value": "DE123456789",
        "country": "DE",
        "customer": "cus_1",
        "verification": {"status": "pending", "verified_name": None, "verified_address": None},
        "created": 1700000000,
        "livemode": False,
    }
    first = stub.seen[0]
    assert first.form["type"] == ["eu_vat"] and first.form["value"] == ["DE123456789"]
    assert first.headers["idempotency-key"] == "customer:cus_1:tax-id:req-2"
    every = await stripe.tax_ids("cus_1")
    assert [t["id"] for t in every] == ["txi_1", "txi_2", "txi_3"]
    assert every[2]["verification"] == {"status": "verified", "verified_name": "ACME GmbH", "verified_address": None}
    delete: Any = stripe.delete_tax_id
    assert await delete("cus_1", "txi_1") is None
    delete_sync: Any = stripe.delete_tax_id_sync
    assert delete_sync("cus_1", "txi_9") is None  # already gone: not an error
    assert (stub.seen[-1].method, stub.seen[-1].path) == ("DELETE", "/v1/customers/cus_1/tax_ids/txi_9")


@pytest.mark.parametrize(
    ("value", "hint"),
    [("GR123456789", "EL"), ("GB123456789", "gb_vat"), ("US123", "prefix"), ("DE", "prefix"), ("DEABCDEF", "digit")],
)
def test_eu_vat_refusals_name_the_field(stub: Stub, value: str, hint: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        client(stub).add_eu_vat_id_sync("cus_1", value, "req-2")
    refused(caught.value, "tax_id.value")
    assert hint in str(caught.value)
    assert stub.seen == []


def test_tax_id_bad_arguments(stub: Stub) -> None:
    stripe = client(stub)
    with pytest.raises(ArgumentTypeError) as caught:
        stripe.tax_ids_sync(7)  # type: ignore[arg-type]
    assert caught.value.argument == "customer_id"
    with pytest.raises(InvalidArgumentError) as invalid:
        stripe.delete_tax_id_sync("cus_1", "tax_1")
    refused(invalid.value, "tax_id")
    assert stub.seen == []


async def test_create_subscription_one_item_of_seats_and_the_snapshot(stub: Stub) -> None:
    stub.routes["POST /v1/subscriptions"] = lambda _: (200, subscription())
    created = await client(stub).create_subscription("cus_1", "price_1", 5, "req-3", tenant_id="t-1")
    seen = stub.seen[0]
    assert seen.headers["idempotency-key"] == "customer:cus_1:create-subscription:req-3"
    assert seen.form["customer"] == ["cus_1"]
    assert seen.form["items[0][price]"] == ["price_1"]
    assert seen.form["items[0][quantity]"] == ["5"]
    assert seen.form["metadata[tenant_id]"] == ["t-1"]
    assert created["id"] == "sub_1" and created["customer_id"] == "cus_1"
    assert created["status"] == "active" and created["cancel_at_period_end"] is False
    assert created["current_period_end"] == 1791600000
    assert created["metadata"] == {"tenant_id": "t-1"}
    assert created["items"] == [
        {
            "id": "si_1",
            "price_id": "price_1",
            "quantity": 5,
            "unit_amount": 1000,
            "currency": "eur",
            "interval": "month",
            "interval_count": 1,
            "current_period_start": 1789000000,
            "current_period_end": 1791600000,
        }
    ]
    assert created["snapshot"] == {
        "status": "active",
        "stripeCustomerId": "cus_1",
        "stripeSubscriptionId": "sub_1",
        "cycle": "monthly",
        "currency": "eur",
        "perSeatAmount": 1000,
        "seats": 5,
    }
    assert created["snapshot_error"] is None


async def test_change_seats_cancel_and_retrieve(stub: Stub) -> None:
    quantities = iter([7, 0, 3])
    stub.routes["POST /v1/subscriptions/sub_1"] = lambda seen: (
        200,
        subscription(cancel=True) if "cancel_at_period_end" in seen.form else subscription(next(quantities)),
    )
    stub.routes["GET /v1/subscriptions/sub_1"] = lambda _: (200, subscription(interval="week"))
    stripe = client(stub)
    changed = await stripe.change_seats("sub_1", "si_1", 7, "req-4")
    assert changed["snapshot"] is not None and changed["snapshot"]["seats"] == 7
    assert stub.seen[0].form["items[0][id]"] == ["si_1"]
    assert stub.seen[0].form["items[0][quantity]"] == ["7"]
    assert stub.seen[0].form["proration_behavior"] == ["create_prorations"]
    assert stub.seen[0].headers["idempotency-key"] == "subscription:sub_1:change-seats:req-4"
    stripe.change_seats_sync("sub_1", "si_1", 0, "req-5", proration="always_invoice")
    assert stub.seen[1].form["proration_behavior"] == ["always_invoice"]
    assert stub.seen[1].form["items[0][quantity]"] == ["0"]
    await stripe.change_seats("sub_1", "si_1", 3, "req-6", proration="none")
    assert stub.seen[2].form["proration_behavior"] == ["none"]
    cancelled = await stripe.cancel_at_period_end("sub_1", "req-7")
    assert cancelled["cancel_at_period_end"] is True and cancelled["cancel_at"] == 1791600000
    assert stub.seen[3].form["cancel_at_period_end"] == ["true"]
    assert stub.seen[3].headers["idempotency-key"] == "subscription:sub_1:cancel-at-period-end:req-7"
    weekly = stripe.retrieve_subscription_sync("sub_1")
    assert weekly["snapshot"] is None
    assert weekly["snapshot_error"] is not None
    assert "subscription.items[0].price.recurring.interval" in weekly["snapshot_error"]
    assert weekly["items"][0]["interval"] == "week"


def test_subscription_refusals_name_the_argument(stub: Stub) -> None:
    stripe = client(stub)
    cases: list[tuple[Any, str, type[Exception]]] = [
        (lambda: stripe.create_subscription_sync("cus_1", "price_1", 1_000_001, "r"), "seats", InvalidArgumentError),
        (lambda: stripe.create_subscription_sync("cus_1", "price_1", -1, "r"), "seats", InvalidArgumentError),
        (lambda: stripe.create_subscription_sync("cus_1", "price_1", wrong("5"), "r"), "seats", ArgumentTypeError),
        (lambda: stripe.create_subscription_sync("cus_1", "price_1", wrong(5.0), "r"), "seats", ArgumentTypeError),
        (lambda: stripe.create_subscription_sync("cus_1", "price_1", True, "r"), "seats", ArgumentTypeError),
        (lambda: stripe.create_subscription_sync("cus_1", "prod_1", 5, "r"), "price_id", InvalidArgumentError),
        (lambda: stripe.create_subscription_sync("cus_1", "price_1", 5, ""), "request_id", InvalidArgumentError),
        (lambda: stripe.change_seats_sync("sub_1", "si_1", 2, "r", proration=wrong("sometimes")), "proration", InvalidArgumentError),
        (lambda: stripe.change_seats_sync("sub_1", "item_1", 2, "r"), "item_id", InvalidArgumentError),
        (lambda: stripe.change_seats_sync("sub_1", "si_1", -2, "r"), "seats", InvalidArgumentError),
        (lambda: stripe.cancel_at_period_end_sync("sub_1", "  "), "request_id", InvalidArgumentError),
        (lambda: stripe.cancel_at_period_end_sync(wrong(None), "r"), "subscription_id", ArgumentTypeError),
    ]
    for call, field, kind in cases:
        with pytest.raises(kind) as caught:
            call()
        assert isinstance(caught.value, InvalidArgumentError)
        refused(caught.value, field)
    assert stub.seen == []


async def test_upstream_refusal_keeps_its_code(stub: Stub) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client(stub).retrieve_subscription("sub_gone")
    assert getattr(caught.value, "upstream_code") == "resource_missing"


def test_stripe_client_is_the_public_class(stub: Stub) -> None:
    assert isinstance(client(stub), StripeClient)
