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
    "AuthConfigError",
    "ForbiddenError",
    "KeysUnavailableError",
    "TokenBadSignatureError",
    "TokenError",
    "TokenExpiredError",
    "TokenMalformedError",
    "TokenNotYetValidError",
    "TokenUnknownIssuerError",
    "TokenUnknownKeyError",
    "TokenWrongAudienceError",
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


class TokenError(DezkyError, ValueError):
    """An access token was refused (answer 401). Base class of the ``Token*Error``
    exceptions; never raised itself."""

    default_code = "DEZKY_TOKEN"


class TokenMalformedError(TokenError):
    """The token is not a well-formed JWT (structure, encoding, JSON, required claims, size)."""

    default_code = "DEZKY_TOKEN_MALFORMED"


class TokenBadSignatureError(TokenError):
    """The signature does not verify, or the algorithm is refused (``none``, ``HS*``)."""

    default_code = "DEZKY_TOKEN_BAD_SIGNATURE"


class TokenExpiredError(TokenError):
    """The token has expired. Has ``expired_at`` (its ``exp``, seconds since the epoch)."""

    default_code = "DEZKY_TOKEN_EXPIRED"
    expired_at: int


class TokenNotYetValidError(TokenError):
    """The token's ``nbf`` or ``iat`` is in the future."""

    default_code = "DEZKY_TOKEN_NOT_YET_VALID"


class TokenUnknownIssuerError(TokenError):
    """The token names an issuer that is not configured."""

    default_code = "DEZKY_TOKEN_UNKNOWN_ISSUER"


class TokenWrongAudienceError(TokenError):
    """The token is for no audience configured for its issuer."""

    default_code = "DEZKY_TOKEN_WRONG_AUDIENCE"


class TokenUnknownKeyError(TokenError):
    """The token names no key, or a key its issuer does not publish. Has ``issuer``."""

    default_code = "DEZKY_TOKEN_UNKNOWN_KEY"
    issuer: str


class AuthConfigError(DezkyError, ValueError):
    """Token verification is configured in a way that cannot work (issuer and
    audience lists that do not pair up, an issuer without signing keys, ...)."""

    default_code = "DEZKY_AUTH_CONFIG"


class KeysUnavailableError(DezkyError, ConnectionError):
    """An issuer's signing keys could not be fetched (answer 503, not 401). Has ``issuer``."""

    default_code = "DEZKY_AUTH_KEYS_UNAVAILABLE"
    issuer: str


class ForbiddenError(DezkyError, PermissionError):
    """An authorization rule refused (answer 403)."""

    default_code = "DEZKY_FORBIDDEN"


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
        TokenMalformedError,
        TokenBadSignatureError,
        TokenExpiredError,
        TokenNotYetValidError,
        TokenUnknownIssuerError,
        TokenWrongAudienceError,
        TokenUnknownKeyError,
        AuthConfigError,
        KeysUnavailableError,
        ForbiddenError,
    )
}


def error_class(code: str) -> type[DezkyError]:
    """The exception class for a code (``DezkyError`` for an unknown one)."""
    return _BY_CODE.get(code, DezkyError)
