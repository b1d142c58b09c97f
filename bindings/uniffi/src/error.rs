//! The one error type of the UniFFI bindings, converted generically from the
//! error contract of the core crates ([`dezky_flags::contract`]).

use std::collections::HashMap;
use std::fmt;

use dezky_flags::contract::{Detail, ErrorContract};

/// The value of one entry of [`DezkyError`]'s `details`: the core's
/// [`Detail`], with maps as the FFI's (unordered) maps.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ErrorDetail {
    /// A string.
    Text {
        /// The string.
        value: String,
    },
    /// A whole number.
    Integer {
        /// The number.
        value: i64,
    },
    /// A list of strings.
    TextList {
        /// The strings, in order.
        values: Vec<String>,
    },
    /// Strings by name.
    TextMap {
        /// The strings, by name.
        entries: HashMap<String, String>,
    },
    /// Lists of strings by name.
    TextListMap {
        /// The lists, by name.
        entries: HashMap<String, Vec<String>>,
    },
}

/// The details of an error by their contract names (`flag`, `field`, `line`,
/// ...; snake_case, as `docs/errors.md` lists them). Absent details are left out.
pub type ErrorDetails = HashMap<String, ErrorDetail>;

/// Declares [`DezkyError`] once. Each variant names its stable code (a variant
/// with `when "name"` takes the code only when that detail is present) and its
/// typed fields, each with the contract detail it is read from; every variant
/// also gets `detail` (the message) and `details` (every detail). Emits the
/// enum, [`DezkyError::code`], `Display` and the generic conversion from the
/// contract ([`from_contract`]), whose last resort is `Other`.
macro_rules! dezky_error {
    (
        $(#[$meta:meta])*
        pub enum DezkyError {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $code:literal $(when $present:literal)? {
                    $( $(#[$field_meta:meta])* $field:ident: $ty:ty = $read:ident($name:literal), )*
                },
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        #[uniffi::export(Display)]
        pub enum DezkyError {
            $(
                $(#[$variant_meta])*
                $variant {
                    $( $(#[$field_meta])* $field: $ty, )*
                    /// The core's message.
                    detail: String,
                    /// Every detail, by its contract name.
                    details: ErrorDetails,
                },
            )*
            /// Any other code: one without a variant of its own here (the token and
            /// DNS errors of `dezky-core`), or one added to a core later.
            Other {
                /// The core's stable code.
                error_code: String,
                /// The core's message.
                detail: String,
                /// Every detail, by its contract name.
                details: ErrorDetails,
            },
        }

        impl fmt::Display for DezkyError {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( DezkyError::$variant { detail, .. } )|*
                    | DezkyError::Other { detail, .. } => f.write_str(detail),
                }
            }
        }

        #[uniffi::export]
        impl DezkyError {
            /// The stable machine-readable code, the same as [`dezky_flags::Error::code`]
            /// and [`dezky_core::Error::code`].
            pub fn code(&self) -> String {
                match self {
                    $( DezkyError::$variant { .. } => $code.into(), )*
                    DezkyError::Other { error_code, .. } => error_code.clone(),
                }
            }
        }

        /// Converts any error of the contract: the variant is chosen by the code
        /// (and the details present), its typed fields are read from the details
        /// by their contract names.
        fn from_contract(error: &impl ErrorContract) -> DezkyError {
            let facts = error.details();
            let detail = error.message();
            let details = details_map(&facts);
            match error.code() {
                $(
                    $code $(if find(&facts, $present).is_some())? => DezkyError::$variant {
                        $( $field: $read(&facts, $name), )*
                        detail,
                        details,
                    },
                )*
                code => DezkyError::Other {
                    error_code: code.to_owned(),
                    detail,
                    details,
                },
            }
        }
    };
}

dezky_error! {
    /// Everything a call into the Dezky bindings can throw: one variant per stable
    /// code of [`dezky_flags::Error`], the variants of [`dezky_core::Error`] that
    /// the domain rules and the tenant lifecycle return
    /// ([`Invalid`](DezkyError::Invalid), [`Forbidden`](DezkyError::Forbidden),
    /// [`IllegalTransition`](DezkyError::IllegalTransition),
    /// [`VersionConflict`](DezkyError::VersionConflict),
    /// [`TenantInactive`](DezkyError::TenantInactive)), and
    /// [`Other`](DezkyError::Other) with its code for the rest.
    ///
    /// Kotlin sees `DezkyException.<Variant>`, Swift `DezkyError.<variant>`, Python
    /// `DezkyError.<Variant>`. [`code`](DezkyError::code) is the same stable code in
    /// every language (`"DEZKY_INVALID_FLAG"`, ...), and the string form is the
    /// core's message. Every variant carries `details`, every detail of the core
    /// error by its contract name; the typed fields repeat the ones each variant is
    /// known for. `detail` is the message (no field is called `message`: Kotlin's
    /// generated exceptions already define it).
    ///
    /// Deprecated fields, kept for 0.1.x: `key` (now `flag`), `name` (now
    /// `argument`) and `source_name` (now `source`).
    pub enum DezkyError {
        /// `DEZKY_MALFORMED_JSON`: not JSON, or not the expected shape at the top level.
        MalformedJson = "DEZKY_MALFORMED_JSON" {
            /// 1-based line of the error (0 when unknown).
            line: u64 = number("line"),
            /// 1-based column of the error (0 when unknown).
            column: u64 = number("column"),
        },
        /// `DEZKY_INVALID_FLAG`: a flag document breaks a rule of the flag contract.
        InvalidFlag = "DEZKY_INVALID_FLAG" {
            /// The flag's key, or its position (`#3`) when the key itself is unusable.
            flag: String = text("flag"),
            /// The offending field, as a JSON path relative to the flag (`pct`, `scope.plans[2]`).
            field: String = text("field"),
            /// What is wrong with it.
            reason: String = text("reason"),
        },
        /// `DEZKY_DUPLICATE_FLAG`: two flags in one set share a key.
        DuplicateKey = "DEZKY_DUPLICATE_FLAG" {
            /// The repeated key.
            flag: String = text("flag"),
            /// Deprecated: the same as `flag`.
            key: String = text("flag"),
        },
        /// `DEZKY_INVALID_CONTEXT`: an evaluation context or context list is unusable.
        InvalidContext = "DEZKY_INVALID_CONTEXT" {
            /// The offending context field (`tenantId`, `[4].plan`).
            field: String = text("field"),
            /// What is wrong with it.
            reason: String = text("reason"),
        },
        /// `DEZKY_FLAG_NOT_FOUND`: an operation named a flag the set does not hold.
        FlagNotFound = "DEZKY_FLAG_NOT_FOUND" {
            /// The key that was asked for.
            flag: String = text("flag"),
            /// Deprecated: the same as `flag`.
            key: String = text("flag"),
        },
        /// `DEZKY_INVALID_ARGUMENT` for a field: a record or argument is unusable
        /// (a record that is not a JSON object, a bad id, the wrong partner).
        Invalid = "DEZKY_INVALID_ARGUMENT" when "field" {
            /// The top-level argument the field is in (`tenant` for `tenant.id`).
            argument: String = text("argument"),
            /// The offending field (`tenant.id`, `user.tenantIds`, `partner`, `environment`).
            field: String = text("field"),
            /// What is wrong with it.
            reason: String = text("reason"),
        },
        /// `DEZKY_INVALID_ARGUMENT`: an argument is out of its domain (an empty actor).
        InvalidArgument = "DEZKY_INVALID_ARGUMENT" {
            /// The argument's name.
            argument: String = text("argument"),
            /// Deprecated: the same as `argument`.
            name: String = text("argument"),
            /// What is wrong with it.
            reason: String = text("reason"),
        },
        /// `DEZKY_FLAG_SOURCE`: a flag source could not deliver a flag set.
        Source = "DEZKY_FLAG_SOURCE" {
            /// Which source (a file path, a URL without query string).
            source: String = text("source"),
            /// Deprecated: the same as `source`.
            source_name: String = text("source"),
        },
        /// `DEZKY_FORBIDDEN`: an authorization rule refuses.
        Forbidden = "DEZKY_FORBIDDEN" {
            /// Which rule refused, in words.
            reason: String = text("reason"),
        },
        /// `DEZKY_ILLEGAL_TRANSITION`: a tenant lifecycle action its status does not allow.
        IllegalTransition = "DEZKY_ILLEGAL_TRANSITION" {
            /// The tenant's status (`pending`, `active`, `suspended`, `deleted`).
            from_status: String = text("from_status"),
            /// The refused action (`activate`, `suspend`, `resume`, `delete`, `deprovision`).
            action: String = text("action"),
        },
        /// `DEZKY_VERSION_CONFLICT`: a tenant document changed since it was read;
        /// the write was not made. Read it again and retry.
        VersionConflict = "DEZKY_VERSION_CONFLICT" {
            /// The tenant's ObjectId.
            tenant: String = text("tenant"),
            /// The version (`__v`) the write expected; `None` for a document without one.
            expected_version: Option<u64> = optional_number("expected_version"),
        },
        /// `DEZKY_TENANT_INACTIVE`: the tenant is suspended or deleted, so its
        /// members are refused (platform admins still pass).
        TenantInactive = "DEZKY_TENANT_INACTIVE" {
            /// The tenant's ObjectId.
            tenant: String = text("tenant"),
            /// The tenant's slug.
            slug: String = text("slug"),
            /// Its status (`suspended` or `deleted`).
            from_status: String = text("from_status"),
        },
    }
}

impl std::error::Error for DezkyError {}

/// The detail `name`, if the error has it.
fn find<'a>(facts: &'a [(&'static str, Detail)], name: &str) -> Option<&'a Detail> {
    facts
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// The text detail `name`, or `""`.
fn text(facts: &[(&'static str, Detail)], name: &str) -> String {
    find(facts, name)
        .and_then(Detail::as_text)
        .unwrap_or_default()
        .to_owned()
}

/// The non-negative integer detail `name`, or `None` when absent.
fn optional_number(facts: &[(&'static str, Detail)], name: &str) -> Option<u64> {
    find(facts, name)
        .and_then(Detail::as_integer)
        .and_then(|n| u64::try_from(n).ok())
}

/// The non-negative integer detail `name`, or 0.
fn number(facts: &[(&'static str, Detail)], name: &str) -> u64 {
    find(facts, name)
        .and_then(Detail::as_integer)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

/// The core's details as the FFI's map, absent ones left out.
fn details_map(details: &[(&'static str, Detail)]) -> ErrorDetails {
    details
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Detail::Absent => return None,
                Detail::Text { value } => ErrorDetail::Text {
                    value: value.clone(),
                },
                Detail::Integer { value } => ErrorDetail::Integer { value: *value },
                Detail::TextList { values } => ErrorDetail::TextList {
                    values: values.clone(),
                },
                Detail::TextMap { entries } => ErrorDetail::TextMap {
                    entries: entries.clone().into_iter().collect(),
                },
                Detail::TextListMap { entries } => ErrorDetail::TextListMap {
                    entries: entries.clone().into_iter().collect(),
                },
            };
            Some(((*name).to_owned(), value))
        })
        .collect()
}

impl From<dezky_flags::Error> for DezkyError {
    fn from(err: dezky_flags::Error) -> Self {
        from_contract(&err)
    }
}

impl From<dezky_core::Error> for DezkyError {
    fn from(err: dezky_core::Error) -> Self {
        from_contract(&err)
    }
}

impl DezkyError {
    /// `DEZKY_MALFORMED_JSON` for JSON the bindings parse themselves, with
    /// `detail` as its message.
    pub(crate) fn malformed_json(err: &serde_json::Error, detail: String) -> Self {
        let (line, column) = (err.line() as u64, err.column() as u64);
        let details = details_map(&[
            ("line", Detail::from(line)),
            ("column", Detail::from(column)),
        ]);
        DezkyError::MalformedJson {
            line,
            column,
            detail,
            details,
        }
    }
}

/// Every stable code a call into these bindings can throw, each once.
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for code in dezky_flags::Error::CODES
        .iter()
        .chain(dezky_core::Error::CODES)
    {
        if !codes.iter().any(|known| known == code) {
            codes.push((*code).to_owned());
        }
    }
    codes
}

/// Throws the core's example error of `code` (made-up details, no I/O behind
/// it), for testing code that handles these errors; returns normally for a
/// code these bindings do not throw. Several examples share
/// `DEZKY_INVALID_ARGUMENT`; `index` picks one (0 first), and an index past
/// the last returns normally.
#[uniffi::export]
pub fn throw_error_example(code: String, index: u32) -> Result<(), DezkyError> {
    let flags = dezky_flags::Error::examples()
        .into_iter()
        .map(DezkyError::from);
    let core = dezky_core::Error::examples()
        .into_iter()
        .map(DezkyError::from);
    match flags
        .chain(core)
        .filter(|error| error.code() == code)
        .nth(index as usize)
    {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_details(mapped: &DezkyError, core: &impl ErrorContract) {
        let details = match mapped {
            DezkyError::MalformedJson { details, .. }
            | DezkyError::InvalidFlag { details, .. }
            | DezkyError::DuplicateKey { details, .. }
            | DezkyError::InvalidContext { details, .. }
            | DezkyError::FlagNotFound { details, .. }
            | DezkyError::InvalidArgument { details, .. }
            | DezkyError::Source { details, .. }
            | DezkyError::Invalid { details, .. }
            | DezkyError::Forbidden { details, .. }
            | DezkyError::IllegalTransition { details, .. }
            | DezkyError::VersionConflict { details, .. }
            | DezkyError::TenantInactive { details, .. }
            | DezkyError::Other { details, .. } => details,
        };
        assert_eq!(details, &details_map(&core.details()), "{}", core.code());
    }

    #[test]
    fn every_flags_code_has_its_variant_and_keeps_code_message_and_details() {
        let mut seen = Vec::new();
        for core in dezky_flags::Error::examples() {
            let code = core.code();
            let mapped = DezkyError::from(core.clone());
            assert_eq!(mapped.code(), code);
            assert_eq!(mapped.to_string(), core.to_string());
            assert!(
                !matches!(mapped, DezkyError::Other { .. }),
                "{code} fell through"
            );
            same_details(&mapped, &core);
            seen.push(code);
        }
        for code in dezky_flags::Error::CODES {
            assert!(seen.contains(code), "{code} not converted");
        }
    }

    #[test]
    fn every_core_code_keeps_code_message_and_details() {
        for core in dezky_core::Error::examples() {
            let mapped = DezkyError::from(core.clone());
            assert_eq!(mapped.code(), core.code());
            assert_eq!(mapped.to_string(), core.to_string());
            same_details(&mapped, &core);
        }
        let codes = error_codes();
        for code in dezky_flags::Error::CODES
            .iter()
            .chain(dezky_core::Error::CODES)
        {
            assert!(codes.iter().any(|c| c == code), "{code} not in error_codes");
            assert!(
                throw_error_example((*code).to_owned(), 0).is_err(),
                "{code} has no example"
            );
        }
    }

    #[test]
    fn lifecycle_codes_have_their_variants_and_typed_fields() {
        for core in dezky_core::Error::examples() {
            let mapped = DezkyError::from(core.clone());
            match (&core, &mapped) {
                (
                    dezky_core::Error::IllegalTransition {
                        from_status,
                        action,
                    },
                    DezkyError::IllegalTransition {
                        from_status: f,
                        action: a,
                        ..
                    },
                ) => assert_eq!((f, a), (from_status, action)),
                (
                    dezky_core::Error::VersionConflict {
                        tenant,
                        expected_version,
                    },
                    DezkyError::VersionConflict {
                        tenant: t,
                        expected_version: v,
                        ..
                    },
                ) => assert_eq!((t, v), (tenant, expected_version)),
                (
                    dezky_core::Error::TenantInactive {
                        tenant,
                        slug,
                        from_status,
                    },
                    DezkyError::TenantInactive {
                        tenant: t,
                        slug: s,
                        from_status: f,
                        ..
                    },
                ) => assert_eq!((t, s, f), (tenant, slug, from_status)),
                (
                    dezky_core::Error::IllegalTransition { .. }
                    | dezky_core::Error::VersionConflict { .. }
                    | dezky_core::Error::TenantInactive { .. },
                    other,
                ) => panic!("{} became {other:?}", core.code()),
                _ => {}
            }
        }
        let unversioned = DezkyError::from(dezky_core::Error::VersionConflict {
            tenant: "t".into(),
            expected_version: None,
        });
        assert!(matches!(
            unversioned,
            DezkyError::VersionConflict { expected_version: None, ref details, .. }
                if !details.contains_key("expected_version")
        ));
    }

    #[test]
    fn typed_fields_and_deprecated_twins_agree() {
        let mapped = DezkyError::from(dezky_flags::Error::FlagNotFound { key: "a".into() });
        assert!(matches!(
            mapped,
            DezkyError::FlagNotFound { ref flag, ref key, .. } if flag == "a" && key == "a"
        ));
        let mapped = DezkyError::from(dezky_core::Error::Invalid {
            field: "tenant.id".into(),
            reason: "bad".into(),
        });
        assert!(matches!(
            mapped,
            DezkyError::Invalid { ref argument, ref field, .. }
                if argument == "tenant" && field == "tenant.id"
        ));
        let mapped = DezkyError::from(dezky_core::Error::AuthConfig {
            reason: "unset".into(),
        });
        assert!(matches!(mapped, DezkyError::Other { ref details, .. }
            if details.get("reason") == Some(&ErrorDetail::Text { value: "unset".into() })));
    }

    #[test]
    fn bindings_own_malformed_json_has_position_details() {
        let Err(err) = serde_json::from_str::<serde_json::Value>("{") else {
            panic!("expected a JSON error");
        };
        let mapped = DezkyError::malformed_json(&err, "malformed JSON in `x`".into());
        let DezkyError::MalformedJson { line, details, .. } = mapped else {
            panic!("expected MalformedJson");
        };
        assert_eq!(line, 1);
        assert_eq!(
            details.get("line"),
            Some(&ErrorDetail::Integer { value: 1 })
        );
    }
}
