"""Mail domains and mailboxes of a Stalwart v0.16 server (JMAP management API).

:class:`StalwartClient` reads the JMAP session once, keeps every call on the
configured base URL (the session's ``apiUrl`` names the public host), keeps at
most the server's ``maxConcurrentRequests`` requests in flight and maps JMAP
errors to the ``dezky.errors`` classes: ``AlreadyExistsError`` (with the
existing object in ``linked``), ``InUseError`` (the linked objects in
``linked``), ``UpstreamRejectedError`` (the properties in ``fields``),
``NotFoundError``, ``UpstreamForbiddenError``; errors inside a successful
answer have ``status == 200``. The rules and choices are in
``docs/stalwart-client.md``. Each operation is a coroutine with a blocking
``_sync`` twin; the records are the TypedDicts below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypedDict

from . import _dezky
from ._native import native_class

__all__ = [
    "Credential",
    "DkimSignature",
    "Domain",
    "EmailAlias",
    "Mailbox",
    "Permissions",
    "StalwartClient",
]


class Domain(TypedDict):
    """A mail domain (``x:Domain``)."""

    id: str
    name: str
    aliases: list[str]
    is_enabled: bool | None
    description: str | None
    catch_all_address: str | None
    allow_relaying: bool | None
    created_at: str | None
    dns_zone_file: str | None
    """The DNS records to publish, as a zone file (``get_domain`` only)."""


class DkimSignature(TypedDict):
    """A DKIM signature of a domain (its private key is never read)."""

    id: str
    algorithm: str
    """``Dkim1Ed25519Sha256``, ``Dkim1RsaSha256``, ``Dkim2Ed25519Sha256`` or ``Dkim2RsaSha256``."""
    domain_id: str
    selector: str
    stage: str | None
    public_key: str | None
    created_at: str | None
    next_transition_at: str | None


class Permissions(TypedDict):
    """An account's own permission rules."""

    type: Literal["Inherit", "Merge", "Replace"]
    enabled_permissions: list[str]
    disabled_permissions: list[str]


class Credential(TypedDict):
    """A credential of an account, without its secret."""

    kind: str
    """``Password``, ``AppPassword`` or ``ApiKey``."""
    credential_id: str | None
    expires_at: str | None


class EmailAlias(TypedDict):
    """An additional address of an account."""

    name: str
    domain_id: str
    enabled: bool | None
    description: str | None


class Mailbox(TypedDict):
    """A mailbox (an ``x:Account`` of type ``User``)."""

    id: str
    name: str
    domain_id: str
    email_address: str | None
    description: str | None
    quota_bytes: int | None
    """``maxDiskQuota`` in bytes."""
    quotas: dict[str, int]
    suspended: bool
    """Whether logins are refused (``authenticate`` disabled)."""
    permissions: Permissions
    credentials: list[Credential]
    aliases: list[EmailAlias]
    member_group_ids: list[str]
    locale: str | None
    created_at: str | None
    used_disk_quota: int | None


if TYPE_CHECKING:
    from ._dezky import StalwartClient
else:
    StalwartClient = native_class(_dezky.StalwartClient, __name__)
