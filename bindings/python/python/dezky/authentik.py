"""Authentik (API v3, 2025.10): tenant groups, members (create, suspend,
force-logout, password, recovery link, MFA status), per-tenant SSO apps
(OAuth2/OIDC provider + application + group binding) and API tokens.

Every operation is a coroutine with a blocking ``_sync`` twin; records are
dicts with the API's snake_case names; listings are read to the end. Filters
are exact, and an empty filter value is refused with ``InvalidArgumentError``
before any request (the server would ignore it and list everything). Errors
are the ``dezky.errors`` classes: a refused token is
``UpstreamUnauthorizedError`` (Authentik answers it with 403), a 400 naming a
taken ``name``/``username``/``slug`` is ``AlreadyExistsError`` with ``fields``.
See ``docs/authentik-client.md`` for the choices (MFA counting, signing key,
session safety, rollback of :meth:`AuthentikClient.create_sso_app`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

from . import _dezky
from .flags import _guard, _guard_async

__all__ = [
    "Application",
    "AuthentikClient",
    "AuthenticatorSummary",
    "Binding",
    "Device",
    "Flow",
    "Group",
    "KeyPair",
    "OAuth2Provider",
    "RedirectUri",
    "ScopeMapping",
    "Session",
    "SessionTermination",
    "SsoApp",
    "Token",
    "User",
]


class Group(TypedDict):
    """A group."""

    pk: str
    """The uuid."""
    num_pk: int | None
    name: str
    is_superuser: bool | None
    parent: str | None
    users: list[int]
    """Member pks (empty: listings do not ask for members)."""
    attributes: dict[str, Any] | None
    """``tenant_slug`` and ``tenant_id`` for tenant groups."""


class User(TypedDict):
    """A user."""

    pk: int
    username: str
    name: str | None
    is_active: bool | None
    last_login: str | None
    is_superuser: bool | None
    groups: list[str]
    """Group uuids."""
    email: str | None
    uid: str | None
    """The hashed id (``sub`` in the default mode)."""
    uuid: str | None
    path: str | None
    type: str | None
    """``internal``, ``external``, ``service_account``, ``internal_service_account``."""
    attributes: dict[str, Any] | None


class Session(TypedDict):
    """A login session."""

    uuid: str | None
    current: bool | None
    user: int
    """The owner's pk."""
    last_ip: str | None
    last_user_agent: str | None
    last_used: str | None
    expires: str | None


class SessionTermination(TypedDict):
    """What :meth:`AuthentikClient.terminate_user_sessions` did."""

    terminated: list[str]
    """Uuids of the sessions deleted."""
    skipped_foreign: int
    """Sessions of other users in the listing: never deleted."""
    already_gone: int
    """Sessions that ended before their delete."""


class Device(TypedDict):
    """An authenticator device."""

    pk: str
    name: str | None
    type: str
    """``<app_label>.<Model>``."""
    confirmed: bool
    verbose_name: str | None
    last_used: str | None


class AuthenticatorSummary(TypedDict):
    """The MFA status of a user."""

    count: int
    """Confirmed second factors (recovery codes and endpoint devices excluded)."""
    by_type: dict[str, int]
    recovery_code_devices: int
    unconfirmed: int
    endpoint_devices: int
    has_mfa: bool


class Flow(TypedDict):
    """A flow."""

    pk: str
    slug: str
    name: str | None
    designation: str | None


class KeyPair(TypedDict):
    """A certificate key pair."""

    pk: str
    name: str
    managed: str | None
    private_key_available: bool | None
    private_key_type: str | None
    cert_expiry: str | None
    fingerprint_sha256: str | None


class ScopeMapping(TypedDict):
    """A scope mapping."""

    pk: str
    managed: str | None
    name: str | None
    scope_name: str | None


class RedirectUri(TypedDict):
    """A redirect URI."""

    matching_mode: str
    url: str


class OAuth2Provider(TypedDict):
    """An OAuth2/OIDC provider (without its client secret)."""

    pk: int
    name: str
    authorization_flow: str | None
    invalidation_flow: str | None
    property_mappings: list[str]
    client_type: str | None
    client_id: str | None
    access_code_validity: str | None
    access_token_validity: str | None
    refresh_token_validity: str | None
    signing_key: str | None
    encryption_key: str | None
    redirect_uris: list[RedirectUri]
    sub_mode: str | None
    assigned_application_slug: str | None


