"""Stripe billing: a customer per tenant, the SetupIntent behind the card
form, the default card, the default payment method and the invoice history.

Every request pins ``Stripe-Version`` (:attr:`StripeClient.api_version`);
POSTs carry idempotency keys derived from the operation (for example
``tenant:<tenant_id>:create-customer``), so a retry cannot create a second
customer (``docs/stripe-client.md``). Every operation is a coroutine with a
blocking ``_sync`` twin; records are dicts with snake_case keys and amounts
are ints in the currency's minor unit. Errors are the ``dezky.errors``
classes; a card decline is ``PaymentFailedError``.

>>> format_minor_units(1000, "eur"), format_minor_units(500, "jpy")
('10.00', '500')
>>> parse_major_units("12.5", "usd")
1250
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from . import _dezky
from ._native import native_class, typed

__all__ = [
    "Card",
    "Customer",
    "Invoice",
    "PaymentMethod",
    "SetupIntent",
    "StripeClient",
    "format_minor_units",
    "parse_major_units",
]


class Customer(TypedDict):
    """A Stripe customer."""

    id: str
    deleted: bool
    email: str | None
    name: str | None
    metadata: dict[str, str]
    """``tenant_id`` and ``tenant_slug`` for customers created here."""
    default_payment_method_id: str | None
    currency: str | None
    balance: int | None
    delinquent: bool | None
    created: int | None
    livemode: bool | None


class Card(TypedDict):
    """A card for display."""

    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class PaymentMethod(TypedDict):
    id: str
    type: str | None
    customer_id: str | None
    card: Card | None


class SetupIntent(TypedDict):
    id: str
    client_secret: str | None
    """For the browser's card form only: never log it."""
    status: str
    usage: str | None
    customer_id: str | None
    payment_method_id: str | None


class Invoice(TypedDict):
    """An invoice; amounts in minor units of ``currency``."""

    id: str | None
    number: str | None
    status: str | None
    currency: str
    amount_due: int
    amount_paid: int
    amount_remaining: int
    total: int | None
    subtotal: int | None
    total_major: str | None
    """The total as a decimal string in major units (``None`` for currencies with special rules)."""
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    period_start: int | None
    period_end: int | None
    created: int | None
    due_date: int | None
    customer_id: str | None

format_minor_units = typed(_dezky.format_minor_units)
parse_major_units = typed(_dezky.parse_major_units)

if TYPE_CHECKING:
    from ._dezky import StripeClient
else:
    StripeClient = native_class(_dezky.StripeClient, __name__)
