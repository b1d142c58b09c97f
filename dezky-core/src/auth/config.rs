//! What the verifier accepts: (issuer, audience) pairs, algorithms, time leeway, key caching.

// `#[napi]` records and enums expand to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::actor::Surface;
use crate::error::{Error, Result};

/// One OAuth client whose access tokens the verifier accepts: its provider's issuer (exactly,
/// trailing slash included), its `client_id` (the token's `aud`) and the surface it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "TokenClientOptions")
)]
pub struct TokenClient {
    /// The issuer URL, e.g. `https://auth.dezky.local/application/o/dezky-portal/`.
    pub issuer: String,
    /// The audience, the client's `client_id`, e.g. `dezky-portal`.
    pub audience: String,
    /// Which surface tokens of this client act on.
    pub surface: Surface,
}

impl TokenClient {
    /// A client from its issuer, audience and surface.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, surface: Surface) -> Self {
        TokenClient {
            issuer: issuer.into(),
            audience: audience.into(),
            surface,
        }
    }
}

/// The verifier's configuration. Build it with [`VerifierConfig::new`] or
/// [`VerifierConfig::from_env_values`], then adjust the public fields.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifierConfig {
    /// The accepted clients. A token must name one of these issuers and, for that issuer, one of
    /// its audiences.
    pub clients: Vec<TokenClient>,
    /// Accepted signature algorithms, asymmetric only. Each key further narrows this to the
    /// algorithms of its own type (and to its JWK `alg`, when it names one).
    pub algorithms: Vec<Algorithm>,
    /// Tolerated clock skew for `exp`, `nbf` and `iat`. Default 30 s; at most 5 minutes.
    pub leeway: Duration,
    /// How long a fetched JWKS is used before it is read again. Default 15 minutes.
    pub key_ttl: Duration,
    /// The least time between two JWKS fetches of one issuer, whatever triggers them (an
    /// unknown `kid`, an expired cache). Default 30 s.
    pub min_refresh_interval: Duration,
    /// How long past its TTL a JWKS may still be used while fetching it again fails.
    /// Default 15 minutes.
    pub max_stale: Duration,
    /// Longer tokens are rejected as malformed before any parsing. Default 16 KiB.
    pub max_token_bytes: usize,
}

/// The algorithms accepted by default: every asymmetric JWS algorithm `jsonwebtoken` verifies.
pub const DEFAULT_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

impl VerifierConfig {
    /// A configuration for `clients` with the default algorithms, leeway and caching.
    pub fn new(clients: Vec<TokenClient>) -> Self {
        VerifierConfig {
            clients,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            leeway: Duration::from_secs(30),
            key_ttl: Duration::from_secs(15 * 60),
            min_refresh_interval: Duration::from_secs(30),
            max_stale: Duration::from_secs(15 * 60),
            max_token_bytes: 16 * 1024,
        }
    }

    /// The control plane's comma-separated `AUTHENTIK_ISSUER` and `AUTHENTIK_AUDIENCE`.
    ///
    /// With as many issuers as audiences they pair up by position (`portal issuer` with
    /// `dezky-portal`, ...). A single issuer (Authentik's global issuer mode) goes with every
    /// audience. Any other shape is refused: accepting every issuer with every audience would
    /// let one provider's tokens pass for another client's. The surface comes from the audience:
    /// `dezky-operator` is the operator app, `dezky-portal` the portal; other audiences need
    /// [`VerifierConfig::new`] with an explicit [`TokenClient`].
    pub fn from_env_values(issuers: &str, audiences: &str) -> Result<Self> {
        let issuers = split_list(issuers);
        let audiences = split_list(audiences);
        if issuers.is_empty() {
            return Err(config_error("AUTHENTIK_ISSUER is empty"));
        }
        if audiences.is_empty() {
            return Err(config_error("AUTHENTIK_AUDIENCE is empty"));
        }
        let pairs: Vec<(&str, &str)> = if issuers.len() == audiences.len() {
            issuers
                .iter()
                .copied()
                .zip(audiences.iter().copied())
                .collect()
        } else if issuers.len() == 1 {
            audiences.iter().map(|a| (issuers[0], *a)).collect()
        } else {
            return Err(config_error(&format!(
                "AUTHENTIK_ISSUER lists {} issuers and AUTHENTIK_AUDIENCE {} audiences: give one \
                 audience per issuer, in the same order, or a single issuer",
                issuers.len(),
                audiences.len()
            )));
        };
        let mut clients = Vec::with_capacity(pairs.len());
        for (issuer, audience) in pairs {
            let surface = Surface::from_audience(audience).ok_or_else(|| {
                config_error(&format!(
                    "cannot tell the surface of audience {audience:?}: expected dezky-portal or \
                     dezky-operator (configure other clients explicitly)"
                ))
            })?;
            clients.push(TokenClient::new(issuer, audience, surface));
        }
        let config = VerifierConfig::new(clients);
        config.validate()?;
        Ok(config)
    }