class Application(TypedDict):
    """An application."""

    pk: str
    """The uuid (a binding's target)."""
    name: str
    slug: str
    provider: int | None
    launch_url: str | None
    meta_launch_url: str | None
    meta_description: str | None
    policy_engine_mode: str | None
    group: str | None


class Binding(TypedDict):
    """A policy binding."""

    pk: str
    target: str
    group: str | None
    policy: str | None
    user: int | None
    order: int
    enabled: bool | None


class Token(TypedDict):
    """A token (its key is read with :meth:`AuthentikClient.view_token_key`)."""

    pk: str
    identifier: str
    intent: str | None
    user: int | None
    description: str | None
    expires: str | None
    expiring: bool | None


class SsoApp(TypedDict):
    """What :meth:`AuthentikClient.create_sso_app` created."""

    application: Application
    provider_pk: int
    client_id: str
    client_secret: str
    """Shown once: hand it to the app, never log it."""
    issuer: str
    signing_key: str
    binding: Binding | None


class AuthentikClient:
    """A client of the Authentik API v3. Create one per process and share it.

    ``base_url`` is the server URL, with or without ``/api/v3``; ``token`` an
    API token (``intent = api``). ``timeout`` and ``connect_timeout`` are in
    seconds; ``page_size`` (1 to 1000, default 100) is sent with every listing.
    """

    __slots__ = ("_inner",)

    @_guard
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        page_size: int | None = None,
    ) -> None:
        self._inner = _dezky.AuthentikClient(
            base_url,
            token,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            page_size=page_size,
        )

    @classmethod
    def from_env(cls) -> AuthentikClient:
        """A client from ``AUTHENTIK_API_URL`` (with or without ``/api/v3``) and
        ``AUTHENTIK_API_TOKEN``; ``ConfigError`` when they are missing."""
        self = cls.__new__(cls)
        self._inner = _dezky.AuthentikClient.from_env()
        return self

    def __repr__(self) -> str:
        return repr(self._inner)

    def issuer_for(self, slug: str) -> str:
        """The issuer of the application ``slug`` (``<host>/application/o/<slug>/``)."""
        return self._inner.issuer_for(slug)

    @_guard_async
    async def list_groups(self) -> list[Group]:
        """Every group (without member lists)."""
        return cast(list[Group], await self._inner.list_groups())

    @_guard
    def list_groups_sync(self) -> list[Group]:
        return cast(list[Group], self._inner.list_groups_sync())

    @_guard_async
    async def find_group_by_name(self, name: str) -> Group | None:
        """The group named exactly ``name``, or ``None``; an empty name is refused."""
        return cast("Group | None", await self._inner.find_group_by_name(name))

    @_guard
    def find_group_by_name_sync(self, name: str) -> Group | None:
        return cast("Group | None", self._inner.find_group_by_name_sync(name))

    @_guard_async
    async def ensure_group(self, name: str, tenant_slug: str, tenant_id: str) -> Group:
        """The tenant group ``name``, created with ``{tenant_slug, tenant_id}`` attributes if absent (safe against a concurrent create)."""
        return cast(Group, await self._inner.ensure_group(name, tenant_slug, tenant_id))

    @_guard
    def ensure_group_sync(self, name: str, tenant_slug: str, tenant_id: str) -> Group:
        return cast(Group, self._inner.ensure_group_sync(name, tenant_slug, tenant_id))

    @_guard_async
    async def get_group(self, pk: str) -> Group:
        """The group with uuid ``pk``."""
        return cast(Group, await self._inner.get_group(pk))

    @_guard
    def get_group_sync(self, pk: str) -> Group:
        return cast(Group, self._inner.get_group_sync(pk))

    @_guard_async
    async def delete_group(self, pk: str) -> None:
        """Deletes the group with uuid ``pk``."""
        await self._inner.delete_group(pk)

    @_guard
    def delete_group_sync(self, pk: str) -> None:
        self._inner.delete_group_sync(pk)

    @_guard_async
    async def add_user_to_group(self, group_pk: str, user_pk: int) -> None:
        """Adds user ``user_pk`` to group ``group_pk``."""
        await self._inner.add_user_to_group(group_pk, user_pk)

    @_guard
    def add_user_to_group_sync(self, group_pk: str, user_pk: int) -> None:
        self._inner.add_user_to_group_sync(group_pk, user_pk)

    @_guard_async
    async def remove_user_from_group(self, group_pk: str, user_pk: int) -> None:
        """Removes user ``user_pk`` from group ``group_pk``."""
        await self._inner.remove_user_from_group(group_pk, user_pk)

    @_guard
    def remove_user_from_group_sync(self, group_pk: str, user_pk: int) -> None:
        self._inner.remove_user_from_group_sync(group_pk, user_pk)

    @_guard_async
    async def create_user(self, email: str, name: str, *, groups: Sequence[str] | None = None, is_active: bool = True, path: str | None = None, type: str | None = None, attributes: Mapping[str, Any] | None = None) -> User:
        """Creates a user whose username is ``email``; a taken one is ``AlreadyExistsError``."""
        return cast(User, await self._inner.create_user(email, name, groups=None if groups is None else list(groups), is_active=is_active, path=path, type=type, attributes=attributes))

    @_guard
    def create_user_sync(self, email: str, name: str, *, groups: Sequence[str] | None = None, is_active: bool = True, path: str | None = None, type: str | None = None, attributes: Mapping[str, Any] | None = None) -> User:
        return cast(User, self._inner.create_user_sync(email, name, groups=None if groups is None else list(groups), is_active=is_active, path=path, type=type, attributes=attributes))

    @_guard_async
    async def get_user(self, pk: int) -> User:
        """The user with pk ``pk``."""
        return cast(User, await self._inner.get_user(pk))

    @_guard
    def get_user_sync(self, pk: int) -> User:
        return cast(User, self._inner.get_user_sync(pk))

    @_guard_async
    async def list_users(self, filters: Mapping[str, Any] | None = None) -> list[User]:
        """Users matching exact filters (``{"username": ..., "email": ...}``); an empty value is refused."""
        return cast(list[User], await self._inner.list_users(filters))

    @_guard
    def list_users_sync(self, filters: Mapping[str, Any] | None = None) -> list[User]:
        return cast(list[User], self._inner.list_users_sync(filters))

    @_guard_async
    async def find_user_by_username(self, username: str) -> User | None:
        """The user named exactly ``username``, or ``None``."""
        return cast("User | None", await self._inner.find_user_by_username(username))

    @_guard
    def find_user_by_username_sync(self, username: str) -> User | None:
        return cast("User | None", self._inner.find_user_by_username_sync(username))

    @_guard_async
    async def find_users_by_email(self, email: str) -> list[User]:
        """The users whose email is exactly ``email`` (not unique in Authentik)."""
        return cast(list[User], await self._inner.find_users_by_email(email))

    @_guard
    def find_users_by_email_sync(self, email: str) -> list[User]:
        return cast(list[User], self._inner.find_users_by_email_sync(email))

    @_guard_async
    async def set_password(self, pk: int, password: str) -> None:
        """Sets a user's password; one the policy refuses is ``UpstreamRejectedError``."""
        await self._inner.set_password(pk, password)

    @_guard
    def set_password_sync(self, pk: int, password: str) -> None:
        self._inner.set_password_sync(pk, password)

    @_guard_async
    async def suspend_user(self, pk: int) -> User:
        """Deactivates a user (``is_active = False``)."""
        return cast(User, await self._inner.suspend_user(pk))

    @_guard
    def suspend_user_sync(self, pk: int) -> User:
        return cast(User, self._inner.suspend_user_sync(pk))

    @_guard_async
    async def resume_user(self, pk: int) -> User:
        """Reactivates a user."""
        return cast(User, await self._inner.resume_user(pk))

    @_guard
    def resume_user_sync(self, pk: int) -> User:
        return cast(User, self._inner.resume_user_sync(pk))

    @_guard_async
    async def delete_user(self, pk: int) -> None:
        """Deletes a user."""
        await self._inner.delete_user(pk)

    @_guard
    def delete_user_sync(self, pk: int) -> None:
        self._inner.delete_user_sync(pk)

    @_guard_async
    async def recovery_link(self, pk: int) -> str:
        """A one-time recovery link; it logs in as the user, so treat it as a secret."""
        return await self._inner.recovery_link(pk)

    @_guard
    def recovery_link_sync(self, pk: int) -> str:
        return self._inner.recovery_link_sync(pk)

    @_guard_async
    async def list_user_sessions(self, username: str) -> list[Session]:
        """Every session of the user named exactly ``username``."""
        return cast(list[Session], await self._inner.list_user_sessions(username))

    @_guard
    def list_user_sessions_sync(self, username: str) -> list[Session]:
        return cast(list[Session], self._inner.list_user_sessions_sync(username))

    @_guard_async
    async def terminate_user_sessions(self, username: str, user_pk: int) -> SessionTermination:
        """Ends every session of user ``user_pk`` named ``username``; never another user's."""
        return cast(SessionTermination, await self._inner.terminate_user_sessions(username, user_pk))

    @_guard
    def terminate_user_sessions_sync(self, username: str, user_pk: int) -> SessionTermination:
        return cast(SessionTermination, self._inner.terminate_user_sessions_sync(username, user_pk))

    @_guard_async
    async def list_authenticators(self, user_pk: int) -> list[Device]:
        """The authenticators of user ``user_pk``."""
        return cast(list[Device], await self._inner.list_authenticators(user_pk))

    @_guard
    def list_authenticators_sync(self, user_pk: int) -> list[Device]:
        return cast(list[Device], self._inner.list_authenticators_sync(user_pk))

    @_guard_async
    async def count_authenticators(self, user_pk: int) -> AuthenticatorSummary:
        """The MFA status of user ``user_pk`` (recovery codes reported apart, endpoint devices excluded)."""
        return cast(AuthenticatorSummary, await self._inner.count_authenticators(user_pk))

    @_guard
    def count_authenticators_sync(self, user_pk: int) -> AuthenticatorSummary:
        return cast(AuthenticatorSummary, self._inner.count_authenticators_sync(user_pk))

    @_guard_async
    async def find_flow(self, designation: str, slug: str) -> Flow | None:
        """The flow with ``designation`` and ``slug``, or ``None``."""
        return cast("Flow | None", await self._inner.find_flow(designation, slug))

    @_guard
    def find_flow_sync(self, designation: str, slug: str) -> Flow | None:
        return cast("Flow | None", self._inner.find_flow_sync(designation, slug))

    @_guard_async
    async def list_signing_keys(self) -> list[KeyPair]:
        """Key pairs with a private key."""
        return cast(list[KeyPair], await self._inner.list_signing_keys())

    @_guard
    def list_signing_keys_sync(self) -> list[KeyPair]:
        return cast(list[KeyPair], self._inner.list_signing_keys_sync())

    @_guard_async
    async def discover_signing_key(self, preferred_name: str | None = None) -> KeyPair:
        """The signing key: ``preferred_name`` if given, else the managed JWT key, else the self-signed certificate; ``ConfigError`` when there is none."""
        return cast(KeyPair, await self._inner.discover_signing_key(preferred_name))

    @_guard
    def discover_signing_key_sync(self, preferred_name: str | None = None) -> KeyPair:
        return cast(KeyPair, self._inner.discover_signing_key_sync(preferred_name))

    @_guard_async
    async def scope_mappings(self, managed: Sequence[str]) -> list[ScopeMapping]:
        """The scope mappings with these managed ids, in that order."""
        return cast(list[ScopeMapping], await self._inner.scope_mappings(list(managed)))

    @_guard
    def scope_mappings_sync(self, managed: Sequence[str]) -> list[ScopeMapping]:
        return cast(list[ScopeMapping], self._inner.scope_mappings_sync(list(managed)))

    @_guard_async
    async def create_oauth2_provider(self, name: str, authorization_flow: str, invalidation_flow: str, redirect_uris: Sequence[str], signing_key: str, *, property_mappings: Sequence[str] | None = None, client_type: str | None = None, sub_mode: str | None = None, access_code_validity: str | None = None, access_token_validity: str | None = None, refresh_token_validity: str | None = None) -> OAuth2Provider:
        """Creates an OAuth2 provider with the signing key, no encryption key and explicit token lifetimes."""
        return cast(OAuth2Provider, await self._inner.create_oauth2_provider(name, authorization_flow, invalidation_flow, list(redirect_uris), signing_key, property_mappings=None if property_mappings is None else list(property_mappings), client_type=client_type, sub_mode=sub_mode, access_code_validity=access_code_validity, access_token_validity=access_token_validity, refresh_token_validity=refresh_token_validity))

    @_guard
    def create_oauth2_provider_sync(self, name: str, authorization_flow: str, invalidation_flow: str, redirect_uris: Sequence[str], signing_key: str, *, property_mappings: Sequence[str] | None = None, client_type: str | None = None, sub_mode: str | None = None, access_code_validity: str | None = None, access_token_validity: str | None = None, refresh_token_validity: str | None = None) -> OAuth2Provider:
        return cast(OAuth2Provider, self._inner.create_oauth2_provider_sync(name, authorization_flow, invalidation_flow, list(redirect_uris), signing_key, property_mappings=None if property_mappings is None else list(property_mappings), client_type=client_type, sub_mode=sub_mode, access_code_validity=access_code_validity, access_token_validity=access_token_validity, refresh_token_validity=refresh_token_validity))

    @_guard_async
    async def get_oauth2_provider(self, pk: int) -> OAuth2Provider:
        """The OAuth2 provider ``pk``."""
        return cast(OAuth2Provider, await self._inner.get_oauth2_provider(pk))

    @_guard
    def get_oauth2_provider_sync(self, pk: int) -> OAuth2Provider:
        return cast(OAuth2Provider, self._inner.get_oauth2_provider_sync(pk))

    @_guard_async
    async def list_oauth2_providers(self) -> list[OAuth2Provider]:
        """Every OAuth2 provider."""
        return cast(list[OAuth2Provider], await self._inner.list_oauth2_providers())

    @_guard
    def list_oauth2_providers_sync(self) -> list[OAuth2Provider]:
        return cast(list[OAuth2Provider], self._inner.list_oauth2_providers_sync())

    @_guard_async
    async def delete_oauth2_provider(self, pk: int) -> None:
        """Deletes the OAuth2 provider ``pk``."""
        await self._inner.delete_oauth2_provider(pk)

    @_guard
    def delete_oauth2_provider_sync(self, pk: int) -> None:
        self._inner.delete_oauth2_provider_sync(pk)

    @_guard_async
    async def create_application(self, name: str, slug: str, *, provider: int | None = None, meta_launch_url: str | None = None, meta_description: str | None = None) -> Application:
        """Creates an application."""
        return cast(Application, await self._inner.create_application(name, slug, provider=provider, meta_launch_url=meta_launch_url, meta_description=meta_description))

    @_guard
    def create_application_sync(self, name: str, slug: str, *, provider: int | None = None, meta_launch_url: str | None = None, meta_description: str | None = None) -> Application:
        return cast(Application, self._inner.create_application_sync(name, slug, provider=provider, meta_launch_url=meta_launch_url, meta_description=meta_description))

    @_guard_async
    async def get_application(self, slug: str) -> Application:
        """The application with slug ``slug`` (read directly, without the policy filter of the listing)."""
        return cast(Application, await self._inner.get_application(slug))

    @_guard
    def get_application_sync(self, slug: str) -> Application:
        return cast(Application, self._inner.get_application_sync(slug))

    @_guard_async
    async def list_applications(self) -> list[Application]:
        """Every application (``superuser_full_list=true``)."""
        return cast(list[Application], await self._inner.list_applications())

    @_guard
    def list_applications_sync(self) -> list[Application]:
        return cast(list[Application], self._inner.list_applications_sync())

    @_guard_async
    async def delete_application(self, slug: str) -> None:
        """Deletes the application with slug ``slug``."""
        await self._inner.delete_application(slug)

    @_guard
    def delete_application_sync(self, slug: str) -> None:
        self._inner.delete_application_sync(slug)

    @_guard_async
    async def list_bindings(self, target: str) -> list[Binding]:
        """The policy bindings of ``target`` (an application uuid)."""
        return cast(list[Binding], await self._inner.list_bindings(target))

    @_guard
    def list_bindings_sync(self, target: str) -> list[Binding]:
        return cast(list[Binding], self._inner.list_bindings_sync(target))

    @_guard_async
    async def bind_group_to_application(self, app_pk: str, group_pk: str) -> Binding:
        """Binds group ``group_pk`` to application ``app_pk`` (idempotent)."""
        return cast(Binding, await self._inner.bind_group_to_application(app_pk, group_pk))

    @_guard
    def bind_group_to_application_sync(self, app_pk: str, group_pk: str) -> Binding:
        return cast(Binding, self._inner.bind_group_to_application_sync(app_pk, group_pk))

    @_guard_async
    async def delete_binding(self, pk: str) -> None:
        """Deletes the policy binding ``pk``."""
        await self._inner.delete_binding(pk)

    @_guard
    def delete_binding_sync(self, pk: str) -> None:
        self._inner.delete_binding_sync(pk)

    @_guard_async
    async def create_sso_app(self, name: str, slug: str, redirect_uris: Sequence[str], *, group_pk: str | None = None, launch_url: str | None = None, client_type: str | None = None, authorization_flow_slug: str | None = None, invalidation_flow_slug: str | None = None, signing_key_name: str | None = None, access_token_validity: str | None = None, refresh_token_validity: str | None = None) -> SsoApp:
        """Discovery, OAuth2 provider, application and group binding; deletes what it created when a later step fails. ``client_secret`` is returned once: never log it."""
        return cast(SsoApp, await self._inner.create_sso_app(name, slug, list(redirect_uris), group_pk=group_pk, launch_url=launch_url, client_type=client_type, authorization_flow_slug=authorization_flow_slug, invalidation_flow_slug=invalidation_flow_slug, signing_key_name=signing_key_name, access_token_validity=access_token_validity, refresh_token_validity=refresh_token_validity))

    @_guard
    def create_sso_app_sync(self, name: str, slug: str, redirect_uris: Sequence[str], *, group_pk: str | None = None, launch_url: str | None = None, client_type: str | None = None, authorization_flow_slug: str | None = None, invalidation_flow_slug: str | None = None, signing_key_name: str | None = None, access_token_validity: str | None = None, refresh_token_validity: str | None = None) -> SsoApp:
        return cast(SsoApp, self._inner.create_sso_app_sync(name, slug, list(redirect_uris), group_pk=group_pk, launch_url=launch_url, client_type=client_type, authorization_flow_slug=authorization_flow_slug, invalidation_flow_slug=invalidation_flow_slug, signing_key_name=signing_key_name, access_token_validity=access_token_validity, refresh_token_validity=refresh_token_validity))

    @_guard_async
    async def create_api_token(self, identifier: str, user_pk: int, *, description: str | None = None, expiring: bool = False) -> Token:
        """Creates an API token (``intent = api``) for user ``user_pk``."""
        return cast(Token, await self._inner.create_api_token(identifier, user_pk, description=description, expiring=expiring))

    @_guard
    def create_api_token_sync(self, identifier: str, user_pk: int, *, description: str | None = None, expiring: bool = False) -> Token:
        return cast(Token, self._inner.create_api_token_sync(identifier, user_pk, description=description, expiring=expiring))

    @_guard_async
    async def view_token_key(self, identifier: str) -> str:
        """The key of token ``identifier`` (a secret: never log it)."""
        return await self._inner.view_token_key(identifier)

    @_guard
    def view_token_key_sync(self, identifier: str) -> str:
        return self._inner.view_token_key_sync(identifier)

    @_guard_async
    async def delete_token(self, identifier: str) -> None:
        """Deletes token ``identifier``."""
        await self._inner.delete_token(identifier)

    @_guard
    def delete_token_sync(self, identifier: str) -> None:
        self._inner.delete_token_sync(identifier)
