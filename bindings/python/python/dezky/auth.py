"""Access tokens and authorization.

:class:`TokenVerifier` checks an Authentik access token against the configured
issuers and audiences (keys read over HTTP: OpenID discovery, then JWKS, cached)
and returns its :class:`Actor`. The ``require_*`` functions apply the
authorization rules to an actor and the caller's user record (a dict with the
control plane's camelCase names; a whole pymongo document is fine, a bson
``ObjectId`` reads as its hex string). The rules and the choices behind them are
in ``docs/auth.md``.

>>> from dezky import Actor, require_tenant_admin, ForbiddenError
>>> actor = Actor(subject="sub-1", surface="portal")
>>> user = {"_id": "u1", "authentikSubjectId": "sub-1", "tenantIds": ["t1"], "tenantRoles": {"t1": "admin"}}
>>> require_tenant_admin(actor, user, {"_id": "t1", "slug": "acme", "plan": "business"})
>>> try:
...     require_tenant_admin(actor, user, {"_id": "t2", "slug": "globex", "plan": "business"})
... except ForbiddenError as e:
...     print(e.code)
DEZKY_FORBIDDEN
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import _dezky
from ._native import typed

__all__ = [
    "Actor",
    "TokenVerifier",
    "require_can_force_logout",
    "require_can_suspend",
    "require_operator",
    "require_own_active_record",
    "require_partner_staff",
    "require_partner_tenant",
    "require_platform_admin",
    "require_tenant_admin",
    "require_tenant_member",
]

Surface = Literal["portal", "operator"]
Record = Mapping[str, Any]


@dataclass(frozen=True)
class Actor:
    """Who a verified token speaks for. It says who the caller is, never what
    they may do: rights come from the user record (the ``require_*`` functions)."""

    subject: str
    """``sub``: the user record's ``authentikSubjectId``."""
    surface: Surface
    """``portal`` or ``operator``, from the audience that matched."""
    email: str | None = None
    name: str | None = None
    """``name``, else ``preferred_username``."""
    groups: tuple[str, ...] = field(default=())
    """Authentik group names (informational: they grant nothing)."""
    issuer: str = ""
    audience: str = ""
    expires_at: int = 0
    """``exp``, seconds since the Unix epoch."""

    @classmethod
    def _from_native(cls, d: dict[str, Any]) -> Actor:
        return cls(
            subject=d["subject"],
            surface=d["surface"],
            email=d["email"],
            name=d["name"],
            groups=tuple(d["groups"]),
            issuer=d["issuer"],
            audience=d["audience"],
            expires_at=d["expires_at"],
        )


class TokenVerifier:
    """Verifies access tokens. Create one per process and share it: each
    issuer's keys are fetched once and cached (15 minutes by default), an unknown
    ``kid`` re-reads them at most every 30 s.

    ``issuers`` and ``audiences`` (lists, or comma-separated strings) pair as the
    control plane's ``AUTHENTIK_ISSUER``/``AUTHENTIK_AUDIENCE``: by position, or
    one issuer with every audience. Other clients: ``clients=[{"issuer",
    "audience", "surface"}]``. Raises ``AuthConfigError`` for a configuration
    that cannot work, ``InvalidArgumentError`` for a wrong argument.
    """

    __slots__ = ("_inner",)

    @typed
    def __init__(
        self,
        issuers: str | Sequence[str] | None = None,
        audiences: str | Sequence[str] | None = None,
        *,
        clients: Sequence[Mapping[str, str]] | None = None,
        leeway_seconds: float | None = None,
        key_ttl_seconds: float | None = None,
        min_refresh_interval_seconds: float | None = None,
        max_stale_seconds: float | None = None,
    ) -> None:
        self._inner = _dezky.TokenVerifier(
            issuers,
            audiences,
            clients=clients,
            leeway_seconds=leeway_seconds,
            key_ttl_seconds=key_ttl_seconds,
            min_refresh_interval_seconds=min_refresh_interval_seconds,
            max_stale_seconds=max_stale_seconds,
        )

    @classmethod
    def from_env(cls) -> TokenVerifier:
        """A verifier for the comma-separated ``AUTHENTIK_ISSUER`` and
        ``AUTHENTIK_AUDIENCE`` environment variables (``AuthConfigError`` when
        they are missing or do not pair up)."""
        self = cls.__new__(cls)
        self._inner = _dezky.TokenVerifier.from_env()
        return self

    @typed
    async def verify_token(self, token: str) -> Actor:
        """Verifies ``token`` (the bare JWT, without ``Bearer ``) and returns its actor.

        Raises a ``TokenError`` subclass (answer 401): ``TokenMalformedError``,
        ``TokenBadSignatureError``, ``TokenExpiredError``, ``TokenNotYetValidError``,
        ``TokenUnknownIssuerError``, ``TokenWrongAudienceError``,
        ``TokenUnknownKeyError``; ``KeysUnavailableError`` when the issuer's keys
        cannot be fetched (answer 503), ``AuthConfigError`` when they cannot be used.
        """
        return Actor._from_native(await self._inner.verify_token(token))

    @typed
    def verify_token_sync(self, token: str) -> Actor:
        """Synchronous twin of :meth:`verify_token` (blocks while keys are fetched)."""
        return Actor._from_native(self._inner.verify_token_sync(token))

    def clients(self) -> list[dict[str, str]]:
        """The configured ``{issuer, audience, surface}`` triples."""
        return self._inner.clients()


