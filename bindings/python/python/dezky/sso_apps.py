"""A tenant's SSO apps: the typed public API over the native module
``dezky._dezky`` (``docs/sso-apps.md``).

Every rule lives in the Rust core (``dezky_core::sso_apps``): a tenant admin
(or a platform admin) may act, the record is read by the core (errors name
the field, ``ssoApp.providerPk``; a record holding a ``clientSecret`` is
refused), and the composite delete runs the application's policy bindings,
the application, then the OAuth2 provider, counting what is gone as done so
that running it again after a failure resumes. An identity-provider failure
raises the exception of its code with ``upstream_code``, ``steps`` (the
failed one marked ``failed``, the rest ``not_reached``) and ``events``.

Each :class:`SsoApps` operation takes ``caller`` (the verified token's
:class:`dezky.auth.Actor`, or a dict with ``subject`` and ``surface``),
``caller_user`` (the caller's user document) and ``actor`` (the audit actor),
and is a coroutine with a blocking ``_sync`` twin. Creating an app stays
:meth:`dezky.authentik.AuthentikClient.create_sso_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict

from . import _dezky
from ._native import native_class
from ._provisioning_records import AuditEvent
from ._sso_apps_records import BoundApp, SsoApplication, SsoAppRecord, SsoAppStep, SsoStepOutcome

__all__ = [
    "BoundApp",
    "SsoAppRecord",
    "SsoAppStep",
    "SsoApplication",
    "SsoApps",
    "SsoDeletion",
    "SsoOp",
    "SsoStepOutcome",
]

SsoOp = Literal["applications", "application", "bindings", "delete_binding", "delete_application", "delete_provider"]
"""An SSO port operation, for the faults of the in-memory identity provider."""


class SsoDeletion(TypedDict):
    """A deleted SSO app."""

    steps: list[SsoAppStep]
    """The steps, in order: bindings, application, provider."""
    deleteFilter: dict[str, Any] | None
    """The SSO-app document to delete (``delete_one(deleteFilter)``), when it has an id."""
    events: list[AuditEvent]


if TYPE_CHECKING:
    from ._dezky import SsoApps
else:
    SsoApps = native_class(_dezky.SsoApps, __name__)
