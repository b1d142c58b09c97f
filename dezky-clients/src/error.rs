//! The one error type of `dezky-clients`.

use std::fmt;
use std::time::Duration;

/// Everything that can go wrong talking to an upstream. Messages never contain
/// secrets: tokens, passwords and keys are held in [`crate::Secret`] and URLs
/// are shown without query string or credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client was configured with an unusable value.
    #[error("invalid configuration `{field}`: {reason}")]
    Config {
        /// The setting, by its environment-variable or option name.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument was refused before any request was sent (a space name
    /// with a dot, an empty username for a session filter, ...).
    #[error("invalid argument `{field}`: {reason}")]
    InvalidInput {
        /// The argument or field, as named in the API.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request did not get an HTTP answer (connection refused, reset, TLS).
    #[error("{service}: {method} {url} failed: {message}")]
    Transport {
        /// Which upstream.
        service: String,
        /// The HTTP method.
        method: String,
        /// The URL, without query string or credentials.
        url: String,
        /// What happened.
        message: String,
    },
    /// The request (or a wait for an upstream state) ran out of time.
    #[error("{service}: {method} {url} timed out after {} ms", .after.as_millis())]
    Timeout {
        /// Which upstream.
        service: String,
        /// The HTTP method (or `WAIT` for a polled condition).
        method: String,
        /// The URL, without query string or credentials.
        url: String,
        /// How long it waited.
        after: Duration,
    },
    /// The upstream answered with an error (an HTTP error status, or an error
    /// inside a successful answer, as JMAP method errors are).
    #[error("{0}")]
    Upstream(Box<UpstreamError>),
    /// The upstream answered, but not in the documented shape.
    #[error("{service}: unexpected answer from {url}: {message}")]
    Decode {
        /// Which upstream.
        service: String,
        /// The URL, without query string or credentials.
        url: String,
        /// What did not match.
        message: String,
    },
    /// The stored service credential is no longer accepted (an OAuth
    /// `invalid_grant`): a new interactive service login is needed.
    #[error("{service}: service login needed: {message}")]
    ServiceLoginRequired {
        /// Which upstream credential.
        service: String,
        /// Why, as far as the upstream said.
        message: String,
    },
    /// A credential store could not be read or written.
    #[error("credential store {location}: {message}")]
    CredentialStore {
        /// Where the store keeps the credential (a file path).
        location: String,
        /// What happened.
        message: String,
    },
    /// A DNS resolver could not be built, or the zone's nameservers could not be found.
    #[error("DNS: {message}")]
    Dns {
        /// What happened.
        message: String,
    },
}

/// What kind of refusal an upstream error is. Each kind has its own stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UpstreamKind {
    /// The object does not exist (HTTP 404, JMAP `notFound`).
    NotFound,
    /// An object with that identity exists already (409, unique-name 400,
    /// JMAP `primaryKeyViolation`).
    AlreadyExists,
    /// The object is still used by others and cannot be removed (JMAP `objectIsLinked`).
    InUse,
    /// The upstream refused the request's content (400, 422, JMAP `invalidProperties`, ...).
    Rejected,
    /// The credential was refused (401; Authentik answers 403 for a bad token).
    Unauthorized,
    /// The credential is valid but lacks the permission.
    Forbidden,
    /// Too many requests, after the allowed retries.
    RateLimited,
    /// A payment could not be made (Stripe 402).
    PaymentFailed,
    /// The upstream failed or is unavailable (5xx), after the allowed retries.
    Unavailable,
    /// Any other error status.
    Other,
}

impl UpstreamKind {
    /// The kind an HTTP error status means when the body says nothing more precise.
    pub fn from_status(status: u16) -> Self {
        match status {
            401 => UpstreamKind::Unauthorized,
            403 => UpstreamKind::Forbidden,
            404 | 410 => UpstreamKind::NotFound,
            409 => UpstreamKind::AlreadyExists,
            402 => UpstreamKind::PaymentFailed,
            400 | 405 | 412 | 413 | 415 | 422 => UpstreamKind::Rejected,
            429 => UpstreamKind::RateLimited,
            500..=599 => UpstreamKind::Unavailable,
            _ => UpstreamKind::Other,
        }
    }

