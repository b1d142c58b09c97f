//! Who a verified token speaks for.

// `#[napi]` records and enums expand to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The app a token was issued to, known from its audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "lowercase"))]
pub enum Surface {
    /// The customer portal (and the partner surface, which shares its client): `dezky-portal`.
    Portal,
    /// The operator app: `dezky-operator`.
    Operator,
}

impl Surface {
    /// The surface of the Dezky client ids: `dezky-portal` and `dezky-operator`.
    pub fn from_audience(audience: &str) -> Option<Surface> {
        match audience {
            "dezky-portal" => Some(Surface::Portal),
            "dezky-operator" => Some(Surface::Operator),
            _ => None,
        }
    }

    /// `"portal"` or `"operator"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Portal => "portal",
            Surface::Operator => "operator",
        }
    }

    /// The surface named `value` (`"portal"` or `"operator"`), read from the input field
    /// `field`: anything else is [`Error::Invalid`] naming that field.
    pub fn parse_field(value: &str, field: &str) -> Result<Surface, Error> {
        match value {
            "portal" => Ok(Surface::Portal),
            "operator" => Ok(Surface::Operator),
            _ => Err(Error::Invalid {
                field: field.to_owned(),
                reason: "must be 'portal' or 'operator'".to_owned(),
            }),
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `"portal"` or `"operator"`; anything else is [`Error::Invalid`] on the field `surface`
/// (use [`Surface::parse_field`] to name another field).
impl FromStr for Surface {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Surface::parse_field(s, "surface")
    }
}

/// The identity a verified access token carries. It says who the caller is, never what they
/// may do: tenant membership and platform-admin rights come from the user record
/// ([`crate::authz`]). `groups` is informational.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
// `expires_at` is a `u64`, which napi would make a BigInt: in Node the actor crosses
// through serde (absent options as `null`), and napi only declares its TypeScript form.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(
        object,
        object_to_js = false,
        object_from_js = false,
        use_nullable = true
    )
)]
pub struct Actor {
    /// `sub`: the user's Authentik subject (the user record's `authentikSubjectId`).
    pub subject: String,
    /// `email`, when the token has one.
    pub email: Option<String>,
    /// `name`, else `preferred_username`.
    pub name: Option<String>,
    /// `groups`: Authentik group names, empty when the token has none.
    pub groups: Vec<String>,
    /// The surface, from the audience that matched.
    pub surface: Surface,
    /// `iss`.
    pub issuer: String,
    /// The configured audience the token matched.
    pub audience: String,
    /// `exp`, seconds since the Unix epoch.
    #[cfg_attr(feature = "napi", napi(ts_type = "number"))]
    pub expires_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_round_trips_through_its_name() {
        for surface in [Surface::Portal, Surface::Operator] {
            assert_eq!(surface.as_str().parse::<Surface>(), Ok(surface));
            assert_eq!(surface.to_string(), surface.as_str());
            let json = serde_json::to_string(&surface).expect("serializes");
            assert_eq!(json, format!("\"{surface}\""));
        }
        assert_eq!("portal".parse::<Surface>(), Ok(Surface::Portal));
        assert_eq!("operator".parse::<Surface>(), Ok(Surface::Operator));
    }

    #[test]
    fn unknown_surface_is_invalid_on_the_surface_field() {
        for bad in [
            "",
            "Portal",
            "OPERATOR",
            " portal",
            "partner",
            "dezky-portal",
        ] {
            let err = bad.parse::<Surface>().expect_err(bad);
            assert_eq!(
                err,
                Error::Invalid {
                    field: "surface".into(),
                    reason: "must be 'portal' or 'operator'".into(),
                },
                "{bad:?}"
            );
            assert_eq!(err.code(), "DEZKY_INVALID_ARGUMENT");
        }
    }

    #[test]
    fn parse_field_names_the_given_field() {
        assert_eq!(
            Surface::parse_field("operator", "actor.surface"),
            Ok(Surface::Operator)
        );
        let err = Surface::parse_field("admin", "options.clients[2].surface").expect_err("admin");
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "options.clients[2].surface"),
            "{err:?}"
        );
    }
}
