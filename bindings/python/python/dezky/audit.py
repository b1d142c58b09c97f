"""The audit log: the typed public API over the native module ``dezky._dezky``
(``docs/audit.md``).

Every rule lives in the Rust core (``dezky_core::audit``): the portal's
filters as a MongoDB query (errors name the filter's key), its paging cursor,
the log's time form and the CSV export. The SDK holds no database
connection: :class:`AuditQuery` is what to ask the driver for.

>>> from dezky.audit import AuditQuery
>>> query = AuditQuery.build({"action": "tenant.suspend", "limit": 20})
>>> query.filter, query.limit
({'action': {'$in': ['tenant.suspend']}}, 21)

:func:`write_audit_csv` streams: it reads one event from the iterable, writes
its row, and hands the file its output in chunks of about 64 KiB, so a
million events export in constant memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from . import _dezky
from ._audit_records import AuditFilter, AuditQueryValue
from ._native import native_class, typed
from ._provisioning_records import AuditEvent, Outcome

__all__ = [
    "CSV_COLUMNS",
    "AuditEvent",
    "AuditFilter",
    "AuditQuery",
    "AuditQueryValue",
    "Outcome",
    "SupportsWrite",
    "parse_audit_filter",
    "parse_audit_time",
    "write_audit_csv",
]


class SupportsWrite(Protocol):
    """A file :func:`write_audit_csv` writes to: ``str`` to a text file,
    ``bytes`` to a binary one (``io.RawIOBase``, ``io.BufferedIOBase``)."""

    def write(self, data: Any, /) -> object: ...


if TYPE_CHECKING:
    from ._dezky import AuditQuery
else:
    AuditQuery = native_class(_dezky.AuditQuery, __name__)

CSV_COLUMNS: tuple[str, ...] = tuple(_dezky.audit_csv_columns())
"""The CSV export's columns, in order (its header row)."""

parse_audit_filter = typed(_dezky.parse_audit_filter)
parse_audit_time = typed(_dezky.parse_audit_time)
write_audit_csv = typed(_dezky.write_audit_csv)
