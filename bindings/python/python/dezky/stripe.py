"""Stripe billing: a customer per tenant, the SetupIntent behind the card
form, the default card, the default payment method and the invoice history;
the customer's billing details and EU VAT ids, seat subscriptions with their
control-plane snapshot, and signed webhooks (:func:`verify_stripe_webhook`,
:func:`order_stripe_event`).

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

from typing import TYPE_CHECKING, Any, Literal, TypedDict

from . import _dezky
from ._billing_records import BillingCycle, SubscriptionStatus
from ._native import native_class, typed

__all__ = [
    "BillingAddress",
    "BillingDetails",
    "Card",
    "Customer",
    "Event",
    "EventOrder",
    "Invoice",
    "PaymentMethod",
    "ProrationBehavior",
    "SetupIntent",
    "StripeClient",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionSnapshot",
    "TaxId",
    "TaxIdVerification",
    "format_minor_units",
    "order_stripe_event",
    "parse_major_units",
    "verify_stripe_webhook",
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

class BillingAddress(TypedDict, total=False):
    """A billing address; a key left out stays as it is."""

    line1: str | None
    line2: str | None
    postal_code: str | None
    city: str | None
    state: str | None
    country: str | None
    """ISO 3166-1 alpha-2, either case (sent in upper case)."""


class BillingDetails(TypedDict, total=False):
    """Billing details to set on a customer; a key left out stays as it is."""

    name: str | None
    """At most 256 characters."""
    email: str | None
    """At most 512 characters."""
    address: BillingAddress | None


class TaxIdVerification(TypedDict):
    status: str
    """``pending``, ``verified``, ``unverified``, ``unavailable`` (open set)."""
    verified_name: str | None
    verified_address: str | None


class TaxId(TypedDict):
    """A customer's tax id (``txi_...``)."""

    id: str
    type: str
    """``eu_vat``, ``gb_vat``, ... (open set)."""
    value: str
    """The number as Stripe stores it (``DE123456789``)."""
    country: str | None
    customer: str | None
    verification: TaxIdVerification | None
    created: int | None
    livemode: bool | None


class SubscriptionItem(TypedDict):
    """One price of a subscription and its quantity (the seats)."""

    id: str
    """``si_...`` (what :meth:`StripeClient.change_seats` takes)."""
    price_id: str
    quantity: int | None
    """The seats; ``None`` for a metered price."""
    unit_amount: int | None
    """Per seat, in minor units of ``currency``; ``None`` for tiered prices."""
    currency: str
    interval: str | None
    """``day``, ``week``, ``month`` or ``year``; ``None`` for a one-time price."""
    interval_count: int | None
    current_period_start: int | None
    current_period_end: int | None


SubscriptionSnapshot = TypedDict(
    "SubscriptionSnapshot",
    {
        "status": SubscriptionStatus,
        "stripeCustomerId": str,
        "stripeSubscriptionId": str,
        "cycle": BillingCycle,
        "currency": str,
        "perSeatAmount": int,
        "seats": int,
    },
)
"""The fields of the control plane's subscription document that Stripe decides, under their
stored names, to ``$set`` on it (``Subscription::snapshot().to_document()``)."""


class Subscription(TypedDict):
    """A subscription (``sub_...``) with its control-plane snapshot."""

    id: str
    customer_id: str
    status: str
    """``active``, ``trialing``, ``past_due``, ``unpaid``, ``canceled``, ``incomplete``,
    ``incomplete_expired``, ``paused`` (open set)."""
    items: list[SubscriptionItem]
    cancel_at_period_end: bool
    cancel_at: int | None
    canceled_at: int | None
    ended_at: int | None
    currency: str | None
    created: int | None
    trial_end: int | None
    current_period_start: int | None
    """The subscription's own, else its first item's (API 2025-03-31 and later)."""
    current_period_end: int | None
    livemode: bool | None
    metadata: dict[str, str]
    snapshot: SubscriptionSnapshot | None
    """``None`` when the record cannot hold this subscription (``snapshot_error`` says why)."""
    snapshot_error: str | None
    """The refusal naming the field (``subscription.items[0].price.recurring.interval``)."""


class Event(TypedDict):
    """A verified webhook event; ``object`` is typed by ``object_type``."""

    id: str
    """``evt_...``: the key to de-duplicate deliveries by."""
    type: str
    created: int
    """When it happened, Unix seconds: the order of one object's events."""
    livemode: bool
    api_version: str | None
    object_type: Literal["subscription", "invoice", "customer", "other"]
    object: Subscription | Invoice | Customer | dict[str, Any]
    previous_attributes: dict[str, Any] | None
    """For ``*.updated``, the changed fields' previous values."""


ProrationBehavior = Literal["create_prorations", "always_invoice", "none"]
"""How Stripe charges or credits a change of seats within a period."""

EventOrder = Literal["apply", "stale", "refetch"]
"""What to do with a subscription event (:func:`order_stripe_event`)."""

format_minor_units = typed(_dezky.format_minor_units)
parse_major_units = typed(_dezky.parse_major_units)
verify_stripe_webhook = typed(_dezky.verify_stripe_webhook)
order_stripe_event = typed(_dezky.order_stripe_event)

if TYPE_CHECKING:
    from ._dezky import StripeClient
else:
    StripeClient = native_class(_dezky.StripeClient, __name__)
