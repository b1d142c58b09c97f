"""Health probes for the operator's Infrastructure page.

Targets are dicts: ``{"name": "db", "type": "tcp", "host": "10.0.0.5", "port": 5432}``
or ``{"name": "sso", "type": "http", "url": "https://sso.example/-/health/live/",
"expected_status": 200}`` (a status or a ``(min, max)`` tuple; default any
2xx), each with an optional ``"timeout"`` in seconds. All are probed in
parallel; each result is ``ok`` (within ``ok`` seconds, 0.5), ``warn``
(slower, but it answered) or ``down`` (timeout, refused, unresolvable name,
unexpected status) with ``latency_ms`` and the ``error`` text. Targets without
a timeout use ``warn`` (1.5 s) as theirs (``docs/health.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict, cast

from . import _dezky
from .flags import _guard, _guard_async

__all__ = ["ProbeResult", "ProbeStatus", "probe_all", "probe_all_sync"]

ProbeStatus = Literal["ok", "warn", "down"]


class ProbeResult(TypedDict):
    name: str
    status: ProbeStatus
    latency_ms: int
    http_status: int | None
    error: str | None
    """Why it is down."""


@_guard_async
async def probe_all(
    targets: Iterable[Mapping[str, Any]], *, ok: float | None = None, warn: float | None = None
) -> list[ProbeResult]:
    """Probes every target in parallel; results are in the order of ``targets``.
    A malformed target raises ``InvalidArgumentError``; an unreachable one is a
    ``down`` result."""
    return cast("list[ProbeResult]", await _dezky.probe_all(list(targets), ok=ok, warn=warn))


@_guard
def probe_all_sync(
    targets: Iterable[Mapping[str, Any]], *, ok: float | None = None, warn: float | None = None
) -> list[ProbeResult]:
    """:func:`probe_all`, blocking."""
    return cast("list[ProbeResult]", _dezky.probe_all_sync(list(targets), ok=ok, warn=warn))
