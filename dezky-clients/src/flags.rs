//! The flag store's HTTP source: the control plane's `GET /flags`.

use std::sync::Mutex;
use std::time::Duration;

use dezky_flags::{BoxFuture, Fetched, FlagSet, FlagSource};
use reqwest::header::{AUTHORIZATION, ETAG, HeaderValue, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};

use crate::error::{Error, Result, UpstreamError, UpstreamKind};
use crate::secret::Secret;

const SERVICE: &str = "platform-api";

/// A reqwest client and the process that built it. A forked child must not
/// reuse its parent's pooled connections (they belong to the parent's runtime
/// and sockets), so the client is rebuilt when the process id changes.
#[derive(Debug)]
struct ProcessClient {
    pid: u32,
    client: reqwest::Client,
}

/// Fetches the flag set from the control plane, revalidating with `If-None-Match`
/// so an unchanged set costs a 304 and no parsing.
#[derive(Debug)]
pub struct HttpFlagSource {
    client: Mutex<ProcessClient>,
    url: Url,
    token: Option<Secret>,
}

impl HttpFlagSource {
    /// A source for `url` (the full URL of `GET /flags`), sending `token` as a
    /// Bearer token when given. Connect timeout 5 s, total timeout 10 s.
    /// Credentials belong in `token`: a URL with a user or password is refused.
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
        if let Some(token) = &token {
            check_token(token)?;
        }
        Ok(HttpFlagSource {
            client: Mutex::new(ProcessClient {
                pid: std::process::id(),
                client: build_client()?,
            }),
            url,
            token,
        })
    }

    /// The URL as shown in logs, errors and status: without query or fragment,
    /// where a careless deployment might have put a secret.
    fn shown_url(&self) -> String {
        let mut shown = self.url.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        shown.to_string()
    }

    fn client(&self) -> Result<reqwest::Client> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let pid = std::process::id();
        if slot.pid != pid {
            *slot = ProcessClient {
                pid,
                client: build_client()?,
            };
        }
        Ok(slot.client.clone())
    }

    async fn get(&self, version: Option<&str>) -> Result<Option<(String, Option<String>)>> {
        let mut request = self.client()?.get(self.url.clone());
        if let Some(token) = &self.token {
            request = request.header(AUTHORIZATION, check_token(token)?);
        }
        if let Some(etag) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let transport = |e: reqwest::Error| Error::Transport {
            service: SERVICE.into(),
            method: "GET".into(),
            url: self.shown_url(),
            message: e.without_url().to_string(),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !status.is_success() {
            let mut error = UpstreamError::new(
                UpstreamKind::from_status(status.as_u16()),
                SERVICE,
                "GET",
                self.shown_url(),
                status.as_u16(),
            );
            error.request_id = response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Err(error.into());
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(transport)?;
        Ok(Some((body, etag)))
    }
}

fn build_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Error::Config {
            field: "client".into(),
            reason: e.to_string(),
        })
}

/// The `Authorization` header for `token`, marked sensitive so it is never logged.
fn check_token(token: &Secret) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        Error::Config {
            field: "token".into(),
            reason: "contains characters not allowed in a header".into(),
        }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

impl FlagSource for HttpFlagSource {
    fn describe(&self) -> String {
        self.shown_url()
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
                    cause: Some(e.code().to_owned()),
                    status: e.status(),
                }),
            }
        })
    }
}
