"""Partners (resellers) as pure functions: the typed public API over the
native module ``dezky._dezky`` (``docs/partners.md``).

Every rule lives in the Rust core (``dezky_core::partners``): each function
needs an operator (an operator-app token and ``platformAdmin``), terminate is
a soft status (a partner is never deleted), attaching a tenant to a
terminated partner is refused (``partner.status``), detach removes
``partnerId``. Each takes the documents as read and returns the write to
make (``patch``: ``update_one(patch["filter"], patch["update"])``) and the
audit events; none calls a server.

``caller`` is the verified token's :class:`dezky.auth.Actor` (or a dict with
``subject`` and ``surface``), ``caller_user`` the caller's user document and
``actor`` the audit actor.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from . import _dezky
from ._native import typed
from ._provisioning_records import AuditEvent, TenantPatch

__all__ = [
    "CreatedPartner",
    "NewPartner",
    "PartnerChange",
    "attach_tenant",
    "create_partner",
    "detach_tenant",
    "terminate_partner",
]


class NewPartner(TypedDict):
    """A partner to create (``dezky_core::partners::NewPartner``)."""

    slug: str
    """The slug (the tenant slug rules)."""
    name: str
    """The display name, 1 to 150 characters."""
    domain: NotRequired[str | None]
    """The partner's own domain, when it has one."""
    marginPct: NotRequired[float | None]
    """The margin on its tenants' subscriptions, in percent (0 to 100)."""


class CreatedPartner(TypedDict):
    document: dict[str, Any]
    """The partner document to insert (no ``_id``), status ``active``."""
    events: list[AuditEvent]


class PartnerChange(TypedDict):
    action: str
    """``partner.terminate``, ``tenant.partner_attach`` or ``tenant.partner_detach``."""
    patch: TenantPatch
    """The write (to the partner document for terminate, else the tenant's); ``update`` null when nothing changes."""
    events: list[AuditEvent]


create_partner = typed(_dezky.create_partner)
terminate_partner = typed(_dezky.terminate_partner)
attach_tenant = typed(_dezky.attach_tenant)
detach_tenant = typed(_dezky.detach_tenant)
