"""A tenant's mail domains as whole operations on the mail server: the typed
public API over the native module ``dezky._dezky`` (``docs/domains.md``).

Every rule lives in the Rust core (``dezky_core::domains``): who may act, the
checks of the input (errors name the field, ``domain.name``,
``list.recipients[1]``, ``dmarc.pct``), the DKIM wait, the records to
publish, the rollback of what a failed add made, the in-use guard. The SDK
holds no database connection: each operation takes the documents as read
(the tenant's, the domain's, the member's user document) and returns the
write to make (``patch``: ``update_one(patch["filter"], patch["update"])``)
and the audit events.

The ownership token of an added domain is a :class:`Secret` (its ``repr``
and ``str`` are ``Secret(***)``): the ``document`` returned leaves it out,
insert ``{**added["document"], "ownershipToken": added["ownership_token"].reveal()}``.
It is also in the ownership TXT record of ``expected``, the records to publish.

A name or address taken raises :class:`~dezky.errors.AlreadyExistsError`
(``name``, ``holder``); a domain in use :class:`~dezky.errors.InUseError`
(``name``, ``reason``, ``linked``); a mail-server failure part-way the
exception of its code with ``action``, ``step``, ``upstream_code``,
``undone`` and ``events``.

Each :class:`Domains` operation takes ``caller`` (the verified token's
:class:`dezky.auth.Actor`, or a dict with ``subject`` and ``surface``),
``caller_user`` (the caller's user document) and ``actor`` (the audit
actor), and is a coroutine with a blocking ``_sync`` twin. :func:`list_domains`,
:func:`set_dmarc` and :func:`dmarc_record` call no server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict

from . import _dezky
from ._domains_records import DmarcPolicy, DomainStatus, DomainSummary, MailingList
from ._native import native_class, typed
from ._provisioning_records import AuditEvent, TenantPatch
from .dns import DomainReport, ExpectedRecords

__all__ = [
    "AddedDomain",
    "DmarcPolicy",
    "DomainChange",
    "DomainCheck",
    "DomainRemoval",
    "DomainStatus",
    "DomainSummary",
    "DomainUndo",
    "Domains",
    "MailOp",
    "MailingList",
    "MemoryMail",
    "Secret",
    "dmarc_record",
    "list_domains",
    "set_dmarc",
]

MailOp = Literal[
    "find_domain",
    "create_domain",
    "dkim_selectors",
    "zone_file",
    "mailboxes",
    "remove_domain",
    "add_alias",
    "remove_alias",
    "find_list",
    "create_list",
    "set_list_recipients",
    "remove_list",
    "set_quota",
]
"""A mail port operation, for the faults of the in-memory mail server."""


class _DomainUndoRequired(TypedDict):
    what: str
    handle: str


class DomainUndo(_DomainUndoRequired, total=False):
    """What undoing one made resource did after a failure (an exception's ``undone``)."""

    error: dict[str, Any]
    """Why undoing it failed (the port error); absent: undone."""


class AddedDomain(TypedDict):
    """An added domain."""

    document: dict[str, Any]
    """The domain document to insert, without ``ownershipToken`` (no ``_id``; ``__v`` 0)."""
    ownership_token: Secret
    """The token of the ``_dezky-challenge`` TXT record."""
    tenant_patch: TenantPatch
    """The write to the tenant document (``domains`` gains the name); ``update`` null when listed already."""
    expected: ExpectedRecords
    """The records to publish, the ownership TXT last."""
    dkim_selectors: list[str]
    adopted: bool
    """The mail server had the domain already, marked for this tenant."""
    events: list[AuditEvent]


class DomainCheck(TypedDict):
    """A verified (or re-checked) domain."""

    report: DomainReport
    status: DomainStatus
    patch: TenantPatch
    """The write to the domain document (``status``, ``lastCheckedAt``, ``verifiedAt``)."""
    events: list[AuditEvent]


class DomainChange(TypedDict):
    """A change that writes one document (or none) and is audited."""

    action: str
    patch: TenantPatch | None
    list: MailingList | None
    """The mailing list concerned, for list operations."""
    events: list[AuditEvent]


class DomainRemoval(TypedDict):
    """A removed domain."""

    tenant_patch: TenantPatch
    """The write to the tenant document (``domains`` without the name)."""
    delete_filter: dict[str, Any] | None
    """The domain document to delete (``delete_one(delete_filter)``), when it has an id."""
    events: list[AuditEvent]


class MemoryDomain(TypedDict):
    name: str
    owner: str | None


class MemoryMailbox(TypedDict):
    address: str
    aliases: list[str]
    quotaBytes: int | None


class MemoryList(TypedDict):
    address: str
    recipients: list[str]


class MemoryMail(TypedDict):
    """The in-memory mail server's domains, mailboxes and mailing lists, by handle."""

    domains: dict[str, MemoryDomain]
    mailboxes: dict[str, MemoryMailbox]
    lists: dict[str, MemoryList]


list_domains = typed(_dezky.list_domains)
set_dmarc = typed(_dezky.set_dmarc)
dmarc_record = typed(_dezky.dmarc_record)

if TYPE_CHECKING:
    from ._dezky import Domains, Secret
else:
    Domains = native_class(_dezky.Domains, __name__)
    Secret = _dezky.Secret
