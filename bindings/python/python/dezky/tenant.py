"""Tenants: the flag evaluation context built from the control plane's records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _dezky
from ._native import typed

__all__ = ["flag_context"]


@typed
def flag_context(
    tenant: Mapping[str, Any], partner: Mapping[str, Any] | None = None, *, environment: str
) -> dict[str, str]:
    """The evaluation context of ``tenant`` in ``environment``.

    ``tenant`` and ``partner`` are the control plane's records as dicts
    (``_id`` or ``id``, ``slug``, ``plan``, ``partnerId``; whole documents are
    fine, other fields are ignored, a bson ``ObjectId`` reads as its hex string).
    ``partner`` must be the tenant's own partner, and is required when the
    tenant has one: evaluating on the wrong partner would enable the wrong flags.
    Bad records raise ``InvalidArgumentError`` (``name``, ``field``).

    >>> flag_context({"_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "acme", "plan": "business"},
    ...              environment="prod")
    {'tenantId': '6650f1c2a9b4e3d2c1b0a998', 'tenantSlug': 'acme', 'plan': 'business', 'environment': 'prod'}
    """
    return _dezky.flag_context(tenant, partner, environment)
