//! Declarations shared by the clients' record types.

/// Declares an open string enum: the upstream's known values as variants, and
/// `Other(text)` for any value this SDK does not know (a newer server), kept
/// as sent so that one new value never fails a whole answer.
///
/// The enum gets `as_str` (the wire spelling), `parse`, `From<&str>` and
/// `From<String>` (never failing), `From<Enum> for String`, `Display`, serde
/// as a plain string and, with the `napi` feature, conversion to and from a
/// JS string (napi's `TypeName`, `ValidateNapiValue`, `ToNapiValue`,
/// `FromNapiValue`; the invoking module allows the `unsafe` of that glue).
/// napi's declarations name a field by its Rust type, so a record field of an
/// open enum says `#[napi(ts_type = "string")]`.
///
/// ```ignore
/// open_enum! {
///     /// `ClientTypeEnum`.
///     ClientType {
///         /// Holds a client secret.
///         Confidential = "confidential",
///         /// Cannot keep a secret.
///         Public = "public",
///     }
/// }
/// ```
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this SDK does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as the upstream spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(text) => text,
                }
            }

            /// Reads the upstream's spelling; an unknown value becomes `Other`.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name::parse(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match text.as_str() {
                    $($text => $name::$variant,)*
                    _ => $name::Other(text),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                match value {
                    $name::Other(text) => text,
                    known => known.as_str().to_owned(),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[cfg(feature = "napi")]
        impl napi::bindgen_prelude::TypeName for $name {
            fn type_name() -> &'static str {
                "string"
            }

            fn value_type() -> napi::ValueType {
                napi::ValueType::String
            }
        }

        #[cfg(feature = "napi")]
        impl napi::bindgen_prelude::ValidateNapiValue for $name {}

        #[cfg(feature = "napi")]
        impl napi::bindgen_prelude::ToNapiValue for $name {
            unsafe fn to_napi_value(
                env: napi::sys::napi_env,
                value: Self,
            ) -> napi::Result<napi::sys::napi_value> {
                // SAFETY: napi's own conversion of a string, with the caller's `env`.
                unsafe {
                    <&str as napi::bindgen_prelude::ToNapiValue>::to_napi_value(env, value.as_str())
                }
            }
        }

        #[cfg(feature = "napi")]
        impl napi::bindgen_prelude::FromNapiValue for $name {
            unsafe fn from_napi_value(
                env: napi::sys::napi_env,
                value: napi::sys::napi_value,
            ) -> napi::Result<Self> {
                // SAFETY: napi's own conversion of a string, with the caller's `env`
                // and value (napi refuses a value that is not a string).
                unsafe {
                    <String as napi::bindgen_prelude::FromNapiValue>::from_napi_value(env, value)
                }
                .map($name::from)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as ::serde::Deserialize>::deserialize(deserializer).map($name::from)
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(test)]
// The `napi` conversion the macro declares is `unsafe` glue.
#[cfg_attr(feature = "napi", allow(unsafe_code))]
mod tests {
    open_enum! {
        /// A test enum.
        Colour {
            /// Red.
            Red = "red",
            /// Dark blue.
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn known_values_are_variants_and_unknown_ones_are_kept() {
        assert_eq!(Colour::parse("red"), Colour::Red);
        assert_eq!(Colour::from("dark_blue"), Colour::DarkBlue);
        assert_eq!(Colour::from(String::from("dark_blue")), Colour::DarkBlue);
        assert_eq!(Colour::from("Red"), Colour::Other("Red".into()));
        assert_eq!(Colour::DarkBlue.as_str(), "dark_blue");
        assert_eq!(Colour::Other("teal".into()).as_str(), "teal");
        assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
        assert_eq!(String::from(Colour::Other("teal".into())), "teal");
        assert_eq!(String::from(Colour::Red), "red");
    }

    #[test]
    fn serde_is_the_plain_string() {
        for (colour, json) in [
            (Colour::Red, r#""red""#),
            (Colour::DarkBlue, r#""dark_blue""#),
            (Colour::Other("teal".into()), r#""teal""#),
        ] {
            assert_eq!(serde_json::to_string(&colour).ok().as_deref(), Some(json));
            assert_eq!(serde_json::from_str::<Colour>(json).ok(), Some(colour));
        }
        assert!(serde_json::from_str::<Colour>("3").is_err());
    }
}
