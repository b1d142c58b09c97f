//! The token verifier's key source over HTTP: each issuer's OpenID discovery document, then
//! its JWKS.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use dezky_core::Error as CoreError;
use dezky_core::auth::{BoxFuture, KeySource};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use crate::error::{Error, Result};

/// Largest discovery document or JWKS read, in bytes.
const MAX_BODY: usize = 1024 * 1024;

/// Reads signing keys the way OpenID Connect publishes them: `GET
/// <issuer>.well-known/openid-configuration`, check that it names the same issuer, then `GET`
/// its `jwks_uri`. The `jwks_uri` is remembered per issuer (and forgotten when it fails);
/// caching the keys is the verifier's job.
#[derive(Debug)]
pub struct OidcKeySource {
    client: reqwest::Client,
    jwks_uris: Mutex<HashMap<String, Url>>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: Option<String>,
    jwks_uri: Option<String>,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
}

impl OidcKeySource {
    /// A source with its own HTTP client: connect timeout 3 s, total timeout 5 s per request.
    pub fn new() -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Config {
                field: "client".into(),
                reason: e.to_string(),
            })?;
        Ok(Self::with_client(client))
    }

    /// A source on a given client (proxies, extra root certificates, ...).
    pub fn with_client(client: reqwest::Client) -> Self {
        OidcKeySource {
            client,
            jwks_uris: Mutex::new(HashMap::new()),
        }
    }

    async fn jwks(&self, issuer: &str) -> Result<String, CoreError> {
        let cached = self
            .jwks_uris
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
            .cloned();
        let jwks_uri = match cached {
            Some(uri) => uri,
            None => {
                let uri = self.discover(issuer).await?;
                self.jwks_uris
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(issuer.to_owned(), uri.clone());
                uri
            }
        };
        match self.get(issuer, &jwks_uri).await {
            Ok(body) => Ok(body),
            Err(e) => {
                self.jwks_uris
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(issuer);
                Err(e)
            }
        }
    }

    async fn discover(&self, issuer: &str) -> Result<Url, CoreError> {
        let base = Url::parse(issuer).map_err(|e| config(format!("issuer {issuer}: {e}")))?;
        let path = if issuer.ends_with('/') {
            ".well-known/openid-configuration"
        } else {
            "/.well-known/openid-configuration"
        };
        let url = Url::parse(&format!("{issuer}{path}"))
            .map_err(|e| config(format!("issuer {issuer}: {e}")))?;
        let body = self.get(issuer, &url).await?;
        let doc: Discovery =
            serde_json::from_str(&body).map_err(|e| CoreError::KeysUnavailable {
                issuer: issuer.to_owned(),
                reason: format!("the discovery document at {url} is not valid: {e}"),
            })?;
        match doc.issuer.as_deref() {
            Some(named) if named == issuer => {}
            Some(named) => {
                let hint = if named.trim_end_matches('/') == issuer.trim_end_matches('/') {
                    " (the trailing slash differs: configure the issuer exactly as Authentik names it)"
                } else {
                    ""
                };
                return Err(config(format!(
                    "the discovery document of {issuer} names issuer {named:?}{hint}"
                )));
            }
            None => {
                return Err(config(format!(
                    "the discovery document of {issuer} names no issuer"
                )));
            }
        }
        let algs = &doc.id_token_signing_alg_values_supported;
        if !algs.is_empty() && algs.iter().all(|a| a.starts_with("HS")) {
            return Err(config(format!(
                "issuer {issuer} signs with {} only: an Authentik provider without a signing key \
                 signs HS256 with its client secret, and its JWKS is empty. Set an RSA signing key \
                 on the provider",
                algs.join(", ")
            )));
        }
        let jwks = doc.jwks_uri.ok_or_else(|| {
            config(format!(
                "the discovery document of {issuer} has no jwks_uri"
            ))
        })?;
        let jwks = Url::parse(&jwks)
            .map_err(|e| config(format!("jwks_uri of {issuer} is not a URL: {e}")))?;
        let scheme_ok = match base.scheme() {
            "https" => jwks.scheme() == "https",
            "http" => matches!(jwks.scheme(), "http" | "https"),
            _ => false,
        };
        if !scheme_ok {
            return Err(config(format!(
                "jwks_uri {jwks} of issuer {issuer} must use https like its issuer"
            )));
        }
        Ok(jwks)
    }

    async fn get(&self, issuer: &str, url: &Url) -> Result<String, CoreError> {
        let unavailable = |reason: String| CoreError::KeysUnavailable {
            issuer: issuer.to_owned(),
            reason,
        };
        let mut response = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(format!("GET {url}: {}", e.without_url())))?;
        let status = response.status();
        if status != StatusCode::OK {
            return Err(unavailable(format!("GET {url}: HTTP {}", status.as_u16())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(unavailable(format!(
                "GET {url}: body larger than {MAX_BODY} bytes"
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| unavailable(format!("GET {url}: {}", e.without_url())))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(unavailable(format!(
                    "GET {url}: body larger than {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| unavailable(format!("GET {url}: body is not UTF-8")))
    }
}

impl KeySource for OidcKeySource {
    fn fetch_jwks<'a>(&'a self, issuer: &'a str) -> BoxFuture<'a, dezky_core::Result<String>> {
        Box::pin(self.jwks(issuer))
    }
}

fn config(reason: String) -> CoreError {
    CoreError::AuthConfig { reason }
}
