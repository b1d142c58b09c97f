//! The one error type of `dezky-core`.

use dezky_flags::contract::{Detail, Details, ErrorContract, argument_of};

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
    /// An access token is not a well-formed JWT (structure, encoding, JSON, required claims, size).
    #[error("malformed token: {reason}")]
    TokenMalformed {
        /// What is wrong.
        reason: String,
    },
    /// An access token's signature does not verify, or its algorithm is not accepted.
    #[error("bad token signature: {reason}")]
    TokenBadSignature {
        /// What is wrong.
        reason: String,
    },
    /// An access token has expired.
    #[error("token expired at {expired_at} (seconds since the epoch)")]
    TokenExpired {
        /// Its `exp`.
        expired_at: u64,
    },
    /// An access token is not valid yet (`nbf` or `iat` in the future).
    #[error("token not yet valid: {reason}")]
    TokenNotYetValid {
        /// What is in the future.
        reason: String,
    },
    /// An access token names an issuer that is not configured.
    #[error("unknown token issuer {issuer}")]
    TokenUnknownIssuer {
        /// The token's `iss`, quoted and shortened.
        issuer: String,
    },
    /// An access token is not for any audience configured for its issuer.
    #[error("wrong token audience: {audience}")]
    TokenWrongAudience {
        /// The token's `aud`, quoted and shortened.
        audience: String,
    },
    /// An access token names no key, or a key its issuer does not publish.
    #[error("unknown token key {} of issuer {issuer}", kid.as_deref().unwrap_or("(no kid)"))]
    TokenUnknownKey {
        /// The issuer.
        issuer: String,
        /// The token's `kid`, quoted and shortened; `None` when it has none.
        kid: Option<String>,
    },
    /// Token verification is configured in a way that cannot work (bad issuer list, an issuer
    /// without signing keys, ...).
    #[error("token verification configuration: {reason}")]
    AuthConfig {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An issuer's signing keys could not be fetched.
    #[error("signing keys of issuer {issuer} unavailable: {reason}")]
    KeysUnavailable {
        /// The issuer.
        issuer: String,
        /// What happened.
        reason: String,
    },
    /// A tenant lifecycle action that its current status does not allow
    /// (resuming an active tenant, suspending a deleted one).
    #[error("cannot {action} a tenant that is {from_status}")]
    IllegalTransition {
        /// The tenant's status.
        from_status: String,
        /// The refused action (`suspend`, `resume`, `delete`, `activate`, `deprovision`).
        action: String,
    },
    /// A tenant document changed since it was read: the write was not made.
    /// Read it again and retry (another worker's write won).
    #[error("tenant {tenant} changed since it was read (expected version {})", expected_version.map_or("none".to_owned(), |v| v.to_string()))]
    VersionConflict {
        /// The tenant's ObjectId.
        tenant: String,
        /// The version (`__v`) the write expected; `None` for a document without one.
        expected_version: Option<u64>,
    },
    /// The tenant is suspended or deleted: its members are refused until an
    /// operator resumes it (operators and platform admins still pass).
    #[error("tenant {slug} is {from_status}")]
    TenantInactive {
        /// The tenant's ObjectId.
        tenant: String,
        /// The tenant's slug.
        slug: String,
        /// Its status (`suspended` or `deleted`).
        from_status: String,
    },
    /// The actor may not do this.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Which rule refused, in words.
        reason: String,
    },
}

impl Error {
    /// Every code of this type, one per variant.
    pub const CODES: &'static [&'static str] = &[
        "DEZKY_INVALID_ARGUMENT",
        "DEZKY_ZONE_PARSE",
        "DEZKY_TOKEN_MALFORMED",
        "DEZKY_TOKEN_BAD_SIGNATURE",
        "DEZKY_TOKEN_EXPIRED",
        "DEZKY_TOKEN_NOT_YET_VALID",
        "DEZKY_TOKEN_UNKNOWN_ISSUER",
        "DEZKY_TOKEN_WRONG_AUDIENCE",
        "DEZKY_TOKEN_UNKNOWN_KEY",
        "DEZKY_AUTH_CONFIG",
        "DEZKY_AUTH_KEYS_UNAVAILABLE",
        "DEZKY_ILLEGAL_TRANSITION",
        "DEZKY_VERSION_CONFLICT",
        "DEZKY_TENANT_INACTIVE",
        "DEZKY_FORBIDDEN",
    ];

    /// The stable code of this error, shared by every language binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "DEZKY_INVALID_ARGUMENT",
            Error::ZoneParse { .. } => "DEZKY_ZONE_PARSE",
            Error::TokenMalformed { .. } => "DEZKY_TOKEN_MALFORMED",
            Error::TokenBadSignature { .. } => "DEZKY_TOKEN_BAD_SIGNATURE",
            Error::TokenExpired { .. } => "DEZKY_TOKEN_EXPIRED",
            Error::TokenNotYetValid { .. } => "DEZKY_TOKEN_NOT_YET_VALID",
            Error::TokenUnknownIssuer { .. } => "DEZKY_TOKEN_UNKNOWN_ISSUER",
            Error::TokenWrongAudience { .. } => "DEZKY_TOKEN_WRONG_AUDIENCE",
            Error::TokenUnknownKey { .. } => "DEZKY_TOKEN_UNKNOWN_KEY",
            Error::AuthConfig { .. } => "DEZKY_AUTH_CONFIG",
            Error::KeysUnavailable { .. } => "DEZKY_AUTH_KEYS_UNAVAILABLE",
            Error::IllegalTransition { .. } => "DEZKY_ILLEGAL_TRANSITION",
            Error::VersionConflict { .. } => "DEZKY_VERSION_CONFLICT",
            Error::TenantInactive { .. } => "DEZKY_TENANT_INACTIVE",
            Error::Forbidden { .. } => "DEZKY_FORBIDDEN",
        }
    }
}

