//! SDK errors raised as the Python-defined hierarchy in `dezky.errors`.
//!
//! Every exception carries the SDK's stable `code` (the same string as the
//! Node binding's `Error.code`) and the structured fields of its variant as
//! attributes (`flag`, `field`, `key`, ...), so callers never parse messages.
//! Three crates' errors cross the boundary: `dezky_flags::Error` (flags and the
//! store), `dezky_core::Error` (tenant records) and `dezky_clients::Error`
//! (the HTTP source). None of their messages contains a secret.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// An error of one of the SDK's crates.
pub(crate) trait SdkError: std::fmt::Display {
    /// The stable code, shared by every language binding.
    fn code(&self) -> &'static str;
    /// Sets the variant's fields on the exception's keyword arguments.
    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()>;
}

impl SdkError for dezky_flags::Error {
    fn code(&self) -> &'static str {
        dezky_flags::Error::code(self)
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        use dezky_flags::Error;
        match self {
            Error::MalformedJson { line, column, .. } => {
                details.set_item("line", line)?;
                details.set_item("column", column)?;
            }
            Error::InvalidFlag { flag, field, .. } => {
                details.set_item("flag", flag)?;
                details.set_item("field", field)?;
            }
            Error::DuplicateKey { key } | Error::FlagNotFound { key } => {
                details.set_item("key", key)?
            }
            Error::InvalidContext { field, .. } => details.set_item("field", field)?,
            Error::InvalidArgument { name, .. } => details.set_item("name", name)?,
            Error::Source { source_name, .. } => details.set_item("source", source_name)?,
            // Non-exhaustive: a new variant still gets its code and message.
            _ => {}
        }
        Ok(())
    }
}

impl SdkError for dezky_core::Error {
    fn code(&self) -> &'static str {
        dezky_core::Error::code(self)
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        match self {
            dezky_core::Error::Invalid { field, .. } => {
                // `field` is a path (`tenant.slug`); `name` the argument it is in.
                let name = field.split(['.', '[']).next().unwrap_or(field);
                details.set_item("name", name)?;
                details.set_item("field", field)?;
            }
            dezky_core::Error::ZoneParse { line, .. } => details.set_item("line", line)?,
            dezky_core::Error::TokenExpired { expired_at } => {
                details.set_item("expired_at", expired_at)?
            }
            dezky_core::Error::TokenUnknownKey { issuer, .. }
            | dezky_core::Error::KeysUnavailable { issuer, .. } => {
                details.set_item("issuer", issuer)?
            }
            // Non-exhaustive: a new variant still gets its code and message.
            _ => {}
        }
        Ok(())
    }
}

impl SdkError for dezky_clients::Error {
    fn code(&self) -> &'static str {
        dezky_clients::Error::code(self)
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        use dezky_clients::Error;
        match self {
            Error::Config { field, .. } => details.set_item("field", field)?,
            Error::InvalidInput { field, .. } => {
                details.set_item("name", field)?;
                details.set_item("field", field)?;
            }
            Error::Transport {
                service,
                method,
                url,
                ..
            } => {
                details.set_item("service", service)?;
                details.set_item("method", method)?;
                details.set_item("url", url)?;
            }
            Error::Timeout {
                service,
                method,
                url,
                after,
            } => {
                details.set_item("service", service)?;
                details.set_item("method", method)?;
                details.set_item("url", url)?;
                details.set_item("timeout", after.as_secs_f64())?;
            }
            Error::Upstream(upstream) => {
                details.set_item("service", &upstream.service)?;
                details.set_item("method", &upstream.method)?;
                details.set_item("url", &upstream.url)?;
                details.set_item("status", upstream.status)?;
                details.set_item("upstream_code", &upstream.upstream_code)?;
                details.set_item("upstream_message", &upstream.message)?;
                details.set_item("request_id", &upstream.request_id)?;
                details.set_item(
                    "retry_after",
                    upstream.retry_after.map(|wait| wait.as_secs_f64()),
                )?;
                let fields = PyDict::new(details.py());
                for field in &upstream.fields {
                    fields.set_item(&field.field, &field.messages)?;
                }
                details.set_item("fields", fields)?;
                details.set_item("linked", &upstream.linked)?;
                let facts = PyDict::new(details.py());
                for (name, value) in &upstream.details {
                    facts.set_item(name, value)?;
                }
                details.set_item("upstream_details", facts)?;
            }
            Error::Decode { service, url, .. } => {
                details.set_item("service", service)?;
                details.set_item("url", url)?;
            }
            Error::ServiceLoginRequired { service, .. } => details.set_item("service", service)?,
            Error::CredentialStore { location, .. } => details.set_item("location", location)?,
            _ => {}
        }
        Ok(())
    }
}

