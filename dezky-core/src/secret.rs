//! A string that never shows in `Debug` output, error messages or logs.
//!
//! Declared in the core so that the core's own secrets (a member's one-time
//! password, a recovery link) and the clients' credentials are one type;
//! `dezky_clients::Secret` is this type. With the `napi` feature a [`Secret`]
//! crosses into JavaScript as a string: records hold one only where the
//! caller asked for it (the client secret of `create_sso_app`, a
//! SetupIntent's `client_secret`). A secret a record holds that the caller
//! did not ask for is a [`Withheld`] field, which JavaScript never receives.

// napi's conversions are `unsafe` glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::fmt;
use std::ops::Deref;

/// A secret (API token, client secret, password, recovery link). Its `Debug`
/// prints `Secret(***)`; it has no `Display` and no `Serialize`, so it cannot
/// reach a log line, an error or a serialized record by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send or show it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// A secret a record holds for Rust callers but never hands to JavaScript
/// (an OAuth2 provider's client secret: `create_sso_app` returns it once).
/// It reads as the [`Secret`] it wraps; its `Debug` prints `Secret(***)`;
/// its Node form is `undefined` (declare the field `#[napi(skip)]` so that
/// the TypeScript declarations leave it out too).
#[derive(Clone, PartialEq, Eq)]
pub struct Withheld(Secret);

impl Withheld {
    /// Wraps a secret.
    pub fn new(secret: Secret) -> Self {
        Withheld(secret)
    }
}

impl Deref for Withheld {
    type Target = Secret;

    fn deref(&self) -> &Secret {
        &self.0
    }
}

impl fmt::Debug for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Secret> for Withheld {
    fn from(secret: Secret) -> Self {
        Withheld(secret)
    }
}

#[cfg(feature = "napi")]
mod napi_form {
    use napi::bindgen_prelude::{
        FromNapiValue, ToNapiValue, TypeName, Undefined, ValidateNapiValue,
    };
    use napi::{ValueType, sys};

    use super::{Secret, Withheld};

    impl TypeName for Secret {
        fn type_name() -> &'static str {
            "string"
        }

        fn value_type() -> ValueType {
            ValueType::String
        }
    }

    impl ValidateNapiValue for Secret {}

    /// A secret the caller gives (a password), from a JS string.
    impl FromNapiValue for Secret {
        unsafe fn from_napi_value(
            env: sys::napi_env,
            value: sys::napi_value,
        ) -> napi::Result<Self> {
            // SAFETY: napi's own conversion of a string, with the caller's `env` and value.
            unsafe { String::from_napi_value(env, value) }.map(Secret::new)
        }
    }

    /// The secret as a JS string, for the records that carry one the caller asked for.
    impl ToNapiValue for Secret {
        unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
            // SAFETY: napi's own conversion of a string, with the caller's `env`.
            unsafe { <&str as ToNapiValue>::to_napi_value(env, value.expose()) }
        }
    }

    /// `undefined`: the secret never reaches JavaScript.
    impl ToNapiValue for Withheld {
        unsafe fn to_napi_value(env: sys::napi_env, _value: Self) -> napi::Result<sys::napi_value> {
            // SAFETY: napi's own `undefined`, with the caller's `env`.
            unsafe { <Undefined as ToNapiValue>::to_napi_value(env, ()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(Secret(***))");
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn a_withheld_secret_reads_as_its_secret_and_never_shows() {
        let withheld = Withheld::from(Secret::new("s3cr3t"));
        assert_eq!(withheld.expose(), "s3cr3t");
        assert_eq!(format!("{withheld:?}"), "Secret(***)");
    }
}
