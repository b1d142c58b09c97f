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

from typing import TYPE_CHECKING, TypedDict

from . import _authentik_records
from . import _dezky
from ._authentik_records import (
    Application,
    Binding,
    Device,
    Flow,
    Group,
    KeyPair,
    OAuth2Provider,
    RedirectUri,
    ScopeMapping,
    Session,
    SessionTermination,
    Token,
    User,
)
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


class AuthenticatorSummary(_authentik_records.AuthenticatorSummary):
    """The MFA status of a user."""

    has_mfa: bool
    """Whether ``count`` is above 0 (the Rust ``AuthenticatorSummary::has_mfa``)."""


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