def _actor(actor: Actor | Record) -> tuple[object, object]:
    if isinstance(actor, Actor):
        return actor.subject, actor.surface
    if isinstance(actor, Mapping):
        return actor.get("subject"), actor.get("surface")
    from .errors import ArgumentTypeError

    raise ArgumentTypeError(
        f"invalid argument `actor`: must be a dezky.Actor or a dict, got {type(actor).__name__}",
        argument="actor",
    )


def require_own_active_record(actor: Actor | Record, user: Record) -> None:
    """The user record must be the actor's own (``authentikSubjectId == subject``)
    and active. Every other rule starts with this check. Raises ``ForbiddenError``."""
    _dezky.authorize("own_active_record", *_actor(actor), user)


def require_operator(actor: Actor | Record, user: Record) -> None:
    """Operator-only endpoints: an operator-app token **and** ``platformAdmin``."""
    _dezky.authorize("operator", *_actor(actor), user)


def require_platform_admin(actor: Actor | Record, user: Record) -> None:
    """Platform-admin endpoints: ``platformAdmin``, from either surface."""
    _dezky.authorize("platform_admin", *_actor(actor), user)


def require_tenant_member(actor: Actor | Record, user: Record, tenant: Record) -> None:
    """Reading a tenant: its id in ``tenantIds``, or a platform admin."""
    _dezky.authorize("tenant_member", *_actor(actor), user, tenant=tenant)


def require_tenant_admin(actor: Actor | Record, user: Record, tenant: Record) -> None:
    """Administering a tenant: a member whose ``tenantRoles`` entry for it is
    ``admin``, or a platform admin. The legacy global ``role`` grants nothing."""
    _dezky.authorize("tenant_admin", *_actor(actor), user, tenant=tenant)


def require_partner_staff(actor: Actor | Record, user: Record, partner: Record) -> None:
    """The partner surface: staff of ``partner`` (``partnerId``). Platform
    admins are not partner staff."""
    _dezky.authorize("partner_staff", *_actor(actor), user, partner=partner)


def require_partner_tenant(
    actor: Actor | Record, user: Record, partner: Record, tenant: Record
) -> None:
    """Staff of ``partner`` acting on ``tenant``, one of that partner's own tenants."""
    _dezky.authorize("partner_tenant", *_actor(actor), user, tenant=tenant, partner=partner)


def require_can_suspend(
    actor: Actor | Record, user: Record, tenant: Record, target: Record
) -> None:
    """Suspending ``target``: a tenant admin of ``tenant``, not oneself, ``target``
    a member of ``tenant``; only a platform admin may act on a platform admin."""
    _dezky.authorize("can_suspend", *_actor(actor), user, tenant=tenant, target=target)


def require_can_force_logout(
    actor: Actor | Record, user: Record, tenant: Record, target: Record
) -> None:
    """Ending ``target``'s sessions: the same rule as :func:`require_can_suspend`."""
    _dezky.authorize("can_force_logout", *_actor(actor), user, tenant=tenant, target=target)
