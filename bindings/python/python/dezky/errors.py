"""The exceptions of the Dezky SDK.

Every exception is a :class:`DezkyError` with a stable ``code`` (the same
string the Node binding puts on ``Error.code``) and the structured fields of
the failure as attributes. ``except dezky.DezkyError`` catches them all.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ArgumentTypeError",
    "ConfigError",
    "DezkyError",
    "DnsResolverError",
    "DuplicateFlagError",
    "FlagNotFoundError",
    "FlagSourceError",
    "InvalidArgumentError",
    "InvalidContextError",
    "InvalidFlagError",
    "MalformedJsonError",
    "TransportError",
    "UpstreamError",
    "ZoneParseError",
    "error_class",
]


class DezkyError(Exception):
    """Base class of every Dezky exception."""

    code: str
    """The stable machine-readable code, for example ``"DEZKY_INVALID_FLAG"``."""

    default_code: ClassVar[str] = "DEZKY_ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.details: dict[str, Any] = details
        for name, value in details.items():
            setattr(self, name, value)

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class MalformedJsonError(DezkyError, ValueError):
    """The input is not valid JSON, or not the expected top-level shape. Has ``line``, ``column``."""

    default_code = "DEZKY_MALFORMED_JSON"
    line: int
    column: int


class InvalidFlagError(DezkyError, ValueError):
    """A flag document breaks a rule of the flag contract. Has ``flag`` and ``field``."""

    default_code = "DEZKY_INVALID_FLAG"
    flag: str
    field: str


class DuplicateFlagError(DezkyError, ValueError):
    """Two flags share a key. Has ``key``."""

    default_code = "DEZKY_DUPLICATE_FLAG"
    key: str


class InvalidContextError(DezkyError, ValueError):
    """An evaluation context is unusable. Has ``field``."""

    default_code = "DEZKY_INVALID_CONTEXT"
    field: str


class FlagNotFoundError(DezkyError, LookupError):
    """An operation named a flag the set does not hold. Has ``key``."""

    default_code = "DEZKY_FLAG_NOT_FOUND"
    key: str


class InvalidArgumentError(DezkyError, ValueError):
    """An argument is out of its domain. Has ``name`` when known, and ``field``
    (a path such as ``tenant.slug``) for a bad record."""

    default_code = "DEZKY_INVALID_ARGUMENT"
    name: str
    field: str


class ArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument has the wrong Python type, or is missing (code ``DEZKY_INVALID_ARGUMENT``)."""


class FlagSourceError(DezkyError):
    """A flag source (file, HTTP endpoint) could not deliver a flag set. Has ``source``."""

    default_code = "DEZKY_FLAG_SOURCE"
    source: str


class ConfigError(DezkyError, ValueError):
    """A client was configured with an unusable value (a URL that is not http(s),
    or carries credentials). Has ``field``."""

    default_code = "DEZKY_CONFIG"
    field: str


class ZoneParseError(DezkyError, ValueError):
    """A zone file (Stalwart's ``dnsZoneFile``) could not be parsed. Has ``line`` (0 when unknown)."""

    default_code = "DEZKY_ZONE_PARSE"
    line: int


class DnsResolverError(DezkyError):
    """A DNS resolver could not be set up, or a zone's nameservers could not be found."""

    default_code = "DEZKY_DNS_RESOLVER"

class TransportError(DezkyError, ConnectionError):
    """A request to an upstream got no HTTP answer (refused, timeout, TLS).
    Has ``service`` and ``url``."""

    default_code = "DEZKY_TRANSPORT"
    service: str
    url: str


class UpstreamError(DezkyError):
    """An upstream answered with an error status. Has ``service``, ``url``,
    ``status`` and ``request_id`` (``None`` when the upstream sent none)."""

    default_code = "DEZKY_UPSTREAM"
    service: str
    url: str
    status: int
    request_id: str | None


_BY_CODE: dict[str, type[DezkyError]] = {
    cls.default_code: cls
    for cls in (
        MalformedJsonError,
        InvalidFlagError,
        DuplicateFlagError,
        InvalidContextError,
        FlagNotFoundError,
        InvalidArgumentError,
        FlagSourceError,
        ConfigError,
        TransportError,
        UpstreamError,
    )
}


def error_class(code: str) -> type[DezkyError]:
    """The exception class for a code (``DezkyError`` for an unknown one)."""
    return _BY_CODE.get(code, DezkyError)
