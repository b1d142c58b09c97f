"""Feature flags: the typed public API over the native module ``dezky._dezky``.

These classes only convert arguments and errors; evaluation, validation,
history and audit events all happen in the Rust core (``dezky-flags``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from . import _dezky
from ._native import typed
from .errors import ArgumentTypeError

__all__ = [
    "FlagSet",
    "FlagStore",
    "Subscription",
    "bucket",
    "openfeature_reason",
    "preview_rollout",
    "reasons",
]

Context = Mapping[str, "str | None"]
"""An evaluation context with the control plane's camelCase keys
(``tenantId``, ``tenantSlug``, ``plan``, ``partnerSlug``, ``environment``, ``userId``)."""

Subscription = _dezky.Subscription


def _native_set(value: object, name: str = "flags") -> _dezky.FlagSet:
    if not isinstance(value, FlagSet):
        raise ArgumentTypeError(
            f"invalid argument `{name}`: must be a dezky.FlagSet, got {type(value).__name__}",
            name=name,
        )
    return value._inner


class FlagSet:
    """An immutable, validated set of flags compiled for evaluation.

    Changes (``create``, ``update``, ``kill``, ``delete``) return a new set
    together with the audit event for the platform audit log.
    """

    __slots__ = ("_inner",)

    @typed
    def __init__(self, flags: Sequence[Mapping[str, Any]] | None = None) -> None:
        self._inner = _dezky.FlagSet() if flags is None else _dezky.FlagSet.from_flags(flags)

    @classmethod
    def _wrap(cls, inner: _dezky.FlagSet) -> FlagSet:
        obj = cls.__new__(cls)
        obj._inner = inner
        return obj

    @classmethod
    @typed
    def from_json(cls, text: str) -> FlagSet:
        """Parses a JSON array of flag documents (the body of ``GET /flags``)."""
        return cls._wrap(_dezky.FlagSet.from_json(text))

    @classmethod
    @typed
    def from_flags(cls, flags: Sequence[Mapping[str, Any]]) -> FlagSet:
        """Builds a set from a list of flag documents (dicts in the control plane's JSON shape)."""
        return cls._wrap(_dezky.FlagSet.from_flags(flags))

    def to_json(self) -> str:
        """The set as JSON text; unknown fields survive the round trip."""
        return self._inner.to_json()

    def flags(self) -> list[dict[str, Any]]:
        """The flag documents, in set order."""
        return self._inner.flags()

    @typed
    def get(self, key: str) -> dict[str, Any] | None:
        """The flag document with this key, or ``None``."""
        return self._inner.get(key)

    def keys(self) -> list[str]:
        """The flag keys, in set order."""
        return self._inner.keys()

    def __len__(self) -> int:
        return len(self._inner)

    def __contains__(self, key: object) -> bool:
        return key in self._inner

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FlagSet) and self._inner == other._inner

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FlagSet(<{len(self._inner)} flags>)"

    @typed
    def evaluate(self, key: str, ctx: Context | None = None, **kwargs: str | None) -> dict[str, Any]:
        """Evaluates one flag: ``{key, value, reason, bucket?, killed, variant}``.

        The context is a dict with camelCase keys, or keywords ``tenant_id``,
        ``tenant_slug``, ``plan``, ``partner_slug``, ``environment``, ``user_id``.
        An unknown key evaluates to ``False`` with reason ``"flag_not_found"``.
        """
        return self._inner.evaluate(key, ctx, kwargs)

    @typed
    def evaluate_all(self, ctx: Context | None = None, **kwargs: str | None) -> dict[str, bool]:
        """Evaluates every flag for one context: ``{key: bool}`` in set order."""
        return self._inner.evaluate_all(ctx, kwargs)

    @typed
    def create(
        self, key: str, description: str, actor: str, *, at: datetime | None = None
    ) -> tuple[FlagSet, dict[str, Any]]:
        """Adds a new flag (state ``off``), recording its creation in history."""
        inner, event = self._inner.create(key, description, actor, at)
        return FlagSet._wrap(inner), event

    @typed
    def update(
        self, key: str, changes: Mapping[str, Any], actor: str, *, at: datetime | None = None
    ) -> tuple[FlagSet, dict[str, Any] | None]:
        """Applies a partial update (``description``, ``state``, ``pct``, ``scope``, ``level``).

        When nothing changes, nothing is recorded: the set returned is this very
        set and the event is ``None``.
        """
        inner, event = self._inner.update(key, changes, actor, at)
        return (self if inner is self._inner else FlagSet._wrap(inner)), event

    @typed
    def kill(self, key: str, actor: str, *, at: datetime | None = None) -> tuple[FlagSet, dict[str, Any]]:
        """The kill switch: ``state = off``, ``pct = 0``, recorded in history."""
        inner, event = self._inner.kill(key, actor, at)
        return FlagSet._wrap(inner), event

    @typed
    def delete(self, key: str, actor: str, *, at: datetime | None = None) -> tuple[FlagSet, dict[str, Any]]:
        """Removes a flag; the event records its last configuration."""
        inner, event = self._inner.delete(key, actor, at)
        return FlagSet._wrap(inner), event


