"""Mail-domain DNS verification: expected records, real lookups, a semantic diff.

The rules live in the Rust core (``docs/dns.md``); this module types the
results. Statuses are ``ok``, ``missing``, ``mismatch``, ``invalid`` and
``unknown``; a resolver failure (timeout, SERVFAIL, REFUSED) is ``unknown``,
never ``missing``.

>>> zone = 'acme.test. IN TXT "v=spf1 mx -all"\\nacme.test. IN MX 10 mail.example.net.\\n'
>>> [(r["type"], r["value"]) for r in parse_zone_file(zone)]
[('TXT', 'v=spf1 mx -all'), ('MX', '10 mail.example.net.')]
"""

from __future__ import annotations

from typing import Literal, TypedDict

from . import _dezky
from ._native import typed

__all__ = [
    "CheckStatus",
    "DomainReport",
    "ExpectedCheck",
    "ExpectedRecords",
    "FieldDiff",
    "PublishRow",
    "RecordCheck",
    "RecordKind",
    "ZoneRecord",
    "expected_records",
    "parse_zone_file",
    "verify_domain",
    "verify_domain_sync",
    "verify_domains",
    "verify_domains_sync",
]

CheckStatus = Literal["ok", "missing", "mismatch", "invalid", "unknown"]
RecordKind = Literal["spf", "dmarc", "dkim", "mx", "mta_sts", "tls_rpt", "ownership", "txt", "cname", "other"]


class ZoneRecord(TypedDict):
    """One record of a zone file."""

    name: str
    ttl: int
    type: str
    value: str
    """TXT strings joined and unquoted; other types in presentation format."""
    rdata: str
    """The data in zone-file presentation format."""


class ExpectedCheck(TypedDict):
    name: str
    type: str
    kind: RecordKind
    selector: str | None
    values: list[str]


class PublishRow(TypedDict):
    """One row of the add-domain wizard's table."""

    name: str
    host: str
    """Relative to the domain: ``@``, ``_dmarc``, ..."""
    type: str
    value: str
    purpose: str


class ExpectedRecords(TypedDict):
    domain: str
    checks: list[ExpectedCheck]
    zone_snippet: str
    table: list[PublishRow]


class FieldDiff(TypedDict):
    field: str
    expected: str | None
    found: str | None


class RecordCheck(TypedDict):
    name: str
    type: str
    kind: RecordKind
    selector: str | None
    status: CheckStatus
    expected: list[str]
    found: list[str]
    diff: list[FieldDiff]
    warnings: list[str]
    message: str | None
    via_cname: str | None


class DomainReport(TypedDict):
    domain: str
    checks: list[RecordCheck]
    needs_attention: bool
    """The sidebar badge: some check is ``missing``, ``mismatch`` or ``invalid``."""
    complete: bool
    """No check is ``unknown``."""
    actions: list[str]


parse_zone_file = typed(_dezky.parse_zone_file)
expected_records = typed(_dezky.expected_records)
verify_domains = typed(_dezky.verify_domains)
verify_domains_sync = typed(_dezky.verify_domains_sync)
verify_domain = typed(_dezky.verify_domain)
verify_domain_sync = typed(_dezky.verify_domain_sync)
