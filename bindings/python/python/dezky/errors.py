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
    "UpstreamTimeoutError",
    "NotFoundError",
    "AlreadyExistsError",
    "InUseError",
    "UpstreamRejectedError",
    "UpstreamUnauthorizedError",
    "UpstreamForbiddenError",
    "RateLimitedError",
    "PaymentFailedError",
    "UpstreamUnavailableError",
    "UpstreamDecodeError",
    "ServiceLoginRequiredError",
    "CredentialStoreError",
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
    """A request to an upstream got no HTTP answer (refused, reset, TLS).
    Has ``service``, ``method`` and ``url``."""

    default_code = "DEZKY_TRANSPORT"
    service: str
    url: str


class UpstreamTimeoutError(TransportError, TimeoutError):
    """A request (or a wait for an upstream state) ran out of time. Has
    ``service``, ``method``, ``url`` and ``timeout`` (seconds)."""

    default_code = "DEZKY_TIMEOUT"
    method: str
    timeout: float


class UpstreamError(DezkyError):
    """An upstream answered with an error. Base class of the error kinds below,
    which are chosen from the status and the upstream's own error code.

    Attributes: ``service``, ``method``, ``url``, ``status``, ``upstream_code``
    and ``upstream_message`` (what the upstream said, or ``None``),
    ``request_id``, ``retry_after`` (seconds, or ``None``), ``fields``
    (field name → messages), ``linked`` (ids of objects that still use the
    target) and ``upstream_details`` (further facts by the upstream's names,
    such as Stripe's ``decline_code``)."""

    default_code = "DEZKY_UPSTREAM"
    service: str
    method: str
    url: str
    status: int
    upstream_code: str | None
    upstream_message: str | None
    request_id: str | None
    retry_after: float | None
    fields: dict[str, list[str]]
    linked: list[str]
    upstream_details: dict[str, str]


class NotFoundError(UpstreamError, LookupError):
    """The upstream object does not exist."""

    default_code = "DEZKY_NOT_FOUND"


class AlreadyExistsError(UpstreamError):
    """An object with that identity exists already."""

    default_code = "DEZKY_ALREADY_EXISTS"


class InUseError(UpstreamError):
    """The object is still used by others (see ``linked``)."""

    default_code = "DEZKY_IN_USE"


class UpstreamRejectedError(UpstreamError, ValueError):
    """The upstream refused the request's content (see ``fields``)."""

    default_code = "DEZKY_UPSTREAM_REJECTED"


class UpstreamUnauthorizedError(UpstreamError, PermissionError):
    """The upstream refused the credential."""

    default_code = "DEZKY_UPSTREAM_UNAUTHORIZED"


class UpstreamForbiddenError(UpstreamError, PermissionError):
    """The credential lacks the permission."""

    default_code = "DEZKY_UPSTREAM_FORBIDDEN"


class RateLimitedError(UpstreamError):
    """Too many requests, after the allowed retries (see ``retry_after``)."""

    default_code = "DEZKY_RATE_LIMITED"


class PaymentFailedError(UpstreamError):
    """A payment could not be made."""

    default_code = "DEZKY_PAYMENT_FAILED"


class UpstreamUnavailableError(UpstreamError, ConnectionError):
    """The upstream failed or is unavailable (5xx), after the allowed retries."""

    default_code = "DEZKY_UPSTREAM_UNAVAILABLE"


class UpstreamDecodeError(DezkyError, ValueError):
    """The upstream answered, but not in the documented shape. Has ``service``
    and ``url``."""

    default_code = "DEZKY_UPSTREAM_DECODE"
    service: str
    url: str


class ServiceLoginRequiredError(DezkyError):
    """The stored service credential is no longer accepted: a new service login
    is needed. Has ``service``."""

    default_code = "DEZKY_SERVICE_LOGIN_REQUIRED"
    service: str


class CredentialStoreError(DezkyError, OSError):
    """A credential store could not be read or written. Has ``location``."""

    default_code = "DEZKY_CREDENTIAL_STORE"
    location: str


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
        UpstreamTimeoutError,
        UpstreamError,
        NotFoundError,
        AlreadyExistsError,
        InUseError,
        UpstreamRejectedError,
        UpstreamUnauthorizedError,
        UpstreamForbiddenError,
        RateLimitedError,
        PaymentFailedError,
        UpstreamUnavailableError,
        UpstreamDecodeError,
        ServiceLoginRequiredError,
        CredentialStoreError,
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
