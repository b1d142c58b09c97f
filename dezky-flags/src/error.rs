//! The one error type of `dezky-flags`.

use crate::contract::{Detail, Details, ErrorContract};

/// Everything that can go wrong in `dezky-flags`.
///
/// Each variant has a stable machine-readable [`code`](Error::code) that the
/// language bindings expose unchanged (as a JS `Error.code`, a Python exception
/// attribute, a UniFFI error variant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid JSON, or not the JSON shape expected at the top level.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// 1-based column of the error (0 when unknown).
        column: usize,
        /// What the parser found wrong.
        message: String,
    },
    /// A flag document breaks a rule of the flag contract.
    #[error("invalid flag {flag}: field `{field}`: {reason}")]
    InvalidFlag {
        /// The flag's key, or its position (`#3`) when the key itself is unusable.
        flag: String,
        /// The offending field, as a JSON path relative to the flag (`pct`, `scope.plans[2]`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two flags in one set share a key.
    #[error("duplicate flag key {key:?} in one flag set")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// An evaluation context or tenant list is unusable.
    #[error("invalid context: field `{field}`: {reason}")]
    InvalidContext {
        /// The offending context field (`tenantId`, `[4].plan`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An operation named a flag the set does not hold.
    #[error("flag {key:?} not found")]
    FlagNotFound {
        /// The key that was asked for.
        key: String,
    },
    /// An argument of an operation is out of its domain (an empty actor, a zero interval).
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A flag source (file, HTTP endpoint) could not deliver a flag set.
    #[error("flag source {source_name} failed: {message}")]
    Source {
        /// Which source, for example a file path or a URL without credentials or query.
        source_name: String,
        /// What happened.
        message: String,
        /// The stable code of the underlying failure, when the source has one
        /// (`DEZKY_TRANSPORT`, `DEZKY_UPSTREAM` from an HTTP source).
        cause: Option<String>,
        /// The HTTP status the source answered with, if any.
        status: Option<u16>,
    },
}

impl Error {
    /// Every code of this type, one per variant.
    pub const CODES: &'static [&'static str] = &[
        "DEZKY_MALFORMED_JSON",
        "DEZKY_INVALID_FLAG",
        "DEZKY_DUPLICATE_FLAG",
        "DEZKY_INVALID_CONTEXT",
        "DEZKY_FLAG_NOT_FOUND",
        "DEZKY_INVALID_ARGUMENT",
        "DEZKY_FLAG_SOURCE",
    ];

    /// The stable code of this error, shared by every language binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MalformedJson { .. } => "DEZKY_MALFORMED_JSON",
            Error::InvalidFlag { .. } => "DEZKY_INVALID_FLAG",
            Error::DuplicateKey { .. } => "DEZKY_DUPLICATE_FLAG",
            Error::InvalidContext { .. } => "DEZKY_INVALID_CONTEXT",
            Error::FlagNotFound { .. } => "DEZKY_FLAG_NOT_FOUND",
            Error::InvalidArgument { .. } => "DEZKY_INVALID_ARGUMENT",
            Error::Source { .. } => "DEZKY_FLAG_SOURCE",
        }
    }

    pub(crate) fn invalid_flag(
        flag: impl Into<String>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidFlag {
            flag: flag.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_argument(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name: name.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn from_json(err: &serde_json::Error) -> Self {
        // serde_json appends " at line L column C" to its Display; keep the bare message.
        let text = err.to_string();
        let message = match text.rfind(" at line ") {
            Some(pos) if err.line() > 0 => text[..pos].to_owned(),
            _ => text,
        };
        Error::MalformedJson {
            line: err.line(),
            column: err.column(),
            message,
        }
    }
}

impl ErrorContract for Error {
    fn code(&self) -> &'static str {
        Error::code(self)
    }

    fn details(&self) -> Details {
        match self {
            Error::MalformedJson { line, column, .. } => {
                vec![
                    ("line", Detail::from(*line)),
                    ("column", Detail::from(*column)),
                ]
            }
            Error::InvalidFlag {
                flag,
                field,
                reason,
            } => vec![
                ("flag", flag.into()),
                ("field", field.into()),
                ("reason", reason.into()),
            ],
            Error::DuplicateKey { key } | Error::FlagNotFound { key } => vec![("flag", key.into())],
            Error::InvalidContext { field, reason } => {
                vec![("field", field.into()), ("reason", reason.into())]
            }
            Error::InvalidArgument { name, reason } => {
                vec![("argument", name.into()), ("reason", reason.into())]
            }
            Error::Source {
                source_name,
                cause,
                status,
                ..
            } => vec![
                ("source", source_name.into()),
                ("cause_code", cause.as_ref().into()),
                ("status", (*status).into()),
            ],
        }
    }

    fn codes() -> &'static [&'static str] {
        Error::CODES
    }

    fn examples() -> Vec<Self> {
        vec![
            Error::MalformedJson {
                line: 1,
                column: 2,
                message: "expected value".into(),
            },
            Error::invalid_flag("a", "pct", "must be 0-100"),
            Error::DuplicateKey { key: "a".into() },
            Error::InvalidContext {
                field: "tenantId".into(),
                reason: "must be a string".into(),
            },
            Error::FlagNotFound { key: "a".into() },
            Error::invalid_argument("actor", "must not be blank"),
            Error::Source {
                source_name: "https://cp.example/flags".into(),
                message: "HTTP 502".into(),
                cause: Some("DEZKY_UPSTREAM_UNAVAILABLE".into()),
                status: Some(502),
            },
        ]
    }
}

/// The result type of `dezky-flags`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_and_follows_the_contract() {
        crate::contract::check_contract::<Error>();
    }

    #[test]
    fn details_name_the_facts() {
        let error = Error::FlagNotFound { key: "a".into() };
        assert_eq!(
            ErrorContract::details(&error),
            vec![("flag", Detail::from("a"))]
        );
        let source = Error::Source {
            source_name: "flags.json".into(),
            message: "gone".into(),
            cause: None,
            status: None,
        };
        assert_eq!(
            source.details(),
            vec![
                ("source", Detail::from("flags.json")),
                ("cause_code", Detail::Absent),
                ("status", Detail::Absent),
            ]
        );
    }
}
