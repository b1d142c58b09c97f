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

from typing import TypedDict, cast

from . import _dezky
from .flags import _guard, _guard_async

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


@_guard
def validate_space_name(name: str) -> str:
    """Checks a space name with OCIS's rule (trimmed, non-empty, at most 255
    bytes, none of ``/ \\ . : ? * " > < |``) and returns it trimmed. Raises
    ``InvalidArgumentError`` (``field == "name"``)."""
    return _dezky.validate_space_name(name)


class OcisClient:
    """A client of the OCIS libregraph API. Create one per process and share it.

    ``base_url`` is the OCIS URL, with or without ``/graph``. Give either
    ``access_token``, or ``token_url`` (Authentik's
    ``https://<authentik>/application/o/token/``) with ``credentials_file``
    (the JSON file holding the service user's refresh token) and optionally
    ``client_id`` (default ``ocis-web``). ``timeout`` and ``connect_timeout``
    are in seconds.
    """

    __slots__ = ("_inner",)

    @_guard
    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        token_url: str | None = None,
        client_id: str | None = None,
        credentials_file: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        self._inner = _dezky.OcisClient(
            base_url,
            access_token=access_token,
            token_url=token_url,
            client_id=client_id,
            credentials_file=credentials_file,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
        )

    @classmethod
    def from_env(cls) -> OcisClient:
        """A client from ``OCIS_API_URL`` and ``OCIS_TOKEN_URL``,
        ``OCIS_CLIENT_ID``, ``OCIS_CREDENTIALS_FILE`` (or a static
        ``OCIS_ACCESS_TOKEN``); ``ConfigError`` when they are missing."""
        self = cls.__new__(cls)
        self._inner = _dezky.OcisClient.from_env()
        return self

    def __repr__(self) -> str:
        return repr(self._inner)

    @_guard_async
    async def create_project_space(
        self, name: str, description: str | None = None, quota_bytes: int | None = None
    ) -> Drive:
        """Creates a project space. Not idempotent: prefer :meth:`ensure_project_space`."""
        return cast(Drive, await self._inner.create_project_space(name, description, quota_bytes))

    @_guard
    def create_project_space_sync(
        self, name: str, description: str | None = None, quota_bytes: int | None = None
    ) -> Drive:
        return cast(Drive, self._inner.create_project_space_sync(name, description, quota_bytes))

    @_guard_async
    async def ensure_project_space(
        self, name: str, description: str | None = None, quota_bytes: int | None = None
    ) -> EnsuredSpace:
        """The project space named ``name``: found, restored from the trash, or created."""
        result = await self._inner.ensure_project_space(name, description, quota_bytes)
        return cast(EnsuredSpace, result)

    @_guard
    def ensure_project_space_sync(
        self, name: str, description: str | None = None, quota_bytes: int | None = None
    ) -> EnsuredSpace:
        result = self._inner.ensure_project_space_sync(name, description, quota_bytes)
        return cast(EnsuredSpace, result)

    @_guard_async
    async def get_drive(self, id: str) -> Drive:
        """One drive by id."""
        return cast(Drive, await self._inner.get_drive(id))

    @_guard
    def get_drive_sync(self, id: str) -> Drive:
        return cast(Drive, self._inner.get_drive_sync(id))

    @_guard_async
    async def list_drives(self, filter: str | None = None) -> list[Drive]:
        """Every drive, optionally with a libregraph ``$filter`` (one ``eq`` on
        ``driveType`` or ``id``; other operators are answered with 501)."""
        return cast(list[Drive], await self._inner.list_drives(filter))

    @_guard
    def list_drives_sync(self, filter: str | None = None) -> list[Drive]:
        return cast(list[Drive], self._inner.list_drives_sync(filter))

    @_guard_async
    async def list_project_spaces(self) -> list[Drive]:
        """Every project space, disabled ones included."""
        return cast(list[Drive], await self._inner.list_project_spaces())

    @_guard
    def list_project_spaces_sync(self) -> list[Drive]:
        return cast(list[Drive], self._inner.list_project_spaces_sync())

    @_guard_async
    async def set_space_quota(self, id: str, quota_bytes: int) -> Drive:
        """Sets a space's quota in bytes."""
        return cast(Drive, await self._inner.set_space_quota(id, quota_bytes))

    @_guard
    def set_space_quota_sync(self, id: str, quota_bytes: int) -> Drive:
        return cast(Drive, self._inner.set_space_quota_sync(id, quota_bytes))

    @_guard_async
    async def space_quota(self, id: str) -> Quota | None:
        """A space's quota; ``None`` for a disabled space (unknown, not zero)."""
        return cast("Quota | None", await self._inner.space_quota(id))

    @_guard
    def space_quota_sync(self, id: str) -> Quota | None:
        return cast("Quota | None", self._inner.space_quota_sync(id))

    @_guard_async
    async def disable_space(self, id: str) -> None:
        """Disables (soft-deletes) a space."""
        await self._inner.disable_space(id)

    @_guard
    def disable_space_sync(self, id: str) -> None:
        self._inner.disable_space_sync(id)

    @_guard_async
    async def restore_space(self, id: str) -> Drive:
        """Restores a disabled space."""
        return cast(Drive, await self._inner.restore_space(id))

    @_guard
    def restore_space_sync(self, id: str) -> Drive:
        return cast(Drive, self._inner.restore_space_sync(id))

    @_guard_async
    async def purge_space(self, id: str) -> None:
        """Purges a disabled space; ``InvalidArgumentError`` (``field == "id"``)
        when it is still enabled."""
        await self._inner.purge_space(id)

    @_guard
    def purge_space_sync(self, id: str) -> None:
        self._inner.purge_space_sync(id)

    @_guard_async
    async def remove_project_space(self, id: str) -> SpaceRemoval:
        """Disables, confirms and purges a project space. A failure's exception
        also has ``step`` (``lookup``, ``disable``, ``confirm_trashed``,
        ``purge``) and ``disabled``; calling again resumes there."""
        return cast(SpaceRemoval, await self._inner.remove_project_space(id))

    @_guard
    def remove_project_space_sync(self, id: str) -> SpaceRemoval:
        return cast(SpaceRemoval, self._inner.remove_project_space_sync(id))

    @_guard_async
    async def get_user(self, id_or_name: str) -> User:
        """One user by id or login name."""
        return cast(User, await self._inner.get_user(id_or_name))

    @_guard
    def get_user_sync(self, id_or_name: str) -> User:
        return cast(User, self._inner.get_user_sync(id_or_name))

    @_guard_async
    async def create_user(
        self,
        display_name: str,
        on_premises_sam_account_name: str,
        mail: str | None = None,
        password: str | None = None,
    ) -> User:
        """Creates a user (admin only). Users normally appear in OCIS on their
        first OIDC login; create one only to share a space before that."""
        result = await self._inner.create_user(
            display_name, on_premises_sam_account_name, mail, password
        )
        return cast(User, result)

    @_guard
    def create_user_sync(
        self,
        display_name: str,
        on_premises_sam_account_name: str,
        mail: str | None = None,
        password: str | None = None,
    ) -> User:
        result = self._inner.create_user_sync(
            display_name, on_premises_sam_account_name, mail, password
        )
        return cast(User, result)

    @_guard_async
    async def delete_user(self, id: str) -> None:
        """Deletes a user (admin only)."""
        await self._inner.delete_user(id)

    @_guard
    def delete_user_sync(self, id: str) -> None:
        self._inner.delete_user_sync(id)
