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

from typing import TypedDict, cast

from . import _dezky
from .flags import _guard, _guard_async

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


@_guard
def format_minor_units(amount: int, currency: str) -> str:
    """An amount in minor units as a decimal string in major units. Raises
    ``InvalidArgumentError`` for currencies with special rules (ISK, HUF, TWD, UGX)."""
    return _dezky.format_minor_units(amount, currency)


@_guard
def parse_major_units(major: str, currency: str) -> int:
    """A decimal string in major units as minor units; more decimals than the
    currency has raise ``InvalidArgumentError``."""
    return _dezky.parse_major_units(major, currency)


class StripeClient:
    """A client of the Stripe API (v1). Create one per process and share it.

    ``base_url`` defaults to ``https://api.stripe.com``; ``timeout`` and
    ``connect_timeout`` are in seconds.
    """

    __slots__ = ("_inner",)

    @_guard
    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        self._inner = _dezky.StripeClient(
            secret_key,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
        )

    @classmethod
    def from_env(cls) -> StripeClient:
        """A client from ``STRIPE_SECRET_KEY`` and optional ``STRIPE_API_URL``,
        ``STRIPE_TIMEOUT_MS``, ``STRIPE_CONNECT_TIMEOUT_MS``,
        ``STRIPE_MAX_RETRIES``; ``ConfigError`` without a key."""
        self = cls.__new__(cls)
        self._inner = _dezky.StripeClient.from_env()
        return self

    def __repr__(self) -> str:
        return f"StripeClient(api_version={self.api_version!r})"

    @property
    def api_version(self) -> str:
        """The pinned ``Stripe-Version``."""
        return self._inner.api_version

    @_guard_async
    async def create_customer(
        self, tenant_id: str, *, tenant_slug: str | None = None, name: str | None = None, email: str | None = None
    ) -> Customer:
        """Creates the tenant's customer (idempotency key ``tenant:<tenant_id>:create-customer``)."""
        result = await self._inner.create_customer(tenant_id, tenant_slug=tenant_slug, name=name, email=email)
        return cast(Customer, result)

    @_guard
    def create_customer_sync(
        self, tenant_id: str, *, tenant_slug: str | None = None, name: str | None = None, email: str | None = None
    ) -> Customer:
        result = self._inner.create_customer_sync(tenant_id, tenant_slug=tenant_slug, name=name, email=email)
        return cast(Customer, result)

    @_guard_async
    async def retrieve_customer(self, id: str) -> Customer:
        """The customer ``id`` (``deleted`` is true if it was deleted)."""
        return cast(Customer, await self._inner.retrieve_customer(id))

    @_guard
    def retrieve_customer_sync(self, id: str) -> Customer:
        return cast(Customer, self._inner.retrieve_customer_sync(id))

    @_guard_async
    async def ensure_customer(
        self,
        stored_id: str | None,
        tenant_id: str,
        *,
        tenant_slug: str | None = None,
        name: str | None = None,
        email: str | None = None,
    ) -> Customer:
        """The stored customer if it still exists, else a new one (idempotent per tenant)."""
        result = await self._inner.ensure_customer(
            stored_id, tenant_id, tenant_slug=tenant_slug, name=name, email=email
        )
        return cast(Customer, result)

    @_guard
    def ensure_customer_sync(
        self,
        stored_id: str | None,
        tenant_id: str,
        *,
        tenant_slug: str | None = None,
        name: str | None = None,
        email: str | None = None,
    ) -> Customer:
        result = self._inner.ensure_customer_sync(
            stored_id, tenant_id, tenant_slug=tenant_slug, name=name, email=email
        )
        return cast(Customer, result)

    @_guard_async
    async def search_customers_by_metadata(self, key: str, value: str) -> list[Customer]:
        """Customers whose ``metadata[key]`` is ``value`` (Search API: lags behind writes)."""
        return cast("list[Customer]", await self._inner.search_customers_by_metadata(key, value))

    @_guard
    def search_customers_by_metadata_sync(self, key: str, value: str) -> list[Customer]:
        return cast("list[Customer]", self._inner.search_customers_by_metadata_sync(key, value))

    @_guard_async
    async def find_customer_by_tenant(self, tenant_id: str) -> Customer | None:
        """The tenant's customer by ``metadata[tenant_id]`` (the oldest), or ``None``."""
        return cast("Customer | None", await self._inner.find_customer_by_tenant(tenant_id))

    @_guard
    def find_customer_by_tenant_sync(self, tenant_id: str) -> Customer | None:
        return cast("Customer | None", self._inner.find_customer_by_tenant_sync(tenant_id))

    @_guard_async
    async def attach_payment_method(self, customer_id: str, payment_method_id: str) -> PaymentMethod:
        """Attaches a payment method to a customer."""
        return cast(PaymentMethod, await self._inner.attach_payment_method(customer_id, payment_method_id))

    @_guard
    def attach_payment_method_sync(self, customer_id: str, payment_method_id: str) -> PaymentMethod:
        return cast(PaymentMethod, self._inner.attach_payment_method_sync(customer_id, payment_method_id))

    @_guard_async
    async def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> Customer:
        """Makes a payment method the customer's default for invoices."""
        return cast(Customer, await self._inner.set_default_payment_method(customer_id, payment_method_id))

    @_guard
    def set_default_payment_method_sync(self, customer_id: str, payment_method_id: str) -> Customer:
        return cast(Customer, self._inner.set_default_payment_method_sync(customer_id, payment_method_id))

    @_guard_async
    async def create_setup_intent(
        self, customer_id: str, request_id: str, tenant_id: str | None = None
    ) -> SetupIntent:
        """A SetupIntent for the card form; ``request_id`` names the form session
        (part of the idempotency key)."""
        result = await self._inner.create_setup_intent(customer_id, request_id, tenant_id)
        return cast(SetupIntent, result)

    @_guard
    def create_setup_intent_sync(
        self, customer_id: str, request_id: str, tenant_id: str | None = None
    ) -> SetupIntent:
        return cast(SetupIntent, self._inner.create_setup_intent_sync(customer_id, request_id, tenant_id))

    @_guard_async
    async def default_card(self, customer_id: str) -> Card | None:
        """The customer's default card, or ``None``."""
        return cast("Card | None", await self._inner.default_card(customer_id))

    @_guard
    def default_card_sync(self, customer_id: str) -> Card | None:
        return cast("Card | None", self._inner.default_card_sync(customer_id))

    @_guard_async
    async def list_invoices(self, customer_id: str) -> list[Invoice]:
        """Every invoice of the customer, newest first (all pages)."""
        return cast("list[Invoice]", await self._inner.list_invoices(customer_id))

    @_guard
    def list_invoices_sync(self, customer_id: str) -> list[Invoice]:
        return cast("list[Invoice]", self._inner.list_invoices_sync(customer_id))
