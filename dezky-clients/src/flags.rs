//! The flag store's HTTP source: the control plane's `GET /flags`.

use std::time::Duration;

use dezky_flags::{BoxFuture, Fetched, FlagSet, FlagSource};
use reqwest::header::{AUTHORIZATION, ETAG, HeaderValue, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};

use crate::error::{Error, Result};
use crate::secret::Secret;

const SERVICE: &str = "platform-api";

/// Fetches the flag set from the control plane, revalidating with `If-None-Match`
/// so an unchanged set costs a 304 and no parsing.
#[derive(Debug, Clone)]
pub struct HttpFlagSource {
    client: reqwest::Client,
    url: Url,
    token: Option<Secret>,
}

impl HttpFlagSource {
    /// A source for `url` (the full URL of `GET /flags`), sending `token` as a
    /// Bearer token when given. Connect timeout 5 s, total timeout 10 s.
    pub fn new(url: &str, token: Option<Secret>) -> Result<Self> {
        let url = Url::parse(url).map_err(|e| Error::Config {
            field: "url".into(),
            reason: format!("not a valid URL: {e}"),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config {
                field: "url".into(),
                reason: format!("scheme {:?} is not http or https", url.scheme()),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Config {
                field: "url".into(),
                reason: "must not carry credentials; pass a token instead".into(),
            });
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Config {
                field: "client".into(),
                reason: e.to_string(),
            })?;
        Ok(HttpFlagSource { client, url, token })
    }

    async fn get(&self, version: Option<&str>) -> Result<Option<(String, Option<String>)>> {
        let mut request = self.client.get(self.url.clone());
        if let Some(token) = &self.token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Error::Config {
                        field: "token".into(),
                        reason: "contains characters not allowed in a header".into(),
                    }
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(etag) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = request.send().await.map_err(|e| Error::Transport {
            service: SERVICE.into(),
            url: self.url.to_string(),
            message: e.without_url().to_string(),
        })?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(Error::Upstream {
                service: SERVICE.into(),
                url: self.url.to_string(),
                status: status.as_u16(),
                request_id: response
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            });
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(|e| Error::Transport {
            service: SERVICE.into(),
            url: self.url.to_string(),
            message: e.without_url().to_string(),
        })?;
        Ok(Some((body, etag)))
    }
}

impl FlagSource for HttpFlagSource {
    fn describe(&self) -> String {
        self.url.to_string()
    }

    fn fetch<'a>(
        &'a self,
        version: Option<&'a str>,
    ) -> BoxFuture<'a, dezky_flags::Result<Fetched>> {
        Box::pin(async move {
            match self.get(version).await {
                Ok(None) => Ok(Fetched::Unchanged),
                Ok(Some((body, etag))) => Ok(Fetched::Updated {
                    flags: FlagSet::from_json(&body)?,
                    version: etag,
                }),
                Err(e) => Err(dezky_flags::Error::Source {
                    source_name: self.describe(),
                    message: e.to_string(),
                }),
            }
        })
    }
}
