//! The error contract of the SDK: what every crate's error type states about
//! itself, as data, so that each language binding converts every error with
//! one generic function instead of a hand-written case per variant.
//!
//! An error has three parts:
//!
//! - a stable [`code`](ErrorContract::code) (`DEZKY_INVALID_FLAG`, ...);
//! - a message, its `Display` form;
//! - its [`details`](ErrorContract::details): named facts (`flag`, `field`,
//!   `status`, ...) whose names are chosen once, here, in [`DETAIL_NAMES`].
//!
//! Names are written in Rust's snake_case; each binding applies its
//! language's case rule mechanically (Node: `upstream_code` becomes
//! `upstreamCode`; Python keeps `upstream_code`). `docs/errors.md` lists every
//! code with its details and what it becomes in each language.
//!
//! Nothing in a detail is a secret: details are drawn from the same fields
//! as the message.

use std::collections::BTreeMap;

/// The value of one detail: plain data that every language can represent.
/// (Maps are ordered by name, so every binding shows them in one order; UniFFI,
/// which has no ordered map, mirrors this type in `bindings/uniffi`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// The fact applies to this error but is not known (an upstream that sent
    /// no request id). Node leaves the property unset; Python sets `None`.
    Absent,
    /// A string.
    Text {
        /// The string.
        value: String,
    },
    /// A whole number (a line, a status, milliseconds, seconds since the epoch).
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
        entries: BTreeMap<String, String>,
    },
    /// Lists of strings by name (an upstream's messages per field).
    TextListMap {
        /// The lists, by name.
        entries: BTreeMap<String, Vec<String>>,
    },
}

impl Detail {
    /// The string, when this is [`Detail::Text`].
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Detail::Text { value } => Some(value),
            _ => None,
        }
    }

    /// The number, when this is [`Detail::Integer`].
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Detail::Integer { value } => Some(*value),
            _ => None,
        }
    }
}

impl From<&str> for Detail {
    fn from(value: &str) -> Self {
        Detail::Text {
            value: value.to_owned(),
        }
    }
}

impl From<&String> for Detail {
    fn from(value: &String) -> Self {
        Detail::from(value.as_str())
    }
}

impl From<String> for Detail {
    fn from(value: String) -> Self {
        Detail::Text { value }
    }
}

impl From<i64> for Detail {
    fn from(value: i64) -> Self {
        Detail::Integer { value }
    }
}

impl From<u64> for Detail {
    fn from(value: u64) -> Self {
        Detail::Integer {
            value: i64::try_from(value).unwrap_or(i64::MAX),
        }
    }
}

impl From<usize> for Detail {
    fn from(value: usize) -> Self {
        Detail::from(value as u64)
    }
}

impl From<u16> for Detail {
    fn from(value: u16) -> Self {
        Detail::Integer {
            value: i64::from(value),
        }
    }
}

impl From<&[String]> for Detail {
    fn from(values: &[String]) -> Self {
        Detail::TextList {
            values: values.to_vec(),
        }
    }
}

impl From<&BTreeMap<String, String>> for Detail {
    fn from(entries: &BTreeMap<String, String>) -> Self {
        Detail::TextMap {
            entries: entries.clone(),
        }
    }
}

impl From<BTreeMap<String, Vec<String>>> for Detail {
    fn from(entries: BTreeMap<String, Vec<String>>) -> Self {
        Detail::TextListMap { entries }
    }
}

impl<T: Into<Detail>> From<Option<T>> for Detail {
    fn from(value: Option<T>) -> Self {
        value.map_or(Detail::Absent, Into::into)
    }
}

