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
``_sync`` twin.
"""

from __future__ import annotations

from typing import Literal, TypedDict, cast

from . import _dezky
from .flags import _guard, _guard_async

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


class StalwartClient:
    """A client of Stalwart's JMAP management API. Create one per process and share it.

    ``base_url`` is the server's URL, normally the internal listener
    (``http://stalwart:8080``). Give ``api_key`` (sent as a Bearer token), or
    ``username`` and ``password`` of an admin account (Basic). ``timeout`` and
    ``connect_timeout`` are in seconds; ``max_retries`` applies to read-only
    requests only.
    """

    __slots__ = ("_inner",)

    @_guard
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        self._inner = _dezky.StalwartClient(
            base_url,
            api_key=api_key,
            username=username,
            password=password,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
        )

    @classmethod
    def from_env(cls) -> StalwartClient:
        """A client from ``STALWART_API_URL`` and ``STALWART_API_KEY`` (or
        ``STALWART_USERNAME`` and ``STALWART_PASSWORD``); ``ConfigError`` when
        they are missing."""
        self = cls.__new__(cls)
        self._inner = _dezky.StalwartClient.from_env()
        return self

    def __repr__(self) -> str:
        return repr(self._inner)

    @_guard_async
    async def create_domain(
        self,
        name: str,
        *,
        description: str | None = None,
        aliases: list[str] | None = None,
        is_enabled: bool | None = None,
        catch_all_address: str | None = None,
        allow_relaying: bool | None = None,
    ) -> str:
        """Creates a domain and returns its id (``AlreadyExistsError`` when the name is taken)."""
        return await self._inner.create_domain(
            name,
            description=description,
            aliases=aliases,
            is_enabled=is_enabled,
            catch_all_address=catch_all_address,
            allow_relaying=allow_relaying,
        )

    @_guard
    def create_domain_sync(
        self,
        name: str,
        *,
        description: str | None = None,
        aliases: list[str] | None = None,
        is_enabled: bool | None = None,
        catch_all_address: str | None = None,
        allow_relaying: bool | None = None,
    ) -> str:
        return self._inner.create_domain_sync(
            name,
            description=description,
            aliases=aliases,
            is_enabled=is_enabled,
            catch_all_address=catch_all_address,
            allow_relaying=allow_relaying,
        )

    @_guard_async
    async def find_domain(self, name: str) -> Domain | None:
        """The domain named ``name``, or ``None`` (without its zone file)."""
        return cast("Domain | None", await self._inner.find_domain(name))

    @_guard
    def find_domain_sync(self, name: str) -> Domain | None:
        return cast("Domain | None", self._inner.find_domain_sync(name))

    @_guard_async
    async def get_domain(self, id: str) -> Domain:
        """The domain ``id`` with ``dns_zone_file``, the records to publish."""
        return cast(Domain, await self._inner.get_domain(id))

    @_guard
    def get_domain_sync(self, id: str) -> Domain:
        return cast(Domain, self._inner.get_domain_sync(id))

    @_guard_async
    async def dkim_signatures(self, domain_id: str) -> list[DkimSignature]:
        """The DKIM signatures of a domain (possibly none yet)."""
        return cast("list[DkimSignature]", await self._inner.dkim_signatures(domain_id))

    @_guard
    def dkim_signatures_sync(self, domain_id: str) -> list[DkimSignature]:
        return cast("list[DkimSignature]", self._inner.dkim_signatures_sync(domain_id))

    @_guard_async
    async def wait_for_dkim(self, domain_id: str, timeout: float) -> list[DkimSignature]:
        """Waits until the domain's DKIM signatures exist (generated by the
        server after the domain was created); ``UpstreamTimeoutError`` with
        ``method == "WAIT"`` after ``timeout`` seconds."""
        return cast("list[DkimSignature]", await self._inner.wait_for_dkim(domain_id, timeout))

    @_guard
    def wait_for_dkim_sync(self, domain_id: str, timeout: float) -> list[DkimSignature]:
        return cast("list[DkimSignature]", self._inner.wait_for_dkim_sync(domain_id, timeout))

    @_guard_async
    async def delete_domain(self, id: str) -> None:
        """Deletes a domain with its own DKIM signatures; ``InUseError`` (the
        linked objects in ``linked``) while accounts, aliases or lists use it."""
        await self._inner.delete_domain(id)

    @_guard
    def delete_domain_sync(self, id: str) -> None:
        self._inner.delete_domain_sync(id)

    @_guard_async
    async def create_mailbox(
        self,
        domain_id: str,
        name: str,
        password: str,
        *,
        quota_bytes: int | None = None,
        description: str | None = None,
        locale: str | None = None,
    ) -> str:
        """Creates a mailbox with its password and quota, provisions its
        default address book, and returns the account id."""
        return await self._inner.create_mailbox(
            domain_id,
            name,
            password,
            quota_bytes=quota_bytes,
            description=description,
            locale=locale,
        )

    @_guard
    def create_mailbox_sync(
        self,
        domain_id: str,
        name: str,
        password: str,
        *,
        quota_bytes: int | None = None,
        description: str | None = None,
        locale: str | None = None,
    ) -> str:
        return self._inner.create_mailbox_sync(
            domain_id,
            name,
            password,
            quota_bytes=quota_bytes,
            description=description,
            locale=locale,
        )

    @_guard_async
    async def provision_address_book(self, account_id: str) -> None:
        """Makes the server create the account's default address book now."""
        await self._inner.provision_address_book(account_id)

    @_guard
    def provision_address_book_sync(self, account_id: str) -> None:
        self._inner.provision_address_book_sync(account_id)

    @_guard_async
    async def find_mailbox(self, address: str) -> Mailbox | None:
        """The mailbox with the address ``address``, or ``None``."""
        return cast("Mailbox | None", await self._inner.find_mailbox(address))

    @_guard
    def find_mailbox_sync(self, address: str) -> Mailbox | None:
        return cast("Mailbox | None", self._inner.find_mailbox_sync(address))

    @_guard_async
    async def get_mailbox(self, id: str) -> Mailbox:
        """The mailbox ``id``."""
        return cast(Mailbox, await self._inner.get_mailbox(id))

    @_guard
    def get_mailbox_sync(self, id: str) -> Mailbox:
        return cast(Mailbox, self._inner.get_mailbox_sync(id))

    @_guard_async
    async def suspend_mailbox(self, id: str) -> None:
        """Refuses every login (disables ``authenticate``), keeping the password
        and the other permission rules; mail is still received."""
        await self._inner.suspend_mailbox(id)

    @_guard
    def suspend_mailbox_sync(self, id: str) -> None:
        self._inner.suspend_mailbox_sync(id)

    @_guard_async
    async def resume_mailbox(self, id: str) -> None:
        """Allows logins again, keeping the other permission rules."""
        await self._inner.resume_mailbox(id)

    @_guard
    def resume_mailbox_sync(self, id: str) -> None:
        self._inner.resume_mailbox_sync(id)

    @_guard_async
    async def reset_password(self, id: str, password: str) -> None:
        """Sets a new password; app passwords and API keys stay."""
        await self._inner.reset_password(id, password)

    @_guard
    def reset_password_sync(self, id: str, password: str) -> None:
        self._inner.reset_password_sync(id, password)

    @_guard_async
    async def delete_mailbox(self, id: str) -> None:
        """Deletes a mailbox; the server purges its data in the background."""
        await self._inner.delete_mailbox(id)

    @_guard
    def delete_mailbox_sync(self, id: str) -> None:
        self._inner.delete_mailbox_sync(id)
