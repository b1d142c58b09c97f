//! The one error type of `dezky-clients`.

/// Everything that can go wrong talking to an upstream. Messages never contain secrets.
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
    /// The request did not get an HTTP answer (connection refused, timeout, TLS).
    #[error("{service}: request to {url} failed: {message}")]
    Transport {
        /// Which upstream.
        service: String,
        /// The URL, without credentials.
        url: String,
        /// What happened.
        message: String,
    },
    /// The upstream answered with an error status.
    #[error("{service}: HTTP {status} from {url}{}", request_id.as_ref().map(|id| format!(" (request id {id})")).unwrap_or_default())]
    Upstream {
        /// Which upstream.
        service: String,
        /// The URL, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The upstream's request id, when it sent one.
        request_id: Option<String>,
    },
    /// A DNS resolver could not be built, or the zone's nameservers could not be found.
    #[error("DNS: {message}")]
    Dns {
        /// What happened.
        message: String,
    },
}

impl Error {
    /// The stable code of this error, shared by every language binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config { .. } => "DEZKY_CONFIG",
            Error::Transport { .. } => "DEZKY_TRANSPORT",
            Error::Upstream { .. } => "DEZKY_UPSTREAM",
            Error::Dns { .. } => "DEZKY_DNS_RESOLVER",
        }
    }
}

/// The result type of `dezky-clients`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
