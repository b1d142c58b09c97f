//! Who a verified token speaks for.

use serde::{Deserialize, Serialize};

/// The app a token was issued to, known from its audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
}

/// The identity a verified access token carries. It says who the caller is, never what they
/// may do: tenant membership and platform-admin rights come from the user record
/// ([`crate::authz`]). `groups` is informational.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
    pub expires_at: u64,
}
