"""The exceptions of the Dezky SDK.

Every exception is a :class:`DezkyError` with a stable ``code`` (the same
string the Node binding puts on ``Error.code``) and the details of the failure
as attributes, under the names the SDK's crates give them (``flag``,
``argument``, ``source``, ...; ``docs/errors.md`` lists them by code). An
absent detail is ``None``. ``except dezky.DezkyError`` catches them all.

The class of each code is chosen from one table, :func:`error_class`.

Deprecated attribute names, kept for 0.1.x: ``key`` (now ``flag``), ``name``
(now ``argument``), ``url`` and ``location`` (now ``source``), ``timeout``
(seconds; now ``timeout_ms``) and ``retry_after`` (seconds; now
``retry_after_ms``). Reading one emits a :class:`DeprecationWarning`.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Generic, TypeVar, overload

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


_T = TypeVar("_T")


class _Deprecated(Generic[_T]):
    """An attribute name of 0.1.0 kept as an alias of its new name. ``scale``
    converts the new value to the old unit (``0.001`` for milliseconds to
    seconds); writing through the alias converts back."""

    def __init__(self, target: str, scale: float | None = None) -> None:
        self.target = target
        self.scale = scale
        self.name = target

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _Deprecated[_T]: ...
    @overload
    def __get__(self, instance: DezkyError, owner: type | None = None) -> _T: ...
    def __get__(self, instance: DezkyError | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        warnings.warn(
            f"{type(instance).__name__}.{self.name} is deprecated, use .{self.target}",
            DeprecationWarning,
            stacklevel=2,
        )
        value = getattr(instance, self.target)
        if self.scale is not None and value is not None:
            return value * self.scale
        return value

    def __set__(self, instance: DezkyError, value: Any) -> None:
        if self.scale is not None and value is not None:
            value = round(value / self.scale)
        setattr(instance, self.target, value)


class MalformedJsonError(DezkyError, ValueError):
    """The input is not valid JSON, or not the expected top-level shape. Has ``line``, ``column``
    (1-based, 0 when unknown)."""

    default_code = "DEZKY_MALFORMED_JSON"
    line: int
    column: int


class InvalidFlagError(DezkyError, ValueError):
    """A flag document breaks a rule of the flag contract. Has ``flag``, ``field`` and ``reason``."""

    default_code = "DEZKY_INVALID_FLAG"
    flag: str
    field: str
    reason: str


class DuplicateFlagError(DezkyError, ValueError):
    """Two flags share a key. Has ``flag`` (the key; ``key`` is its deprecated alias)."""

    default_code = "DEZKY_DUPLICATE_FLAG"
    flag: str
    key = _Deprecated[str]("flag")


class InvalidContextError(DezkyError, ValueError):
    """An evaluation context is unusable. Has ``field`` and ``reason``."""

    default_code = "DEZKY_INVALID_CONTEXT"
    field: str
    reason: str


class FlagNotFoundError(DezkyError, LookupError):
    """An operation named a flag the set does not hold. Has ``flag`` (``key`` is its
    deprecated alias)."""

    default_code = "DEZKY_FLAG_NOT_FOUND"
    flag: str
    key = _Deprecated[str]("flag")


class InvalidArgumentError(DezkyError, ValueError):
    """An argument is out of its domain. Has ``argument`` (the top-level argument;
    ``name`` is its deprecated alias) and ``reason``, and ``field`` (a path such as
    ``tenant.slug``) for a bad record or field."""

    default_code = "DEZKY_INVALID_ARGUMENT"
    argument: str
    field: str
    reason: str
    name = _Deprecated[str]("argument")


class ArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument has the wrong Python type, or is missing (code ``DEZKY_INVALID_ARGUMENT``)."""


class FlagSourceError(DezkyError):
    """A flag source (file, HTTP endpoint) could not deliver a flag set. Has ``source``,
    and ``cause_code`` (the underlying failure's code) and ``status`` (HTTP), or ``None``."""

    default_code = "DEZKY_FLAG_SOURCE"
    source: str
    cause_code: str | None
    status: int | None


class ConfigError(DezkyError, ValueError):
    """A client was configured with an unusable value (a URL that is not http(s),
    or carries credentials). Has ``field`` (the option or environment variable) and ``reason``."""

    default_code = "DEZKY_CONFIG"
    field: str
    reason: str


class ZoneParseError(DezkyError, ValueError):
    """A zone file (Stalwart's ``dnsZoneFile``) could not be parsed. Has ``line`` (0 when unknown)."""

    default_code = "DEZKY_ZONE_PARSE"
    line: int


class DnsResolverError(DezkyError):
    """A DNS resolver could not be set up, or a zone's nameservers could not be found."""

    default_code = "DEZKY_DNS_RESOLVER"

class TransportError(DezkyError, ConnectionError):
    """A request to an upstream got no HTTP answer (refused, reset, TLS).
    Has ``service``, ``method`` and ``source`` (the URL; ``url`` is its deprecated alias)."""

    default_code = "DEZKY_TRANSPORT"
    service: str
    method: str
    source: str
    url = _Deprecated[str]("source")


