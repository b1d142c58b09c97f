//! The flag store's HTTP source: the control plane's `GET /flags`.

use std::time::Duration;

use bytes::Bytes;
use dezky_flags::{BoxFuture, Fetched, FlagSet, FlagSource};
use reqwest::{Method, Url};

use crate::error::{Error, Result};
use crate::http::{Auth, HttpClient, HttpConfig, RetryPolicy, Service};
use crate::secret::Secret;

/// The control plane, as named in errors and spans.
#[derive(Debug)]
struct PlatformApi;

impl Service for PlatformApi {
    fn name(&self) -> &'static str {
        "platform-api"
    }
}

/// Fetches the flag set from the control plane, revalidating with `If-None-Match`
/// so an unchanged set costs a 304 and no parsing.
///
/// Built on [`HttpClient`] (pooled, fork-safe, the `upstream.request` span)
/// with retries off: the store has its own backoff between refreshes, and a
/// retry inside one refresh would only delay the report of an outage.
#[derive(Debug)]
pub struct HttpFlagSource {
    http: HttpClient,
    url: Url,
}

impl HttpFlagSource {
    /// A source for `url` (the full URL of `GET /flags`), sending `token` as a
    /// Bearer token when given. Connect timeout 5 s, total timeout 10 s, no
    /// retries, redirects not followed. Credentials belong in `token`: a URL
    /// with a user or password is refused.
    pub fn new(url: &str, token: Option<Secret>) -> Result<Self> {
        let config_error = |reason: String| Error::Config {
            field: "url".into(),
            reason,
        };
        let url = Url::parse(url).map_err(|e| config_error(format!("not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(config_error(format!(
                "scheme {:?} is not http or https",
                url.scheme()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(config_error(
                "must not carry credentials; pass a token instead".into(),
            ));
        }
        // The client's base URL is only used for display; requests go to `url`
        // itself, query included.
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let config = HttpConfig::new(base.as_str())?
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(10))
            .with_retry(RetryPolicy::never());
        let auth = token.map_or(Auth::None, Auth::Bearer);
        let http = HttpClient::new(config, auth, PlatformApi).map_err(|e| match e {
            Error::Config { field, .. } if field == "credential" => Error::Config {
                field: "token".into(),
                reason: "contains characters not allowed in an HTTP header".into(),
            },
            other => other,
        })?;
        Ok(HttpFlagSource { http, url })
    }

    /// The URL as shown in logs, errors and status: without query or fragment,
    /// where a careless deployment might have put a secret.
    fn shown_url(&self) -> String {
        self.http.config().base_url.to_string()
    }

    /// The set's JSON and its entity tag, or `None` when unchanged since `version`.
    async fn get(&self, version: Option<&str>) -> Result<Option<(Bytes, Option<String>)>> {
        let mut request = self.http.request_url(Method::GET, self.url.clone());
        if let Some(etag) = version {
            request = request.if_none_match(etag);
        }
        let response = request.send().await?;
        if response.status == 304 {
            return Ok(None);
        }
        let etag = response.header("etag").map(str::to_owned);
        Ok(Some((response.body, etag)))
    }
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
                    // As reqwest's `text()` would: invalid UTF-8 becomes U+FFFD
                    // (the JSON parser then names the position); valid UTF-8 is
                    // borrowed, not copied.
                    flags: FlagSet::from_json(&String::from_utf8_lossy(&body))?,
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