    /// The stable code of errors of this kind.
    pub fn code(self) -> &'static str {
        match self {
            UpstreamKind::NotFound => "DEZKY_NOT_FOUND",
            UpstreamKind::AlreadyExists => "DEZKY_ALREADY_EXISTS",
            UpstreamKind::InUse => "DEZKY_IN_USE",
            UpstreamKind::Rejected => "DEZKY_UPSTREAM_REJECTED",
            UpstreamKind::Unauthorized => "DEZKY_UPSTREAM_UNAUTHORIZED",
            UpstreamKind::Forbidden => "DEZKY_UPSTREAM_FORBIDDEN",
            UpstreamKind::RateLimited => "DEZKY_RATE_LIMITED",
            UpstreamKind::PaymentFailed => "DEZKY_PAYMENT_FAILED",
            UpstreamKind::Unavailable => "DEZKY_UPSTREAM_UNAVAILABLE",
            UpstreamKind::Other => "DEZKY_UPSTREAM",
        }
    }
}

/// One field the upstream named in a validation error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field (`name`, `non_field_errors`, a JMAP property path, a Stripe `param`).
    pub field: String,
    /// The upstream's messages for it.
    pub messages: Vec<String>,
}

/// An error answer of an upstream, with everything it said that helps: the
/// HTTP status, its own error code and message, the request id, the fields
/// it named and, for "in use", the objects that hold on to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamError {
    /// What kind of refusal this is; decides the stable code.
    pub kind: UpstreamKind,
    /// Which upstream (`authentik`, `ocis`, `stalwart`, `stripe`, ...).
    pub service: String,
    /// The HTTP method.
    pub method: String,
    /// The URL, without query string or credentials.
    pub url: String,
    /// The HTTP status (200 for errors reported inside a successful JMAP answer).
    pub status: u16,
    /// The upstream's own error code (`itemNotFound`, `resource_missing`,
    /// `objectIsLinked`, ...), when it sent one.
    pub upstream_code: Option<String>,
    /// The upstream's message, when it sent one (cut to 500 characters).
    pub message: Option<String>,
    /// The upstream's request id, from a header or the body.
    pub request_id: Option<String>,
    /// The fields a validation error named.
    pub fields: Vec<FieldError>,
    /// Ids of the objects still linked to the target (`InUse`).
    pub linked: Vec<String>,
    /// Further facts the upstream stated, by its own names (Stripe's `type`,
    /// `decline_code`, `advice_code`, `request_log_url`).
    pub details: std::collections::BTreeMap<String, String>,
    /// How long the upstream asked to wait before trying again.
    pub retry_after: Option<Duration>,
}

impl UpstreamError {
    /// An error of `kind` with no detail beyond where it happened.
    pub fn new(
        kind: UpstreamKind,
        service: impl Into<String>,
        method: impl Into<String>,
        url: impl Into<String>,
        status: u16,
    ) -> Self {
        UpstreamError {
            kind,
            service: service.into(),
            method: method.into(),
            url: url.into(),
            status,
            upstream_code: None,
            message: None,
            request_id: None,
            fields: Vec::new(),
            linked: Vec::new(),
            details: std::collections::BTreeMap::new(),
            retry_after: None,
        }
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {} answered HTTP {}",
            self.service, self.method, self.url, self.status
        )?;
        if let Some(code) = &self.upstream_code {
            write!(f, " [{code}]")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        for field in &self.fields {
            write!(f, "; {}: {}", field.field, field.messages.join(" "))?;
        }
        if !self.linked.is_empty() {
            write!(f, "; linked: {}", self.linked.join(", "))?;
        }
        if !self.details.is_empty() {
            let details: Vec<String> = self
                .details
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect();
            write!(f, " [{}]", details.join("; "))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl From<UpstreamError> for Error {
    fn from(error: UpstreamError) -> Self {
        Error::Upstream(Box::new(error))
    }
}

impl Error {
    /// The stable code of this error, shared by every language binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config { .. } => "DEZKY_CONFIG",
            Error::InvalidInput { .. } => "DEZKY_INVALID_ARGUMENT",
            Error::Transport { .. } => "DEZKY_TRANSPORT",
            Error::Timeout { .. } => "DEZKY_TIMEOUT",
            Error::Upstream(error) => error.kind.code(),
            Error::Decode { .. } => "DEZKY_UPSTREAM_DECODE",
            Error::ServiceLoginRequired { .. } => "DEZKY_SERVICE_LOGIN_REQUIRED",
            Error::CredentialStore { .. } => "DEZKY_CREDENTIAL_STORE",
            Error::Dns { .. } => "DEZKY_DNS_RESOLVER",
        }
    }

    /// The upstream's error answer, when this is one.
    pub fn upstream(&self) -> Option<&UpstreamError> {
        match self {
            Error::Upstream(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the upstream said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.upstream()
            .is_some_and(|e| e.kind == UpstreamKind::NotFound)
    }

    /// The HTTP status of an upstream error answer.
    pub fn status(&self) -> Option<u16> {
        self.upstream().map(|e| e.status)
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The result type of `dezky-clients`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