class UpstreamTimeoutError(TransportError, TimeoutError):
    """A request (or a wait for an upstream state) ran out of time. Has
    ``service``, ``method``, ``source`` and ``timeout_ms`` (``timeout``, in
    seconds, is its deprecated alias)."""

    default_code = "DEZKY_TIMEOUT"
    timeout_ms: int
    timeout = _Deprecated[float]("timeout_ms", 0.001)


class UpstreamError(DezkyError):
    """An upstream answered with an error. Base class of the error kinds below,
    which are chosen from the status and the upstream's own error code.

    Attributes: ``service``, ``method``, ``source`` (the URL), ``status``,
    ``upstream_code`` and ``upstream_message`` (what the upstream said, or
    ``None``), ``request_id``, ``retry_after_ms`` (milliseconds, or ``None``),
    ``fields`` (field name → messages), ``linked`` (ids of objects that still
    use the target) and ``upstream_details`` (further facts by the upstream's
    names, such as Stripe's ``decline_code``). Deprecated aliases: ``url``
    (``source``) and ``retry_after`` (seconds)."""

    default_code = "DEZKY_UPSTREAM"
    service: str
    method: str
    source: str
    status: int
    upstream_code: str | None
    upstream_message: str | None
    request_id: str | None
    retry_after_ms: int | None
    fields: dict[str, list[str]]
    linked: list[str]
    upstream_details: dict[str, str]
    url = _Deprecated[str]("source")
    retry_after = _Deprecated["float | None"]("retry_after_ms", 0.001)


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
    and ``source`` (the URL; ``url`` is its deprecated alias)."""

    default_code = "DEZKY_UPSTREAM_DECODE"
    service: str
    source: str
    url = _Deprecated[str]("source")


class ServiceLoginRequiredError(DezkyError):
    """The stored service credential is no longer accepted: a new service login
    is needed. Has ``service``."""

    default_code = "DEZKY_SERVICE_LOGIN_REQUIRED"
    service: str


class CredentialStoreError(DezkyError, OSError):
    """A credential store could not be read or written. Has ``source`` (its path;
    ``location`` is its deprecated alias)."""

    default_code = "DEZKY_CREDENTIAL_STORE"
    source: str
    location = _Deprecated[str]("source")


class TokenError(DezkyError, ValueError):
    """An access token was refused (answer 401). Base class of the ``Token*Error``
    exceptions; never raised itself. ``reason`` says what is wrong where the
    error has one."""

    default_code = "DEZKY_TOKEN"


class TokenMalformedError(TokenError):
    """The token is not a well-formed JWT (structure, encoding, JSON, required claims, size)."""

    default_code = "DEZKY_TOKEN_MALFORMED"
    reason: str


class TokenBadSignatureError(TokenError):
    """The signature does not verify, or the algorithm is refused (``none``, ``HS*``)."""

    default_code = "DEZKY_TOKEN_BAD_SIGNATURE"
    reason: str


class TokenExpiredError(TokenError):
    """The token has expired. Has ``expired_at`` (its ``exp``, seconds since the epoch)."""

    default_code = "DEZKY_TOKEN_EXPIRED"
    expired_at: int


class TokenNotYetValidError(TokenError):
    """The token's ``nbf`` or ``iat`` is in the future."""

    default_code = "DEZKY_TOKEN_NOT_YET_VALID"
    reason: str


class TokenUnknownIssuerError(TokenError):
    """The token names an issuer that is not configured. Has ``issuer`` (quoted and shortened)."""

    default_code = "DEZKY_TOKEN_UNKNOWN_ISSUER"
    issuer: str


class TokenWrongAudienceError(TokenError):
    """The token is for no audience configured for its issuer. Has ``audience`` (quoted and
    shortened)."""

    default_code = "DEZKY_TOKEN_WRONG_AUDIENCE"
    audience: str


class TokenUnknownKeyError(TokenError):
    """The token names no key, or a key its issuer does not publish. Has ``issuer`` and
    ``kid`` (``None`` when the token names none)."""

    default_code = "DEZKY_TOKEN_UNKNOWN_KEY"
    issuer: str
    kid: str | None


class AuthConfigError(DezkyError, ValueError):
    """Token verification is configured in a way that cannot work (issuer and
    audience lists that do not pair up, an issuer without signing keys, ...)."""

    default_code = "DEZKY_AUTH_CONFIG"
    reason: str


class KeysUnavailableError(DezkyError, ConnectionError):
    """An issuer's signing keys could not be fetched (answer 503, not 401). Has ``issuer`` and
    ``reason``."""

    default_code = "DEZKY_AUTH_KEYS_UNAVAILABLE"
    issuer: str
    reason: str


class ForbiddenError(DezkyError, PermissionError):
    """An authorization rule refused (answer 403). Has ``reason``."""

    default_code = "DEZKY_FORBIDDEN"
    reason: str


# The one table from code to class. Every code of the SDK's crates must be here
# (tests/test_error_contract.py checks it against the native ERROR_CODES).
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
        ZoneParseError,
        DnsResolverError,
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
