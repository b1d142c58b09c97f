//! The one error type of the UniFFI bindings.

/// Everything a call into the Dezky bindings can throw: one variant per stable
/// code of [`dezky_flags::Error`], with that variant's fields, and the
/// variants of [`dezky_core::Error`] that the domain rules return
/// ([`Invalid`](DezkyError::Invalid), [`Forbidden`](DezkyError::Forbidden);
/// any other core variant is [`Other`](DezkyError::Other) with its code).
///
/// Kotlin sees `DezkyException.<Variant>`, Swift `DezkyError.<variant>`, Python
/// `DezkyError.<Variant>`. [`code`](DezkyError::code) is the same stable code in
/// every language (`"DEZKY_INVALID_FLAG"`, ...), and the string form is the
/// core's message. No field is called `message`: Kotlin's generated exceptions
/// already define it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum DezkyError {
    /// `DEZKY_MALFORMED_JSON`: not JSON, or not the expected shape at the top level.
    #[error("{detail}")]
    MalformedJson {
        /// 1-based line of the error (0 when unknown).
        line: u64,
        /// 1-based column of the error (0 when unknown).
        column: u64,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_INVALID_FLAG`: a flag document breaks a rule of the flag contract.
    #[error("{detail}")]
    InvalidFlag {
        /// The flag's key, or its position (`#3`) when the key itself is unusable.
        flag: String,
        /// The offending field, as a JSON path relative to the flag (`pct`, `scope.plans[2]`).
        field: String,
        /// What is wrong with it.
        reason: String,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_DUPLICATE_FLAG`: two flags in one set share a key.
    #[error("{detail}")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_INVALID_CONTEXT`: an evaluation context or context list is unusable.
    #[error("{detail}")]
    InvalidContext {
        /// The offending context field (`tenantId`, `[4].plan`).
        field: String,
        /// What is wrong with it.
        reason: String,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_FLAG_NOT_FOUND`: an operation named a flag the set does not hold.
    #[error("{detail}")]
    FlagNotFound {
        /// The key that was asked for.
        key: String,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_INVALID_ARGUMENT`: an argument is out of its domain (an empty actor).
    #[error("{detail}")]
    InvalidArgument {
        /// The argument's name.
        name: String,
        /// What is wrong with it.
        reason: String,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_FLAG_SOURCE`: a flag source could not deliver a flag set.
    #[error("{detail}")]
    Source {
        /// Which source.
        source_name: String,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_INVALID_ARGUMENT` from the domain rules: a record or argument is
    /// unusable (a record that is not a JSON object, a bad id, the wrong partner).
    #[error("{detail}")]
    Invalid {
        /// The offending field (`tenant.id`, `user.tenantIds`, `partner`, `environment`).
        field: String,
        /// What is wrong with it.
        reason: String,
        /// The core's message.
        detail: String,
    },
    /// `DEZKY_FORBIDDEN`: an authorization rule refuses.
    #[error("{detail}")]
    Forbidden {
        /// Which rule refused, in words.
        reason: String,
        /// The core's message.
        detail: String,
    },
    /// Any other code: one added to a core after these bindings were written,
    /// or a `dezky_core::Error` variant without a variant of its own here.
    #[error("{detail}")]
    Other {
        /// The core's stable code.
        error_code: String,
        /// The core's message.
        detail: String,
    },
}

#[uniffi::export]
impl DezkyError {
    /// The stable machine-readable code, the same as [`dezky_flags::Error::code`]
    /// and [`dezky_core::Error::code`].
    pub fn code(&self) -> String {
        match self {
            DezkyError::MalformedJson { .. } => "DEZKY_MALFORMED_JSON".into(),
            DezkyError::InvalidFlag { .. } => "DEZKY_INVALID_FLAG".into(),
            DezkyError::DuplicateKey { .. } => "DEZKY_DUPLICATE_FLAG".into(),
            DezkyError::InvalidContext { .. } => "DEZKY_INVALID_CONTEXT".into(),
            DezkyError::FlagNotFound { .. } => "DEZKY_FLAG_NOT_FOUND".into(),
            DezkyError::InvalidArgument { .. } => "DEZKY_INVALID_ARGUMENT".into(),
            DezkyError::Source { .. } => "DEZKY_FLAG_SOURCE".into(),
            DezkyError::Invalid { .. } => "DEZKY_INVALID_ARGUMENT".into(),
            DezkyError::Forbidden { .. } => "DEZKY_FORBIDDEN".into(),
            DezkyError::Other { error_code, .. } => error_code.clone(),
        }
    }
}

impl From<dezky_flags::Error> for DezkyError {
    fn from(err: dezky_flags::Error) -> Self {
        use dezky_flags::Error as E;
        let detail = err.to_string();
        match err {
            E::MalformedJson { line, column, .. } => DezkyError::MalformedJson {
                line: line as u64,
                column: column as u64,
                detail,
            },
            E::InvalidFlag {
                flag,
                field,
                reason,
            } => DezkyError::InvalidFlag {
                flag,
                field,
                reason,
                detail,
            },
            E::DuplicateKey { key } => DezkyError::DuplicateKey { key, detail },
            E::InvalidContext { field, reason } => DezkyError::InvalidContext {
                field,
                reason,
                detail,
            },
            E::FlagNotFound { key } => DezkyError::FlagNotFound { key, detail },
            E::InvalidArgument { name, reason } => DezkyError::InvalidArgument {
                name,
                reason,
                detail,
            },
            E::Source { source_name, .. } => DezkyError::Source {
                source_name,
                detail,
            },
            other => DezkyError::Other {
                error_code: other.code().into(),
                detail,
            },
        }
    }
}

impl From<dezky_core::Error> for DezkyError {
    fn from(err: dezky_core::Error) -> Self {
        use dezky_core::Error as E;
        let detail = err.to_string();
        match err {
            E::Invalid { field, reason } => DezkyError::Invalid {
                field,
                reason,
                detail,
            },
            E::Forbidden { reason } => DezkyError::Forbidden { reason, detail },
            other => DezkyError::Other {
                error_code: other.code().into(),
                detail,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_keeps_the_core_code() {
        let cases = [
            dezky_flags::FlagSet::from_json("[").map(drop),
            dezky_flags::FlagSet::from_json(r#"[{"key": "A", "state": "on"}]"#).map(drop),
            dezky_flags::FlagSet::from_json(
                r#"[{"key": "a", "state": "on"}, {"key": "a", "state": "on"}]"#,
            )
            .map(drop),
            dezky_flags::EvaluationContext::from_json(r#"{"tenant": "x"}"#).map(drop),
            dezky_flags::FlagSet::default().without_flag("a").map(drop),
            dezky_flags::Change::now(" ").map(drop),
        ];
        for case in cases {
            let Err(core) = case else {
                panic!("expected an error");
            };
            let code = core.code();
            let mapped = DezkyError::from(core.clone());
            assert_eq!(mapped.code(), code);
            assert_eq!(mapped.to_string(), core.to_string());
            assert!(
                !matches!(mapped, DezkyError::Other { .. }),
                "{code} fell through"
            );
        }
    }

    #[test]
    fn core_errors_keep_their_code_and_message() {
        let cases = [
            dezky_core::Error::Invalid {
                field: "tenant.id".into(),
                reason: "bad".into(),
            },
            dezky_core::Error::Forbidden {
                reason: "no".into(),
            },
            dezky_core::Error::AuthConfig {
                reason: "unset".into(),
            },
        ];
        for core in cases {
            let mapped = DezkyError::from(core.clone());
            assert_eq!(mapped.code(), core.code());
            assert_eq!(mapped.to_string(), core.to_string());
        }
        assert!(matches!(
            DezkyError::from(dezky_core::Error::AuthConfig {
                reason: "unset".into()
            }),
            DezkyError::Other { .. }
        ));
    }
}