impl ErrorContract for Error {
    fn code(&self) -> &'static str {
        Error::code(self)
    }

    fn details(&self) -> Details {
        match self {
            Error::Invalid { field, reason } => {
                vec![
                    ("argument", argument_of(field).into()),
                    ("field", field.into()),
                    ("reason", reason.into()),
                ]
            }
            Error::ZoneParse { line, .. } => vec![("line", Detail::from(*line))],
            Error::TokenMalformed { reason }
            | Error::TokenBadSignature { reason }
            | Error::TokenNotYetValid { reason }
            | Error::AuthConfig { reason }
            | Error::Forbidden { reason } => vec![("reason", reason.into())],
            Error::TokenExpired { expired_at } => vec![("expired_at", Detail::from(*expired_at))],
            Error::TokenUnknownIssuer { issuer } => vec![("issuer", issuer.into())],
            Error::TokenWrongAudience { audience } => vec![("audience", audience.into())],
            Error::TokenUnknownKey { issuer, kid } => {
                vec![("issuer", issuer.into()), ("kid", kid.as_ref().into())]
            }
            Error::KeysUnavailable { issuer, reason } => {
                vec![("issuer", issuer.into()), ("reason", reason.into())]
            }
            Error::IllegalTransition {
                from_status,
                action,
            } => vec![
                ("from_status", from_status.into()),
                ("action", action.into()),
            ],
            Error::TenantInactive {
                tenant,
                slug,
                from_status,
            } => vec![
                ("tenant", tenant.into()),
                ("slug", slug.into()),
                ("from_status", from_status.into()),
            ],
            Error::VersionConflict {
                tenant,
                expected_version,
            } => vec![
                ("tenant", tenant.into()),
                (
                    "expected_version",
                    expected_version.map(|v| v.into()).unwrap_or(Detail::Absent),
                ),
            ],
        }
    }

    fn codes() -> &'static [&'static str] {
        Error::CODES
    }

    fn examples() -> Vec<Self> {
        let reason = || String::from("example");
        let issuer = || String::from("\"https://id.example\"");
        vec![
            Error::Invalid {
                field: "tenant.slug".into(),
                reason: reason(),
            },
            Error::ZoneParse {
                line: 3,
                message: "unexpected token".into(),
            },
            Error::TokenMalformed { reason: reason() },
            Error::TokenBadSignature { reason: reason() },
            Error::TokenExpired {
                expired_at: 1_700_000_000,
            },
            Error::TokenNotYetValid { reason: reason() },
            Error::TokenUnknownIssuer { issuer: issuer() },
            Error::TokenWrongAudience {
                audience: "\"portal\"".into(),
            },
            Error::TokenUnknownKey {
                issuer: issuer(),
                kid: Some("\"k1\"".into()),
            },
            Error::AuthConfig { reason: reason() },
            Error::KeysUnavailable {
                issuer: issuer(),
                reason: reason(),
            },
            Error::IllegalTransition {
                from_status: "deleted".into(),
                action: "resume".into(),
            },
            Error::VersionConflict {
                tenant: "6650f1c2a9b4e3d2c1b0a998".into(),
                expected_version: Some(3),
            },
            Error::TenantInactive {
                tenant: "6650f1c2a9b4e3d2c1b0a998".into(),
                slug: "acme".into(),
                from_status: "suspended".into(),
            },
            Error::Forbidden { reason: reason() },
        ]
    }
}

/// The result type of `dezky-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_and_follows_the_contract() {
        dezky_flags::contract::check_contract::<Error>();
    }

    #[test]
    fn an_invalid_field_names_its_argument() {
        let error = Error::Invalid {
            field: "user.tenantIds[2]".into(),
            reason: "bad".into(),
        };
        let details = error.details();
        assert_eq!(details[0], ("argument", Detail::from("user")));
        assert_eq!(details[1], ("field", Detail::from("user.tenantIds[2]")));
    }
}
