//! The one error type of `dezky-clients`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use dezky_flags::contract::{Detail, Details, ErrorContract, argument_of};

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
    /// A webhook's signature was refused (Stripe's `Stripe-Signature`): the
    /// request is not known to come from the upstream, and must be answered
    /// with an error status and not acted on.
    #[error("webhook signature refused: {reason}")]
    WebhookSignature {
        /// Why.
        reason: crate::stripe::SignatureRefusal,
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
    /// Every kind, in the order of their declaration.
    pub const ALL: [UpstreamKind; 10] = [
        UpstreamKind::NotFound,
        UpstreamKind::AlreadyExists,
        UpstreamKind::InUse,
        UpstreamKind::Rejected,
        UpstreamKind::Unauthorized,
        UpstreamKind::Forbidden,
        UpstreamKind::RateLimited,
        UpstreamKind::PaymentFailed,
        UpstreamKind::Unavailable,
        UpstreamKind::Other,
    ];

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
    /// Every code of this type: one per variant, and one per [`UpstreamKind`]
    /// for [`Error::Upstream`].
    pub const CODES: &'static [&'static str] = &[
        "DEZKY_CONFIG",
        "DEZKY_INVALID_ARGUMENT",
        "DEZKY_TRANSPORT",
        "DEZKY_TIMEOUT",
        "DEZKY_NOT_FOUND",
        "DEZKY_ALREADY_EXISTS",
        "DEZKY_IN_USE",
        "DEZKY_UPSTREAM_REJECTED",
        "DEZKY_UPSTREAM_UNAUTHORIZED",
        "DEZKY_UPSTREAM_FORBIDDEN",
        "DEZKY_RATE_LIMITED",
        "DEZKY_PAYMENT_FAILED",
        "DEZKY_UPSTREAM_UNAVAILABLE",
        "DEZKY_UPSTREAM",
        "DEZKY_UPSTREAM_DECODE",
        "DEZKY_SERVICE_LOGIN_REQUIRED",
        "DEZKY_CREDENTIAL_STORE",
        "DEZKY_DNS_RESOLVER",
        "DEZKY_WEBHOOK_SIGNATURE",
    ];

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
            Error::WebhookSignature { .. } => "DEZKY_WEBHOOK_SIGNATURE",
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