    /// Checks the configuration; [`super::TokenVerifier::new`] calls it too.
    pub fn validate(&self) -> Result<()> {
        if self.clients.is_empty() {
            return Err(config_error("no issuer/audience configured"));
        }
        for (i, client) in self.clients.iter().enumerate() {
            let issuer = &client.issuer;
            let rest = issuer
                .strip_prefix("https://")
                .or_else(|| issuer.strip_prefix("http://"));
            match rest {
                Some(rest) if !rest.is_empty() && !rest.starts_with('/') => {}
                _ => {
                    return Err(config_error(&format!(
                        "issuer {issuer:?} is not an http(s) URL"
                    )));
                }
            }
            if issuer.chars().any(|c| c.is_whitespace() || c == ',') {
                return Err(config_error(&format!(
                    "issuer {issuer:?} contains whitespace or a comma"
                )));
            }
            if client.audience.trim().is_empty() || client.audience.trim() != client.audience {
                return Err(config_error(&format!(
                    "audience {:?} is empty or has surrounding spaces",
                    client.audience
                )));
            }
            if self.clients[..i]
                .iter()
                .any(|c| c.issuer == client.issuer && c.audience == client.audience)
            {
                return Err(config_error(&format!(
                    "issuer {issuer:?} with audience {:?} is configured twice",
                    client.audience
                )));
            }
        }
        if self.algorithms.is_empty() {
            return Err(config_error("no signature algorithm allowed"));
        }
        if let Some(alg) = self
            .algorithms
            .iter()
            .find(|a| matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
        {
            return Err(config_error(&format!(
                "{alg:?} is an HMAC algorithm: access tokens must be verified with the issuer's \
                 public keys (set an RSA signing key on the Authentik provider)"
            )));
        }
        if self.leeway > Duration::from_secs(300) {
            return Err(config_error("leeway is more than 5 minutes"));
        }
        if self.key_ttl.is_zero() {
            return Err(config_error("key_ttl is zero"));
        }
        if self.max_token_bytes < 64 {
            return Err(config_error("max_token_bytes is below 64"));
        }
        Ok(())
    }
}

fn split_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn config_error(reason: &str) -> Error {
    Error::AuthConfig {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTAL: &str = "https://auth.dezky.local/application/o/dezky-portal/";
    const OPERATOR: &str = "https://auth.dezky.local/application/o/dezky-operator/";

    #[test]
    fn env_values_pair_up_by_position() {
        let config = VerifierConfig::from_env_values(
            &format!("{PORTAL}, {OPERATOR}"),
            "dezky-portal,dezky-operator",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            config.clients,
            vec![
                TokenClient::new(PORTAL, "dezky-portal", Surface::Portal),
                TokenClient::new(OPERATOR, "dezky-operator", Surface::Operator),
            ]
        );
    }

    #[test]
    fn one_issuer_goes_with_every_audience() {
        let config = VerifierConfig::from_env_values(
            "https://auth.dezky.local/",
            "dezky-portal,dezky-operator",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.clients.len(), 2);
        assert!(
            config
                .clients
                .iter()
                .all(|c| c.issuer == "https://auth.dezky.local/")
        );
    }

    #[test]
    fn bad_env_values_are_config_errors() {
        for (issuers, audiences) in [
            ("", "dezky-portal"),
            (PORTAL, ""),
            (
                &format!("{PORTAL},{OPERATOR}") as &str,
                "dezky-portal,dezky-operator,x",
            ),
            (PORTAL, "some-client"),
            ("auth.dezky.local", "dezky-portal"),
            ("https://", "dezky-portal"),
            (&format!("{PORTAL},{PORTAL}"), "dezky-portal,dezky-portal"),
        ] {
            let err = VerifierConfig::from_env_values(issuers, audiences).err();
            assert_eq!(
                err.as_ref().map(Error::code),
                Some("DEZKY_AUTH_CONFIG"),
                "{issuers} / {audiences}: {err:?}"
            );
        }
    }

    #[test]
    fn hmac_algorithms_cannot_be_allowed() {
        let mut config = VerifierConfig::new(vec![TokenClient::new(
            PORTAL,
            "dezky-portal",
            Surface::Portal,
        )]);
        assert!(config.validate().is_ok());
        config.algorithms.push(Algorithm::HS256);
        assert_eq!(
            config.validate().err().map(|e| e.code()),
            Some("DEZKY_AUTH_CONFIG")
        );
        config.algorithms.clear();
        assert!(config.validate().is_err());
    }
}