class FlagStore:
    """An in-memory flag snapshot, refreshed from a source without blocking evaluation.

    ``FlagStore(flags)`` serves a fixed set (swap it with ``replace``);
    ``FlagStore.from_file(path)`` / ``await FlagStore.connect_file(path)`` load a
    JSON file and refresh from it; ``FlagStore.from_http(url, token=...)`` /
    ``await FlagStore.connect_http(...)`` do the same with the control plane's
    ``GET /flags`` (ETag revalidation: an unchanged set costs a 304).
    """

    __slots__ = ("__weakref__", "_inner")

    @typed
    def __init__(self, flags: FlagSet | None = None) -> None:
        self._inner = _dezky.FlagStore(None if flags is None else _native_set(flags))

    @classmethod
    def _wrap(cls, inner: _dezky.FlagStore) -> FlagStore:
        obj = cls.__new__(cls)
        obj._inner = inner
        return obj

    @classmethod
    @typed
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        interval: float = 30.0,
        max_backoff: float = 300.0,
        stale_after: float = 120.0,
    ) -> FlagStore:
        """Loads a JSON flag file now (raising ``FlagSourceError`` if it cannot) and refreshes from it.

        Times are in seconds. Call ``start()`` to refresh in the background.
        """
        return cls._wrap(_dezky.FlagStore.from_file(os.fspath(path), interval, max_backoff, stale_after))

    @classmethod
    @typed
    async def connect_file(
        cls,
        path: str | os.PathLike[str],
        *,
        interval: float = 30.0,
        max_backoff: float = 300.0,
        stale_after: float = 120.0,
    ) -> FlagStore:
        """Awaitable twin of :meth:`from_file`."""
        return cls._wrap(await _dezky.FlagStore.connect_file(os.fspath(path), interval, max_backoff, stale_after))

    @classmethod
    @typed
    def from_http(
        cls,
        url: str,
        token: str | None = None,
        *,
        interval: float = 30.0,
        max_backoff: float = 300.0,
        stale_after: float = 120.0,
    ) -> FlagStore:
        """Loads the flag set from the control plane's ``GET /flags`` now and refreshes from it.

        ``token`` is sent as ``Authorization: Bearer ...`` and never appears in an
        exception, ``repr`` or :meth:`status`. A URL that is not http(s), or that
        carries credentials, raises ``ConfigError``; a failed first load raises
        ``FlagSourceError``. Times are in seconds; call ``start()`` to refresh in
        the background.
        """
        return cls._wrap(_dezky.FlagStore.from_http(url, token, interval, max_backoff, stale_after))

    @classmethod
    @typed
    async def connect_http(
        cls,
        url: str,
        token: str | None = None,
        *,
        interval: float = 30.0,
        max_backoff: float = 300.0,
        stale_after: float = 120.0,
    ) -> FlagStore:
        """Awaitable twin of :meth:`from_http`."""
        return cls._wrap(await _dezky.FlagStore.connect_http(url, token, interval, max_backoff, stale_after))

    def flags(self) -> FlagSet:
        """The current snapshot."""
        return FlagSet._wrap(self._inner.flags())

    @typed
    def evaluate(self, key: str, ctx: Context | None = None, **kwargs: str | None) -> dict[str, Any]:
        """Evaluates one flag of the current snapshot (see :meth:`FlagSet.evaluate`)."""
        return self._inner.evaluate(key, ctx, kwargs)

    @typed
    def evaluate_all(self, ctx: Context | None = None, **kwargs: str | None) -> dict[str, bool]:
        """Evaluates every flag of the current snapshot: ``{key: bool}``."""
        return self._inner.evaluate_all(ctx, kwargs)

    def refresh(self) -> asyncio.Task[dict[str, Any]]:
        """Fetches from the source once: ``{"outcome": "updated" | "unchanged", "changed": [...]}``.

        The fetch starts now, as a task of the running event loop (``RuntimeError``
        without one). On failure the current snapshot stays, the error shows in
        :meth:`status`, and the task raises it (``FlagSourceError``, ``MalformedJsonError``, ...).
        """
        return asyncio.get_running_loop().create_task(self._inner.refresh())

    def refresh_sync(self) -> dict[str, Any]:
        """Synchronous twin of :meth:`refresh`, for scripts and notebooks."""
        return self._inner.refresh_sync()

    def start(self) -> None:
        """Starts refreshing in the background (idempotent)."""
        self._inner.start()

    def stop(self) -> None:
        """Stops the background refresher (idempotent)."""
        self._inner.stop()

    @property
    def running(self) -> bool:
        """Whether the background refresher runs."""
        return self._inner.running

    def status(self) -> dict[str, Any]:
        """``{source, flag_count, age, stale, version, consecutive_failures, last_error, last_error_code}``."""
        return self._inner.status()

    @typed
    def replace(self, flags: FlagSet) -> list[str]:
        """Swaps in a new set now and notifies subscribers; returns the changed keys."""
        return self._inner.replace(_native_set(flags))

    @typed
    def on_change(self, callback: Callable[[list[str]], object]) -> Subscription:
        """Calls ``callback(changed_keys)`` after each swap that changes a flag.

        The callback runs on the refreshing thread; exceptions it raises are
        reported through ``sys.unraisablehook``. The subscription lasts until
        ``unsubscribe()`` (or the end of a ``with`` block) or until the store is gone.
        """
        return self._inner.on_change(callback)

    def __repr__(self) -> str:
        return repr(self._inner)


@typed
def bucket(subject: str, key: str) -> int:
    """The rollout bucket (0..99): ``u32_be(sha256(f"{subject}:{key}")[:4]) % 100``."""
    return _dezky.bucket(subject, key)


@typed
def preview_rollout(flag: Mapping[str, Any], contexts: Sequence[Context]) -> dict[str, Any]:
    """How many of ``contexts`` (and which positions) a proposed flag enables:
    ``{total, enabled_count, enabled}``."""
    return _dezky.preview_rollout(flag, contexts)


@typed
def openfeature_reason(reason: str) -> str:
    """The OpenFeature reason for a Dezky reason (``"in_rollout"`` → ``"SPLIT"``)."""
    return _dezky.openfeature_reason(reason)


def reasons() -> list[str]:
    """Every evaluation reason's wire name."""
    return _dezky.reasons()
