//! The one error type of `dezky-core`.

/// Everything that can go wrong in the domain logic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record or argument is unusable.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A zone file (Stalwart's `dnsZoneFile`) could not be parsed.
    #[error("zone file, line {line}: {message}")]
    ZoneParse {
        /// The 1-based line, 0 when unknown.
        line: usize,
        /// What the scanner reported.
        message: String,
    },
}

impl Error {
    /// The stable code of this error, shared by every language binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "DEZKY_INVALID_ARGUMENT",
            Error::ZoneParse { .. } => "DEZKY_ZONE_PARSE",
        }
    }
}

/// The result type of `dezky-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