/// The details of one error: `(name, value)` pairs, each name from
/// [`DETAIL_NAMES`], each at most once, in the order the error states them.
pub type Details = Vec<(&'static str, Detail)>;

/// Every detail name any error of the SDK uses, with what it means. A name
/// means the same fact whichever error carries it.
pub const DETAIL_NAMES: &[(&str, &str)] = &[
    (
        "argument",
        "the top-level argument that was refused (`actor`, `tenant`)",
    ),
    (
        "field",
        "the offending field, as a path (`pct`, `scope.plans[2]`, `tenant.slug`, an option or environment variable)",
    ),
    (
        "flag",
        "the key of the flag concerned, or its position (`#3`)",
    ),
    ("reason", "what is wrong, in words"),
    ("line", "1-based line of a parse error, 0 when unknown"),
    ("column", "1-based column of a parse error, 0 when unknown"),
    (
        "source",
        "where the failure happened: a file path or a URL without query string or credentials",
    ),
    (
        "cause_code",
        "the stable code of the underlying failure of a flag source",
    ),
    (
        "status",
        "the HTTP status an upstream or a source answered with",
    ),
    (
        "service",
        "the upstream (`authentik`, `ocis`, `stalwart`, `stripe`, ...)",
    ),
    (
        "method",
        "the HTTP method of the failed request (`WAIT` for a polled condition)",
    ),
    ("timeout_ms", "the time allowed, in milliseconds"),
    ("upstream_code", "the upstream's own error code"),
    ("upstream_message", "the upstream's own message"),
    ("request_id", "the upstream's request id"),
    (
        "retry_after_ms",
        "how long the upstream asked to wait, in milliseconds",
    ),
    ("fields", "field name to the upstream's messages about it"),
    ("linked", "ids of the objects that still use the target"),
    (
        "upstream_details",
        "further facts by the upstream's own names (Stripe's `decline_code`, ...)",
    ),
    (
        "expired_at",
        "`exp` of an expired token, seconds since the epoch",
    ),
    ("issuer", "the token issuer concerned"),
    ("audience", "the token's audience, quoted and shortened"),
    ("kid", "the token's key id, quoted and shortened"),
    (
        "from_status",
        "the tenant's lifecycle status when an action was refused",
    ),
    (
        "action",
        "the tenant lifecycle action refused (`suspend`, `resume`, ...)",
    ),
    ("tenant", "the tenant's ObjectId"),
    ("slug", "the tenant's slug"),
    (
        "expected_version",
        "the document version (`__v`) a write expected (absent: the document had none)",
    ),
];

/// The top-level argument of a field path: `tenant` for `tenant.slug`, `user` for
/// `user.tenantIds[2]`, the path itself when it has one segment.
pub fn argument_of(field: &str) -> &str {
    field.split(['.', '[']).next().unwrap_or(field)
}

/// What an error type of the SDK states about its values, for the bindings.
pub trait ErrorContract: std::error::Error {
    /// The stable machine-readable code, shared by every language binding.
    fn code(&self) -> &'static str;

    /// The structured facts of this error, by their contract names.
    fn details(&self) -> Details;

    /// The message, as the binding shows it (the `Display` form).
    fn message(&self) -> String {
        self.to_string()
    }

    /// Every code a value of this type can have.
    fn codes() -> &'static [&'static str]
    where
        Self: Sized;

    /// One value of every variant (and every code), so that a binding's tests
    /// can convert each of them. The values are made up; no I/O happens.
    fn examples() -> Vec<Self>
    where
        Self: Sized;
}

/// Checks an error type against the contract, for the crates' tests: every
/// example's code is listed, every listed code has an example, every detail
/// name is in [`DETAIL_NAMES`] and appears at most once per error.
///
/// # Panics
///
/// On the first breach, naming it.
pub fn check_contract<E: ErrorContract>() {
    let examples = E::examples();
    for example in &examples {
        let code = example.code();
        assert!(E::codes().contains(&code), "{code} is not in codes()");
        let details = example.details();
        for (i, (name, _)) in details.iter().enumerate() {
            assert!(
                DETAIL_NAMES.iter().any(|(known, _)| known == name),
                "{code}: detail `{name}` is not in DETAIL_NAMES"
            );
            assert!(
                !details[..i].iter().any(|(earlier, _)| earlier == name),
                "{code}: detail `{name}` twice"
            );
        }
    }
    for code in E::codes() {
        assert!(
            examples.iter().any(|e| e.code() == *code),
            "{code} has no example"
        );
        assert!(
            code.starts_with("DEZKY_")
                && code[6..]
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_'),
            "{code} is not a DEZKY_ code"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_names_are_snake_case_and_unique() {
        for (i, (name, meaning)) in DETAIL_NAMES.iter().enumerate() {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert!(!meaning.is_empty());
            assert!(
                !DETAIL_NAMES[..i].iter().any(|(earlier, _)| earlier == name),
                "{name} twice"
            );
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Detail::from("a"), Detail::Text { value: "a".into() });
        assert_eq!(Detail::from(None::<u16>), Detail::Absent);
        assert_eq!(Detail::from(Some(404_u16)).as_integer(), Some(404));
        assert_eq!(Detail::from(u64::MAX).as_integer(), Some(i64::MAX));
        assert_eq!(Detail::from(String::from("x")).as_text(), Some("x"));
        assert_eq!(argument_of("tenant.slug"), "tenant");
        assert_eq!(argument_of("user.tenantIds[2]"), "user");
        assert_eq!(argument_of("flags[0]"), "flags");
        assert_eq!(argument_of("actor"), "actor");
    }
}
