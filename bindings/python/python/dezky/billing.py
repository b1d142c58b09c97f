"""Billing maths: the typed public API over the native module ``dezky._dezky``
(``docs/billing.md``).

Every rule lives in the Rust core (``dezky_core::billing``): reading price
and subscription documents (errors name the field,
``subscriptions[2].seats``), monthly amounts (a yearly amount divided by 12,
rounded half up, once per subscription), MRR by tenant, plan and partner,
never summed across currencies, and partner margins. Amounts are integer
minor units (cents). :func:`billing_audit_event` builds the audit event of a
Stripe billing operation (``billing.seats_change``, ...).

>>> from dezky.billing import monthly_amount
>>> monthly_amount("yearly", 1000, 5)
417
"""

from __future__ import annotations

from . import _dezky
from ._billing_records import (
    BillingAction,
    BillingCycle,
    MrrReport,
    PartnerMrr,
    Price,
    Subscription,
    SubscriptionMrr,
    SubscriptionStatus,
    Unpriced,
)
from ._native import typed

__all__ = [
    "BillingAction",
    "BillingCycle",
    "MrrReport",
    "PartnerMrr",
    "Price",
    "Subscription",
    "SubscriptionMrr",
    "SubscriptionStatus",
    "Unpriced",
    "billing_audit_event",
    "margin_basis_points",
    "monthly_amount",
    "mrr",
    "read_price",
    "read_subscription",
]

monthly_amount = typed(_dezky.monthly_amount)
read_price = typed(_dezky.read_price)
read_subscription = typed(_dezky.read_subscription)
mrr = typed(_dezky.mrr)
margin_basis_points = typed(_dezky.margin_basis_points)
billing_audit_event = typed(_dezky.billing_audit_event)
