"""verify_stripe_webhook and order_stripe_event. Signatures are computed here
with the standard library's hmac and hashlib, independently of the SDK: valid
ones, several v1 entries, the tolerance window both ways, tampered and
re-serialised bodies, bad headers and each bad argument as a typed error
naming it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dezky.errors import ArgumentTypeError, InvalidArgumentError, UpstreamDecodeError, WebhookSignatureError
from dezky.stripe import order_stripe_event, verify_stripe_webhook
from test_stripe_billing import subscription

SECRET = "whsec_test_python_webhook_secret"
T = 1789000100
NOW = datetime.fromtimestamp(T, tz=timezone.utc)


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def sign(body: bytes, t: int = T, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def header(body: bytes, t: int = T, secret: str = SECRET) -> str:
    return f"t={t},v1={sign(body, t, secret)}"


def event(kind: str, obj: dict[str, Any], **extra: Any) -> bytes:
    value: dict[str, Any] = {
        "id": "evt_1",
        "object": "event",
        "type": kind,
        "created": 1789000050,
        "livemode": False,
        "api_version": "2026-06-24.dahlia",
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": obj, **extra},
    }
    return json.dumps(value, separators=(",", ":")).encode()


def test_the_known_vector() -> None:
    # The vector of dezky-clients/tests/stripe_webhook.rs, made with Python's hmac there too.
    body = b'{"id":"evt_1"}'
    assert sign(body, 1700000000, "whsec_test") == hmac.new(
        b"whsec_test", b'1700000000.{"id":"evt_1"}', hashlib.sha256
    ).hexdigest()


def test_a_subscription_event_with_its_snapshot() -> None:
    body = event("customer.subscription.updated", subscription(quantity=8), previous_attributes={"items": {"data": []}})
    verified = verify_stripe_webhook(body, header(body), SECRET, now=NOW)
    assert verified["id"] == "evt_1"
    assert verified["type"] == "customer.subscription.updated"
    assert verified["created"] == 1789000050
    assert verified["livemode"] is False
    assert verified["api_version"] == "2026-06-24.dahlia"
    assert verified["object_type"] == "subscription"
    obj: Any = verified["object"]
    assert obj["id"] == "sub_1" and obj["customer_id"] == "cus_1"
    assert obj["snapshot"]["seats"] == 8 and obj["snapshot"]["cycle"] == "monthly"
    assert verified["previous_attributes"] == {"items": {"data": []}}
    # bytearray and memoryview carry the same bytes.
    assert verify_stripe_webhook(bytearray(body), header(body), SECRET, now=NOW) == verified
    assert verify_stripe_webhook(memoryview(body), header(body), SECRET, now=NOW) == verified


def test_invoice_customer_and_other_events() -> None:
    invoice = {"id": "in_1", "object": "invoice", "status": "paid", "currency": "eur", "amount_due": 5000,
               "amount_paid": 5000, "amount_remaining": 0, "total": 5000, "customer": "cus_1"}
    body = event("invoice.paid", invoice)
    paid = verify_stripe_webhook(body, header(body), SECRET, now=NOW)
    assert paid["object_type"] == "invoice"
    paid_object: Any = paid["object"]
    assert paid_object["total_major"] == "50.00" and paid_object["customer_id"] == "cus_1"
    body = event("customer.updated", {"id": "cus_1", "object": "customer", "metadata": {}, "email": "a@b.example"})
    updated = verify_stripe_webhook(body, header(body), SECRET, now=NOW)
    updated_object: Any = updated["object"]
    assert updated["object_type"] == "customer" and updated_object["email"] == "a@b.example"
    other = {"id": "ch_1", "object": "charge", "amount": 1}
    body = event("charge.succeeded", other)
    sent = verify_stripe_webhook(body, header(body), SECRET, now=NOW)
    assert sent["object_type"] == "other" and sent["object"] == other
    assert sent["previous_attributes"] is None


def test_several_v1_one_valid_and_v0_ignored() -> None:
    body = event("charge.succeeded", {"id": "ch_1"})
    wrong = sign(body, secret="whsec_old_secret")
    for value in (
        f"t={T},v1={wrong},v1={sign(body)}",
        f"t={T},v1={sign(body)},v1={wrong}",
        f"v0={wrong},v1={sign(body)},t={T}",
        f"t={T}, v1={sign(body)}".replace(", ", ","),
    ):
        assert verify_stripe_webhook(body, value, SECRET, now=NOW)["id"] == "evt_1"
    with pytest.raises(WebhookSignatureError):
        verify_stripe_webhook(body, f"t={T},v0={sign(body)}", SECRET, now=NOW)


def test_tolerance_window_both_ways() -> None:
    body = event("charge.succeeded", {"id": "ch_1"})
    def at(seconds: int) -> datetime:
        return NOW + timedelta(seconds=seconds)

    # Default 300 s, inclusive, either direction.
    assert verify_stripe_webhook(body, header(body), SECRET, now=at(300))
    assert verify_stripe_webhook(body, header(body), SECRET, now=at(-300))
    for seconds in (301, -301, 86400):
        with pytest.raises(WebhookSignatureError) as caught:
            verify_stripe_webhook(body, header(body), SECRET, now=at(seconds))
        assert "tolerance 300 s" in caught.value.reason
    assert "in the future" in _reason(body, header(body), now=at(-301))
    # A given tolerance.
    assert verify_stripe_webhook(body, header(body), SECRET, tolerance=10, now=at(10))
    with pytest.raises(WebhookSignatureError):
        verify_stripe_webhook(body, header(body), SECRET, tolerance=10, now=at(11))
    assert verify_stripe_webhook(body, header(body), SECRET, tolerance=0, now=NOW)
    # The real clock: a signature made now verifies, one from 2026's T does not.
    t_now = int(datetime.now(timezone.utc).timestamp())
    assert verify_stripe_webhook(body, header(body, t_now), SECRET)["id"] == "evt_1"
    with pytest.raises(WebhookSignatureError):
        verify_stripe_webhook(body, header(body, t_now - 3600), SECRET)


def _reason(body: bytes, value: str, secret: str = SECRET, now: datetime = NOW) -> str:
    with pytest.raises(WebhookSignatureError) as caught:
        verify_stripe_webhook(body, value, secret, now=now)
    error = caught.value
    assert error.code == "DEZKY_WEBHOOK_SIGNATURE"
    assert isinstance(error, ValueError)
    assert SECRET not in str(error) and SECRET not in repr(error.details)
    assert sign(body) not in str(error)
    return error.reason


def test_tampered_bodies_and_wrong_secrets() -> None:
    body = event("customer.subscription.updated", subscription())
    good = header(body)
    assert "no v1 signature matches" in _reason(body.replace(b'"quantity":5', b'"quantity":50'), good)
    assert "no v1 signature matches" in _reason(body + b"\n", good)
    reserialised = json.dumps(json.loads(body), indent=2).encode()
    assert "no v1 signature matches" in _reason(reserialised, good)
    assert "no v1 signature matches" in _reason(body, good, secret="whsec_other")
    # The signed timestamp is part of the signature.
    assert "no v1 signature matches" in _reason(body, f"t={T + 1},v1={sign(body)}", now=NOW)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "no t="),
        ("v1=abc", "no t="),
        (f"t={T}", "no v1="),
        (f"t={T},v0=abc", "no v1="),
        (f"t=yesterday,v1={'0' * 64}", "malformed"),
        (f"t={T},t={T},v1={'0' * 64}", "malformed"),
        (f"t={T},garbage,v1={'0' * 64}", "malformed"),
        (f"t={T},v1=not-hex", "no v1 signature matches"),
    ],
)
def test_bad_headers(value: str, reason: str) -> None:
    body = event("charge.succeeded", {"id": "ch_1"})
    assert reason in _reason(body, value)


def test_a_signed_body_that_is_not_an_event() -> None:
    for body in (b"not json", b'{"id":"evt_1"}', b"\xff\xfe"):
        with pytest.raises(UpstreamDecodeError):
            verify_stripe_webhook(body, header(body), SECRET, now=NOW)
    broken = event("customer.subscription.updated", {"id": "sub_1", "object": "subscription"})
    with pytest.raises(UpstreamDecodeError) as caught:
        verify_stripe_webhook(broken, header(broken), SECRET, now=NOW)
    assert "customer.subscription.updated" in str(caught.value)


def test_each_bad_argument_names_itself() -> None:
    body = event("charge.succeeded", {"id": "ch_1"})
    good = header(body)
    cases: list[tuple[Any, str, type[Exception]]] = [
        (lambda: verify_stripe_webhook(wrong(body.decode()), good, SECRET, now=NOW), "raw_body", ArgumentTypeError),
        (lambda: verify_stripe_webhook(wrong(None), good, SECRET, now=NOW), "raw_body", ArgumentTypeError),
        (lambda: verify_stripe_webhook(wrong([1, 2]), good, SECRET, now=NOW), "raw_body", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, wrong(good.encode()), SECRET, now=NOW), "signature_header", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, wrong(None), SECRET, now=NOW), "signature_header", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, good, wrong(None), now=NOW), "secret", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, good, "", now=NOW), "secret", InvalidArgumentError),
        (lambda: verify_stripe_webhook(body, good, SECRET, tolerance=-1, now=NOW), "tolerance", InvalidArgumentError),
        (lambda: verify_stripe_webhook(body, good, SECRET, tolerance=wrong(1.5), now=NOW), "tolerance", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, good, SECRET, tolerance=True, now=NOW), "tolerance", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, good, SECRET, tolerance=wrong("300"), now=NOW), "tolerance", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, good, SECRET, now=wrong(T)), "now", ArgumentTypeError),
        (lambda: verify_stripe_webhook(body, good, SECRET, now=datetime(1960, 1, 1, tzinfo=timezone.utc)), "now", InvalidArgumentError),
        (lambda: verify_stripe_webhook(body, good, SECRET, now=NOW, **wrong({"leeway": 5})), "leeway", ArgumentTypeError),
    ]
    for call, name, kind in cases:
        with pytest.raises(kind) as caught:
            call()
        error = caught.value
        assert isinstance(error, InvalidArgumentError), error
        assert error.code == "DEZKY_INVALID_ARGUMENT"
        assert name in (getattr(error, "argument", None), getattr(error, "field", None)), (name, error)
        assert SECRET not in str(error)


def test_order_stripe_event() -> None:
    assert order_stripe_event(None, 1789000000) == "apply"
    assert order_stripe_event(1789000000, 1789000001) == "apply"
    assert order_stripe_event(1789000001, 1789000000) == "stale"
    assert order_stripe_event(1789000000, 1789000000) == "refetch"
    assert order_stripe_event(-5, 0) == "apply"
    for args, name, kind in [
        ((1.5, 1), "stored_created", ArgumentTypeError),
        (("1", 1), "stored_created", ArgumentTypeError),
        ((None, True), "incoming_created", ArgumentTypeError),
        ((None, None), "incoming_created", ArgumentTypeError),
        ((None, 2**63), "incoming_created", InvalidArgumentError),
    ]:
        with pytest.raises(kind) as caught:
            order_stripe_event(*wrong(args))
        assert caught.value.argument == name


def test_the_ordering_rule_over_shuffled_deliveries() -> None:
    # Deliveries in any order, with duplicates: applying only "apply" and
    # refetching on a tie ends at the newest event's state.
    import random

    rng = random.Random(14)
    for _ in range(200):
        created = sorted(rng.sample(range(1789000000, 1789000100), 6))
        deliveries = created + rng.sample(created, 3)
        rng.shuffle(deliveries)
        stored: int | None = None
        for incoming in deliveries:
            decision = order_stripe_event(stored, incoming)
            assert decision == ("apply" if stored is None or incoming > stored else "stale" if incoming < stored else "refetch")
            if decision == "apply":
                stored = incoming
        assert stored == max(created)
