//! Verification of the Authentik access tokens that reach the control plane.
//!
//! [`TokenVerifier`] checks a token against several (issuer, audience) pairs at once, with keys
//! read through an injected [`KeySource`] (in production `dezky_clients::oidc::OidcKeySource`:
//! discovery document, then JWKS) and time from an injected [`Clock`], so caching, the refresh
//! rate limit and the TTL are unit-testable. A verified token becomes an [`Actor`]; the
//! authorization rules over it live in [`crate::authz`].
//!
//! What is accepted and why: `docs/auth.md`.

mod actor;
mod clock;
mod config;
mod jwks;
mod strict_json;
mod verifier;

pub use actor::{Actor, Surface};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{TokenClient, VerifierConfig};
pub use dezky_flags::BoxFuture;
pub use jsonwebtoken::Algorithm;
pub use verifier::TokenVerifier;

use crate::error::Result;

/// Where the verifier reads an issuer's signing keys.
///
/// Implementations fetch fresh on every call: the verifier owns caching, the TTL and the
/// refresh rate limit. Transport failures should come back as
/// [`Error::KeysUnavailable`](crate::Error::KeysUnavailable), unusable configuration (a
/// discovery document naming another issuer, say) as [`Error::AuthConfig`](crate::Error::AuthConfig).
pub trait KeySource: Send + Sync {
    /// The JWKS document (JSON text) of `issuer`, exactly as configured (trailing slash included).
    fn fetch_jwks<'a>(&'a self, issuer: &'a str) -> BoxFuture<'a, Result<String>>;
}

/// Shortens and quotes a value taken from a token before it goes into an error message, so a
/// hostile token cannot flood logs or inject line breaks.
pub(crate) fn quoted(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() > MAX {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut:?}…")
    } else {
        format!("{value:?}")
    }
}