fn millis(duration: Duration) -> Detail {
    Detail::from(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

impl ErrorContract for Error {
    fn code(&self) -> &'static str {
        Error::code(self)
    }

    fn details(&self) -> Details {
        match self {
            Error::Config { field, reason } => {
                vec![("field", field.into()), ("reason", reason.into())]
            }
            Error::InvalidInput { field, reason } => vec![
                ("argument", argument_of(field).into()),
                ("field", field.into()),
                ("reason", reason.into()),
            ],
            Error::Transport {
                service,
                method,
                url,
                ..
            } => vec![
                ("service", service.into()),
                ("method", method.into()),
                ("source", url.into()),
            ],
            Error::Timeout {
                service,
                method,
                url,
                after,
            } => vec![
                ("service", service.into()),
                ("method", method.into()),
                ("source", url.into()),
                ("timeout_ms", millis(*after)),
            ],
            Error::Upstream(upstream) => {
                let fields: BTreeMap<String, Vec<String>> = upstream
                    .fields
                    .iter()
                    .map(|f| (f.field.clone(), f.messages.clone()))
                    .collect();
                vec![
                    ("service", (&upstream.service).into()),
                    ("method", (&upstream.method).into()),
                    ("source", (&upstream.url).into()),
                    ("status", upstream.status.into()),
                    ("upstream_code", upstream.upstream_code.as_ref().into()),
                    ("upstream_message", upstream.message.as_ref().into()),
                    ("request_id", upstream.request_id.as_ref().into()),
                    ("retry_after_ms", upstream.retry_after.map(millis).into()),
                    ("fields", fields.into()),
                    ("linked", upstream.linked.as_slice().into()),
                    ("upstream_details", (&upstream.details).into()),
                ]
            }
            Error::Decode { service, url, .. } => {
                vec![("service", service.into()), ("source", url.into())]
            }
            Error::ServiceLoginRequired { service, .. } => vec![("service", service.into())],
            Error::CredentialStore { location, .. } => vec![("source", location.into())],
            Error::Dns { .. } => Vec::new(),
            Error::WebhookSignature { reason } => vec![("reason", reason.to_string().into())],
        }
    }

    fn codes() -> &'static [&'static str] {
        Error::CODES
    }

    fn examples() -> Vec<Self> {
        let url = || String::from("https://auth.example/api/v3/core/groups/");
        let mut examples = vec![
            Error::Config {
                field: "AUTHENTIK_API_URL".into(),
                reason: "must be an http(s) URL".into(),
            },
            Error::invalid("name", "must not be empty"),
            Error::Transport {
                service: "authentik".into(),
                method: "GET".into(),
                url: url(),
                message: "connection refused".into(),
            },
            Error::Timeout {
                service: "authentik".into(),
                method: "GET".into(),
                url: url(),
                after: Duration::from_millis(1500),
            },
            Error::Decode {
                service: "authentik".into(),
                url: url(),
                message: "missing field `pk`".into(),
            },
            Error::ServiceLoginRequired {
                service: "ocis".into(),
                message: "invalid_grant".into(),
            },
            Error::CredentialStore {
                location: "/var/lib/dezky/ocis.json".into(),
                message: "permission denied".into(),
            },
            Error::Dns {
                message: "no nameservers".into(),
            },
            Error::WebhookSignature {
                reason: crate::stripe::SignatureRefusal::NoMatch,
            },
        ];
        for kind in UpstreamKind::ALL {
            let mut upstream = UpstreamError::new(
                kind,
                "stripe",
                "POST",
                "https://api.stripe.com/v1/charges",
                400,
            );
            upstream.upstream_code = Some("card_declined".into());
            upstream.message = Some("Your card was declined.".into());
            upstream.request_id = Some("req_123".into());
            upstream.fields.push(FieldError {
                field: "amount".into(),
                messages: vec!["too small".into()],
            });
            upstream.linked.push("g-1".into());
            upstream
                .details
                .insert("decline_code".into(), "insufficient_funds".into());
            upstream.retry_after = Some(Duration::from_secs(2));
            examples.push(upstream.into());
        }
        examples
    }
}

/// The result type of `dezky-clients`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_and_follows_the_contract() {
        dezky_flags::contract::check_contract::<Error>();
    }

    #[test]
    fn every_upstream_kind_is_in_all() {
        // A new kind fails to compile here until it is added to `ALL`.
        for kind in UpstreamKind::ALL {
            match kind {
                UpstreamKind::NotFound
                | UpstreamKind::AlreadyExists
                | UpstreamKind::InUse
                | UpstreamKind::Rejected
                | UpstreamKind::Unauthorized
                | UpstreamKind::Forbidden
                | UpstreamKind::RateLimited
                | UpstreamKind::PaymentFailed
                | UpstreamKind::Unavailable
                | UpstreamKind::Other => {}
            }
        }
        let distinct: std::collections::BTreeSet<_> =
            UpstreamKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(distinct.len(), UpstreamKind::ALL.len());
    }

    #[test]
    fn upstream_details_keep_every_fact() {
        let mut upstream =
            UpstreamError::new(UpstreamKind::NotFound, "ocis", "GET", "https://o/x", 404);
        upstream.retry_after = Some(Duration::from_millis(1250));
        let details = Error::from(upstream).details();
        let get = |name: &str| {
            details
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("status"), Some(Detail::from(404_u16)));
        assert_eq!(get("source"), Some(Detail::from("https://o/x")));
        assert_eq!(get("upstream_code"), Some(Detail::Absent));
        assert_eq!(get("retry_after_ms"), Some(Detail::from(1250_u64)));
        assert_eq!(get("linked"), Some(Detail::TextList { values: vec![] }));
    }
}
