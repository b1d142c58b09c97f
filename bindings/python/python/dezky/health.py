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

from . import _dezky
from ._health_records import ProbeResult, ProbeStatus
from ._native import typed

__all__ = ["ProbeResult", "ProbeStatus", "probe_all", "probe_all_sync"]

probe_all = typed(_dezky.probe_all)
probe_all_sync = typed(_dezky.probe_all_sync)