/// The Python class name for a code.
fn class_name(code: &str) -> &'static str {
    match code {
        "DEZKY_MALFORMED_JSON" => "MalformedJsonError",
        "DEZKY_INVALID_FLAG" => "InvalidFlagError",
        "DEZKY_DUPLICATE_FLAG" => "DuplicateFlagError",
        "DEZKY_INVALID_CONTEXT" => "InvalidContextError",
        "DEZKY_FLAG_NOT_FOUND" => "FlagNotFoundError",
        "DEZKY_INVALID_ARGUMENT" => "InvalidArgumentError",
        "DEZKY_FLAG_SOURCE" => "FlagSourceError",
        "DEZKY_CONFIG" => "ConfigError",
        "DEZKY_TRANSPORT" => "TransportError",
        "DEZKY_UPSTREAM" => "UpstreamError",
        "DEZKY_TIMEOUT" => "UpstreamTimeoutError",
        "DEZKY_NOT_FOUND" => "NotFoundError",
        "DEZKY_ALREADY_EXISTS" => "AlreadyExistsError",
        "DEZKY_IN_USE" => "InUseError",
        "DEZKY_UPSTREAM_REJECTED" => "UpstreamRejectedError",
        "DEZKY_UPSTREAM_UNAUTHORIZED" => "UpstreamUnauthorizedError",
        "DEZKY_UPSTREAM_FORBIDDEN" => "UpstreamForbiddenError",
        "DEZKY_RATE_LIMITED" => "RateLimitedError",
        "DEZKY_PAYMENT_FAILED" => "PaymentFailedError",
        "DEZKY_UPSTREAM_UNAVAILABLE" => "UpstreamUnavailableError",
        "DEZKY_UPSTREAM_DECODE" => "UpstreamDecodeError",
        "DEZKY_SERVICE_LOGIN_REQUIRED" => "ServiceLoginRequiredError",
        "DEZKY_CREDENTIAL_STORE" => "CredentialStoreError",
        "DEZKY_ZONE_PARSE" => "ZoneParseError",
        "DEZKY_DNS_RESOLVER" => "DnsResolverError",
        "DEZKY_TOKEN_MALFORMED" => "TokenMalformedError",
        "DEZKY_TOKEN_BAD_SIGNATURE" => "TokenBadSignatureError",
        "DEZKY_TOKEN_EXPIRED" => "TokenExpiredError",
        "DEZKY_TOKEN_NOT_YET_VALID" => "TokenNotYetValidError",
        "DEZKY_TOKEN_UNKNOWN_ISSUER" => "TokenUnknownIssuerError",
        "DEZKY_TOKEN_WRONG_AUDIENCE" => "TokenWrongAudienceError",
        "DEZKY_TOKEN_UNKNOWN_KEY" => "TokenUnknownKeyError",
        "DEZKY_AUTH_CONFIG" => "AuthConfigError",
        "DEZKY_AUTH_KEYS_UNAVAILABLE" => "KeysUnavailableError",
        "DEZKY_FORBIDDEN" => "ForbiddenError",
        _ => "DezkyError",
    }
}

fn build(py: Python<'_>, class: &str, error: &dyn SdkError) -> PyResult<PyErr> {
    let module = ERRORS.get_or_try_init(py, || py.import("dezky.errors").map(Bound::unbind))?;
    let class = module.bind(py).getattr(class)?;
    let details = PyDict::new(py);
    details.set_item("code", error.code())?;
    error.details(&details)?;
    let instance = class.call((error.to_string(),), Some(&details))?;
    Ok(PyErr::from_value(instance))
}

/// Converts an SDK error into the matching `dezky.errors` exception.
pub(crate) fn to_py(py: Python<'_>, error: &impl SdkError) -> PyErr {
    build(py, class_name(error.code()), error).unwrap_or_else(|failure| failure)
}

/// Converts an SDK error, attaching the thread to the interpreter for it.
pub(crate) fn raise(error: impl SdkError) -> PyErr {
    Python::attach(|py| to_py(py, &error))
}

/// `DEZKY_INVALID_ARGUMENT` for a Python value of the wrong type or domain.
pub(crate) fn invalid_argument(name: &str, reason: impl Into<String>) -> PyErr {
    raise(dezky_flags::Error::InvalidArgument {
        name: name.to_owned(),
        reason: reason.into(),
    })
}

/// `DEZKY_INVALID_ARGUMENT` raised as `ArgumentTypeError` (also a `TypeError`)
/// for a Python value of the wrong type.
pub(crate) fn wrong_type(name: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let type_name = got
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    let error = dezky_flags::Error::InvalidArgument {
        name: name.to_owned(),
        reason: format!("must be {expected}, got {type_name}"),
    };
    build(got.py(), "ArgumentTypeError", &error).unwrap_or_else(|failure| failure)
}

/// Extension to map SDK results into Python results.
pub(crate) trait IntoPyResult<T> {
    /// Maps the error into its `dezky.errors` exception.
    fn py(self) -> PyResult<T>;
}

impl<T, E: SdkError> IntoPyResult<T> for Result<T, E> {
    fn py(self) -> PyResult<T> {
        self.map_err(raise)
    }
}
