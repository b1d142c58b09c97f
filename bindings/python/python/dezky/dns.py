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

from collections.abc import Sequence
from typing import Any, Literal, TypedDict, cast

from . import _dezky
from .flags import _guard, _guard_async

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


@_guard
def parse_zone_file(text: str, origin: str | None = None) -> list[ZoneRecord]:
    """Parses a zone file (Stalwart's ``dnsZoneFile``). Raises ``ZoneParseError`` (``line``)."""
    return cast("list[ZoneRecord]", _dezky.parse_zone_file(text, origin))


@_guard
def expected_records(domain: str, zone_file: str, ownership_token: str | None = None) -> ExpectedRecords:
    """The records ``domain`` should publish: Stalwart's plus, with a token, the
    ownership TXT at ``_dezky-challenge.<domain>.``; as checks, a zone snippet and a table."""
    return cast(ExpectedRecords, _dezky.expected_records(domain, zone_file, ownership_token))


def _triples(domains: Sequence[tuple[str, str, str | None]]) -> list[tuple[str, str, str | None]]:
    return [(d, z, t) for d, z, t in domains]


@_guard_async
async def verify_domains(
    domains: Sequence[tuple[str, str, str | None]],
    *,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
    concurrency: int = 16,
) -> list[DomainReport]:
    """Verifies ``(domain, zone_file, ownership_token)`` triples, at most
    ``concurrency`` at a time, on the module's runtime; the reports come back in
    input order. Without ``nameservers``: 1.1.1.1 and 8.8.8.8. With
    ``authoritative``, each domain is asked at its own zone's nameservers
    (found through ``nameservers``), recursion off, no cache; a domain whose
    nameservers cannot be found gets every check ``unknown``."""
    reports = await _dezky.verify_domains(
        _triples(domains),
        list(nameservers) if nameservers is not None else None,
        port,
        timeout,
        attempts,
        authoritative,
        concurrency,
    )
    return cast("list[DomainReport]", reports)


@_guard
def verify_domains_sync(
    domains: Sequence[tuple[str, str, str | None]],
    *,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
    concurrency: int = 16,
) -> list[DomainReport]:
    """Synchronous twin of :func:`verify_domains`: blocks without the GIL."""
    reports = _dezky.verify_domains_sync(
        _triples(domains),
        list(nameservers) if nameservers is not None else None,
        port,
        timeout,
        attempts,
        authoritative,
        concurrency,
    )
    return cast("list[DomainReport]", reports)


@_guard_async
async def verify_domain(
    domain: str,
    zone_file: str,
    ownership_token: str | None = None,
    *,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
) -> DomainReport:
    """Verifies one domain (see :func:`verify_domains`). With ``authoritative``,
    raises ``DnsResolverError`` when the zone's nameservers cannot be found."""
    report = await _dezky.verify_domain(
        domain,
        zone_file,
        ownership_token,
        list(nameservers) if nameservers is not None else None,
        port,
        timeout,
        attempts,
        authoritative,
    )
    return cast(DomainReport, report)


@_guard
def verify_domain_sync(
    domain: str,
    zone_file: str,
    ownership_token: str | None = None,
    *,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 2.0,
    attempts: int = 2,
    authoritative: bool = False,
) -> DomainReport:
    """Synchronous twin of :func:`verify_domain`: blocks without the GIL."""
    report = _dezky.verify_domain_sync(
        domain,
        zone_file,
        ownership_token,
        list(nameservers) if nameservers is not None else None,
        port,
        timeout,
        attempts,
        authoritative,
    )
    return cast(DomainReport, report)
