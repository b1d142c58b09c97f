"""ownCloud Infinite Scale through its libregraph API: project spaces (one per
tenant), their quota, disable / restore / purge, and users.

Authentication is a static access token, or the refresh-token service login:
access tokens minted at Authentik's token endpoint from the refresh token kept
in a credential file, rotated tokens written back atomically before use
(``docs/ocis-client.md``). Every operation is a coroutine with a blocking
``_sync`` twin; records are dicts with snake_case keys. Errors are the
``dezky.errors`` classes, classified by HTTP status first with the OData code
in ``upstream_code``.

>>> validate_space_name("  acme ")
'acme'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from . import _dezky
from ._native import native_class, typed

__all__ = [
    "Drive",
    "EnsuredSpace",
    "OcisClient",
    "Quota",
    "SpaceRemoval",
    "User",
    "validate_space_name",
]


class Quota(TypedDict):
    """A space's quota, in bytes (each value ``None`` when OCIS omits it)."""

    total: int | None
    used: int | None
    remaining: int | None
    deleted: int | None
    state: str | None
    """``normal``, ``nearing``, ``critical``, ``exceeded`` (or a value OCIS adds later)."""


class Drive(TypedDict):
    """A space (libregraph ``drive``)."""

    id: str | None
    """``<storageId>$<spaceId>``."""
    drive_type: str | None
    name: str | None
    description: str | None
    drive_alias: str | None
    last_modified_date_time: str | None
    owner_id: str | None
    quota: Quota | None
    """``None`` for a disabled space: its usage is unknown, not zero."""
    root_id: str | None
    web_dav_url: str | None
    web_url: str | None
    trashed: bool
    """Whether the space is disabled (``root.deleted.state == "trashed"``)."""


class EnsuredSpace(TypedDict):
    """The outcome of :meth:`OcisClient.ensure_project_space`."""

    drive: Drive
    created: bool
    restored: bool


class SpaceRemoval(TypedDict):
    """The outcome of :meth:`OcisClient.remove_project_space`."""

    already_gone: bool
    disabled: bool
    purged: bool


class User(TypedDict):
    """A user (libregraph ``user``)."""

    id: str | None
    display_name: str | None
    on_premises_sam_account_name: str | None
    mail: str | None
    given_name: str | None
    surname: str | None
    user_type: str | None
    account_enabled: bool | None

validate_space_name = typed(_dezky.validate_space_name)

if TYPE_CHECKING:
    from ._dezky import OcisClient
else:
    OcisClient = native_class(_dezky.OcisClient, __name__)
