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

from typing import TYPE_CHECKING, Any, TypedDict

from . import _dezky
from ._native import native_class

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


if TYPE_CHECKING:
    from ._dezky import AuthentikClient
else:
    AuthentikClient = native_class(_dezky.AuthentikClient, __name__)
