"""dezky.stripe.StripeClient against a local Stripe stand-in (http.server on
127.0.0.1): form-encoded requests with Stripe-Version and idempotency keys,
records as dicts, pagination, Stripe's error object and the exception classes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dezky.errors import ConfigError, InvalidArgumentError, NotFoundError, PaymentFailedError
from dezky.stripe import StripeClient, format_minor_units, parse_major_units

KEY = "sk_test_python_binding_key"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]]


Route = Callable[[Seen], tuple[int, Any]]


class Stub:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                seen = Seen(
                    self.command,
                    url.path,
                    parse_qs(url.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    parse_qs(body),
                )
                stub.seen.append(seen)
                route = stub.routes.get(f"{self.command} {url.path}")
                status, payload = (
                    route(seen)
                    if route
                    else (404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "no"}})
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("request-id", "req_py")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = handle_any
            do_POST = handle_any
            do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    yield s
    s.server.shutdown()
    s.server.server_close()


def client(stub: Stub) -> StripeClient:
    return StripeClient(KEY, base_url=stub.url, timeout=2.0, max_retries=1)


def customer(id: str, **extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": id,
        "object": "customer",
        "email": "billing@acme.example",
        "name": "ACME",
        "metadata": {"tenant_id": "t-1"},
        "invoice_settings": {"default_payment_method": None},
        "currency": "eur",
        "created": 1700000000,
    }
    value.update(extra)
    return value


def invoice(id: str) -> dict[str, Any]:
    return {
        "id": id,
        "object": "invoice",
        "status": "paid",
        "currency": "jpy",
        "amount_due": 500,
        "amount_paid": 500,
        "amount_remaining": 0,
        "total": 500,
        "customer": "cus_1",
    }


async def test_create_customer_sends_metadata_key_and_version(stub: Stub) -> None:
    stub.routes["POST /v1/customers"] = lambda _: (200, customer("cus_1"))
    stripe = client(stub)
    created = await stripe.create_customer("t-1", tenant_slug="acme", email="billing@acme.example")
    assert created["id"] == "cus_1"
    assert created["metadata"] == {"tenant_id": "t-1"}
    assert created["deleted"] is False
    seen = stub.seen[0]
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["stripe-version"] == stripe.api_version
    assert seen.headers["idempotency-key"] == "tenant:t-1:create-customer"
    assert seen.form["metadata[tenant_id]"] == ["t-1"]
    assert seen.form["metadata[tenant_slug]"] == ["acme"]
    assert KEY not in repr(stripe)


def test_sync_twins(stub: Stub) -> None:
    stub.routes["POST /v1/setup_intents"] = lambda _: (
        200,
        {
            "id": "seti_1",
            "client_secret": "seti_1_secret_x",
            "status": "requires_payment_method",
            "usage": "off_session",
            "customer": "cus_1",
            "payment_method": None,
        },
    )
    stub.routes["GET /v1/customers/cus_1"] = lambda seen: (
        200,
        customer(
            "cus_1",
            invoice_settings={
                "default_payment_method": {
                    "id": "pm_1",
                    "type": "card",
                    "card": {"brand": "mastercard", "last4": "4444", "exp_month": 12, "exp_year": 2031},
                }
            }
            if seen.query.get("expand[]") == ["invoice_settings.default_payment_method"]
            else {"default_payment_method": "pm_1"},
        ),
    )
    stripe = client(stub)
    intent = stripe.create_setup_intent_sync("cus_1", "form-3", "t-1")
    assert intent == {
        "id": "seti_1",
        "client_secret": "seti_1_secret_x",
        "status": "requires_payment_method",
        "usage": "off_session",
        "customer_id": "cus_1",
        "payment_method_id": None,
    }
    assert stub.seen[0].form["automatic_payment_methods[enabled]"] == ["true"]
    assert stub.seen[0].headers["idempotency-key"] == "customer:cus_1:setup-intent:form-3"
    assert stripe.default_card_sync("cus_1") == {
        "payment_method_id": "pm_1",
        "brand": "mastercard",
        "last4": "4444",
        "exp_month": 12,
        "exp_year": 2031,
    }


async def test_invoices_across_pages_and_default_payment_method(stub: Stub) -> None:
    stub.routes["GET /v1/invoices"] = lambda seen: (
        (200, {"object": "list", "has_more": False, "data": [invoice("in_1")]})
        if seen.query.get("starting_after") == ["in_2"]
        else (200, {"object": "list", "has_more": True, "data": [invoice("in_3"), invoice("in_2")]})
    )
    stub.routes["POST /v1/customers/cus_1"] = lambda _: (
        200,
        customer("cus_1", invoice_settings={"default_payment_method": "pm_9"}),
    )
    stripe = client(stub)
    invoices = await stripe.list_invoices("cus_1")
    assert [i["id"] for i in invoices] == ["in_3", "in_2", "in_1"]
    assert invoices[0]["total_major"] == "500"
    assert invoices[0]["amount_due"] == 500
    updated = await stripe.set_default_payment_method("cus_1", "pm_9")
    assert updated["default_payment_method_id"] == "pm_9"
    assert stub.seen[-1].form["invoice_settings[default_payment_method]"] == ["pm_9"]


async def test_decline_raises_payment_failed(stub: Stub) -> None:
    stub.routes["POST /v1/payment_methods/pm_bad/attach"] = lambda _: (
        402,
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "param": "payment_method",
            }
        },
    )
    with pytest.raises(PaymentFailedError) as caught:
        await client(stub).attach_payment_method("cus_1", "pm_bad")
    error = caught.value
    assert error.code == "DEZKY_PAYMENT_FAILED"
    assert getattr(error, "status") == 402
    assert getattr(error, "upstream_code") == "card_declined"
    assert getattr(error, "request_id") == "req_py"
    assert getattr(error, "upstream_message") == "Your card has insufficient funds."
    assert getattr(error, "upstream_details") == {"type": "card_error", "decline_code": "insufficient_funds"}
    assert "decline_code: insufficient_funds" in str(error)
    assert KEY not in str(error) and KEY not in repr(error.details)
    assert len(stub.seen) == 1


async def test_errors_and_bad_input(stub: Stub) -> None:
    stripe = client(stub)
    with pytest.raises(NotFoundError):
        await stripe.retrieve_customer("cus_missing")
    with pytest.raises(InvalidArgumentError):
        await stripe.retrieve_customer("cus_../x")
    with pytest.raises(InvalidArgumentError):
        stripe.create_customer_sync(" ")
    with pytest.raises(InvalidArgumentError):
        StripeClient(KEY, base_url=stub.url, max_retries=11)
    with pytest.raises(ConfigError):
        StripeClient(KEY, base_url="ftp://x")
    assert len(stub.seen) == 1


async def test_ensure_and_find(stub: Stub) -> None:
    stub.routes["POST /v1/customers"] = lambda _: (200, customer("cus_new"))
    stub.routes["GET /v1/customers/search"] = lambda seen: (
        200,
        {
            "object": "search_result",
            "has_more": False,
            "next_page": None,
            "data": [customer("cus_b", created=2), customer("cus_a", created=1)],
        },
    )
    stripe = client(stub)
    assert (await stripe.ensure_customer(None, "t-1"))["id"] == "cus_new"
    found = await stripe.find_customer_by_tenant("t-1")
    assert found is not None and found["id"] == "cus_a"
    assert stub.seen[-1].query["query"] == ["metadata['tenant_id']:'t-1'"]


def test_money() -> None:
    assert format_minor_units(1000, "EUR") == "10.00"
    assert format_minor_units(500, "jpy") == "500"
    assert format_minor_units(-5, "usd") == "-0.05"
    assert parse_major_units("1.234", "kwd") == 1234
    with pytest.raises(InvalidArgumentError):
        parse_major_units("1.005", "eur")
    with pytest.raises(InvalidArgumentError):
        format_minor_units(100, "huf")


def test_from_env_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        StripeClient.from_env()
    monkeypatch.setenv("STRIPE_SECRET_KEY", KEY)
    assert StripeClient.from_env().api_version


def test_docstring_examples() -> None:
    import doctest

    import dezky.stripe

    result = doctest.testmod(dezky.stripe)
    assert result.failed == 0 and result.attempted > 0
