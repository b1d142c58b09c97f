//! The HTTP layer shared by every upstream client.
//!
//! One [`HttpClient`] per upstream holds a pooled reqwest client (rustls on
//! aws-lc-rs, the one crypto provider of the whole tree), the base URL, the
//! credential and the retry policy. Requests are built with [`HttpClient::request`]
//! and sent with [`RequestBuilder::send`], which
//! - retries only what is safe to repeat, with exponential backoff and jitter,
//!   honouring `Retry-After`;
//! - turns an error answer into [`UpstreamError`] with the status, the
//!   upstream's own code and message (decoded by the client's [`Service`]) and
//!   the request id;
//! - runs in a `tracing` span `upstream.request` carrying service, method,
//!   path, attempt and status (never the query string or a header);
//! - rebuilds its connection pool in a forked child process.
//!
//! [`paginate`] turns any page-fetching function into a stream of items.

mod config;
mod paginate;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

pub use config::{ClientOptions, HttpConfig, RetryPolicy};
pub use paginate::{Page, collect_all, paginate};

use crate::error::{Error, FieldError, Result, UpstreamError, UpstreamKind};
use crate::secret::Secret;

/// A future that can be sent across threads, as the token sources return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Where access tokens come from when they expire (the OCIS service login).
///
/// The client asks for a token before each attempt; when the upstream answers
/// 401 it reports the token as rejected and retries once with a fresh one.
pub trait AccessTokenSource: Send + Sync + fmt::Debug {
    /// A currently valid access token.
    fn access_token(&self) -> BoxFuture<'_, Result<Secret>>;
    /// The upstream refused `token`: forget it, so the next call gets a new one.
    fn token_rejected(&self, token: &Secret);
}

/// How requests authenticate.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credential.
    #[default]
    None,
    /// `Authorization: Bearer <token>` (Authentik API tokens, Stalwart API keys).
    Bearer(Secret),
    /// `Authorization: Basic` (Stalwart's admin account).
    Basic {
        /// The account name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A Stripe secret key (`sk_...`), sent as a Bearer token.
    StripeKey(Secret),
    /// Access tokens minted on demand, refreshed after a 401.
    Tokens(Arc<dyn AccessTokenSource>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}:***)"),
            Auth::StripeKey(_) => f.write_str("StripeKey(***)"),
            Auth::Tokens(source) => f.debug_tuple("Tokens").field(source).finish(),
        }
    }
}

fn secret_header(value: &str) -> Result<HeaderValue> {
    let mut header = HeaderValue::from_str(value).map_err(|_| Error::Config {
        field: "credential".into(),
        reason: "contains characters not allowed in an HTTP header".into(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

impl Auth {
    /// The `Authorization` header of a fixed credential (`None` for tokens
    /// minted on demand, which are asked for before each attempt).
    fn fixed_header(&self) -> Result<Option<HeaderValue>> {
        Ok(match self {
            Auth::None | Auth::Tokens(_) => None,
            Auth::Bearer(token) | Auth::StripeKey(token) => {
                Some(secret_header(&format!("Bearer {}", token.expose()))?)
            }
            Auth::Basic { username, password } => {
                use base64::Engine;
                let pair = format!("{username}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                Some(secret_header(&format!("Basic {encoded}"))?)
            }
        })
    }
}

/// What an upstream client tells the HTTP layer about its upstream: its name,
/// how its error bodies look and which answers are worth another attempt.
pub trait Service: Send + Sync + fmt::Debug + 'static {
    /// The name used in errors and spans (`authentik`, `ocis`, ...).
    fn name(&self) -> &'static str;

    /// Fills `error` (code, message, fields, kind) from an error answer's body.
    /// The default reads the common JSON shapes leniently.
    fn decode_error(&self, body: &[u8], error: &mut UpstreamError) {
        decode_common_error(body, error);
    }

    /// Whether an error answer may succeed when sent again (given that the
    /// request is safe to repeat). Default: 408, 429, 502, 503, 504.
    fn is_retryable(&self, status: u16, headers: &HeaderMap) -> bool {
        let _ = headers;
        matches!(status, 408 | 429 | 502 | 503 | 504)
    }
}

/// Reads `{"error": {"code", "message"}}`, `{"error": "...", "error_description"}`,
/// `{"detail": ...}` and `{"message": ...}` bodies; anything else is kept out
/// of the error (it may be an HTML page).
pub fn decode_common_error(body: &[u8], error: &mut UpstreamError) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return;
    };
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    match map.get("error") {
        Some(serde_json::Value::Object(inner)) => {
            error.upstream_code = text(inner.get("code"));
            error.message = text(inner.get("message"));
        }
        Some(serde_json::Value::String(code)) => {
            error.upstream_code = Some(code.clone());
            error.message = text(map.get("error_description"));
        }
        _ => {}
    }
    if error.message.is_none() {
        error.message = text(map.get("detail")).or_else(|| text(map.get("message")));
    }
    if error.upstream_code.is_none() {
        error.upstream_code = text(map.get("code"));
    }
    error.message = error.message.take().map(|m| clip(&m));
}

/// Cuts an upstream message to 500 characters.
pub(crate) fn clip(message: &str) -> String {
    match message.char_indices().nth(500) {
        Some((end, _)) => format!("{}…", &message[..end]),
        None => message.to_owned(),
    }
}

/// Collects Django REST framework style field errors (`{"name": ["..."]}`).
pub fn field_errors(map: &serde_json::Map<String, serde_json::Value>) -> Vec<FieldError> {
    map.iter()
        .filter_map(|(field, value)| {
            let messages: Vec<String> = match value {
                serde_json::Value::Array(items) => {
                    items.iter().filter_map(|m| m.as_str().map(clip)).collect()
                }
                serde_json::Value::String(m) => vec![clip(m)],
                _ => Vec::new(),
            };
            (!messages.is_empty()).then(|| FieldError {
                field: field.clone(),
                messages,
            })
        })
        .collect()
}

/// A reqwest client and the process that built it: a forked child must not
/// reuse the parent's pooled connections, so the pool is rebuilt when the
/// process id changes.
struct ProcessClient {
    pid: u32,
    client: reqwest::Client,
}

/// An HTTP client bound to one upstream. Cheap to clone (shared pool).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: HttpConfig,
    auth: Auth,
    /// The header of a fixed credential, built once.
    fixed_credential: Option<HeaderValue>,
    service: Box<dyn Service>,
    client: ArcSwap<ProcessClient>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("service", &self.inner.service.name())
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("auth", &self.inner.auth)
            .finish()
    }
}

fn build_reqwest(config: &HttpConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .user_agent(config.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config {
            field: "http".into(),
            reason: e.to_string(),
        })
}

impl HttpClient {
    /// A client for the upstream `service` at `config.base_url`.
    pub fn new(config: HttpConfig, auth: Auth, service: impl Service) -> Result<Self> {
        let client = build_reqwest(&config)?;
        let fixed_credential = match &auth {
            Auth::Tokens(_) => None,
            fixed => fixed.fixed_header()?,
        };
        Ok(HttpClient {
            inner: Arc::new(Inner {
                config,
                fixed_credential,
                auth,
                service: Box::new(service),
                client: ArcSwap::from_pointee(ProcessClient {
                    pid: std::process::id(),
                    client,
                }),
            }),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// The upstream's name.
    pub fn service_name(&self) -> &'static str {
        self.inner.service.name()
    }

    fn reqwest(&self) -> Result<reqwest::Client> {
        let current = self.inner.client.load();
        let pid = std::process::id();
        if current.pid == pid {
            return Ok(current.client.clone());
        }
        let client = build_reqwest(&self.inner.config)?;
        self.inner.client.store(Arc::new(ProcessClient {
            pid,
            client: client.clone(),
        }));
        Ok(client)
    }

    /// The URL of `path` (which starts with `/`) under the base URL. Path
    /// segments holding data must be encoded with [`segment`].
    pub fn url(&self, path: &str) -> Url {
        let mut url = self.inner.config.base_url.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// Starts a request of `method` to `path` under the base URL.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        self.request_url(method, self.url(path))
    }

    /// Starts a request to an absolute URL (a `@odata.nextLink`, a JMAP
    /// `apiUrl` rebased on the configured host).
    pub fn request_url(&self, method: Method, url: Url) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            idempotent: is_idempotent(&method),
            conditional: false,
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
            failure: None,
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    /// `PATCH path`.
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// What [`segment`] encodes: everything but RFC 3986's `pchar` (unreserved
/// characters, sub-delimiters, `:` and `@`), so `/`, `?`, `#`, `%`, spaces,
/// controls and every non-ASCII byte.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Percent-encodes one path segment (`/`, `?`, `#`, `%`, spaces and controls),
/// so that data such as a username can never change the path; `.` and `..`
/// are encoded too, since they would name the current or parent segment.
pub fn segment(value: &str) -> String {
    match value {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => utf8_percent_encode(value, SEGMENT).to_string(),
    }
}

/// A request being built. Nothing is sent until [`RequestBuilder::send`].
pub struct RequestBuilder<'c> {
    client: &'c HttpClient,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotent: bool,
    /// A conditional request: a 304 answer is a success, not an error.
    conditional: bool,
    timeout: Option<Duration>,
    failure: Option<Error>,
}

impl RequestBuilder<'_> {
    /// Appends a query parameter (repeat it for arrays).
    pub fn query(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.url.query_pairs_mut().append_pair(name, value.as_ref());
        self
    }

    /// Appends several query parameters.
    pub fn query_pairs<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        {
            let mut query = self.url.query_pairs_mut();
            for (name, value) in pairs {
                query.append_pair(name.as_ref(), value.as_ref());
            }
        }
        if self.url.query() == Some("") {
            self.url.set_query(None);
        }
        self
    }

    /// Sets a header. An invalid name or value fails the request at send time.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
            }
            _ => {
                self.failure.get_or_insert(Error::invalid(
                    format!("header {name}"),
                    "not a valid HTTP header",
                ));
            }
        }
        self
    }

    /// A JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                self.body = Some(Bytes::from(bytes));
            }
            Err(e) => {
                self.failure
                    .get_or_insert(Error::invalid("body", e.to_string()));
            }
        }
        self
    }

    /// A form body (`application/x-www-form-urlencoded`) from name/value pairs.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            serializer.append_pair(name.as_ref(), value.as_ref());
        }
        let encoded = serializer.finish();
        self.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self.body = Some(Bytes::from(encoded));
        self
    }

    /// Sends `Idempotency-Key: key`, which also makes the request safe to retry.
    pub fn idempotency_key(mut self, key: &str) -> Self {
        self = self.header("Idempotency-Key", key);
        self.idempotent = true;
        self
    }

    /// Marks the request as safe (or not) to send twice, overriding what its
    /// method says (a JMAP `/get` is a POST that changes nothing).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Makes the request conditional on the representation having changed
    /// since `etag`: an unchanged one is answered `304 Not Modified`, which
    /// [`Self::send`] then returns as a [`Response`] with status 304 and no body.
    pub fn if_none_match(mut self, etag: &str) -> Self {
        self = self.header("If-None-Match", etag);
        self.conditional = true;
        self
    }

    /// Overrides the configured timeout of one attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The URL as shown in errors, logs and spans: no query, no fragment.
    fn shown_url(&self) -> String {
        let mut shown = self.url.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        shown.to_string()
    }

    /// Sends the request and decodes a successful JSON answer into `T`.
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<T> {
        self.send().await?.json()
    }

    /// Sends the request, retrying what is safe to retry, and returns the
    /// successful answer or the upstream's error.
    pub async fn send(mut self) -> Result<Response> {
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        let inner = &self.client.inner;
        let service = inner.service.name();
        let span = tracing::debug_span!(
            "upstream.request",
            service,
            method = %self.method,
            path = self.url.path(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        self.run(service).instrument(span).await
    }

    async fn run(&self, service: &'static str) -> Result<Response> {
        let inner = &self.client.inner;
        let policy = inner.config.retry;
        let timeout = self.timeout.unwrap_or(inner.config.timeout);
        let mut retries = 0u32;
        let mut reauthenticated = false;
        loop {
            tracing::Span::current().record("attempt", retries + 1);
            let credential = match &inner.auth {
                Auth::Tokens(source) => {
                    let token = source.access_token().await?;
                    let header = secret_header(&format!("Bearer {}", token.expose()))?;
                    Some((header, Some(token)))
                }
                _ => inner.fixed_credential.clone().map(|header| (header, None)),
            };
            let mut request = self
                .client
                .reqwest()?
                .request(self.method.clone(), self.url.clone())
                .headers(self.headers.clone())
                .timeout(timeout);
            if let Some((header, _)) = &credential {
                request = request.header(AUTHORIZATION, header.clone());
            }
            if let Some(body) = &self.body {
                request = request.body(body.clone());
            }
            let outcome = request.send().await;
            let mut response = match outcome {
                Ok(response) => response,
                Err(e) => {
                    let never_sent = e.is_connect();
                    if (never_sent || self.idempotent) && retries < policy.max_retries {
                        tracing::debug!(error = %e.without_url(), "retrying after a transport error");
                        tokio::time::sleep(policy.backoff(retries)).await;
                        retries += 1;
                        continue;
                    }
                    return Err(self.transport_error(service, e, timeout));
                }
            };
            let status = response.status().as_u16();
            tracing::Span::current().record("status", status);
            if response.status().is_success() || (status == 304 && self.conditional) {
                let headers = std::mem::take(response.headers_mut());
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| self.transport_error(service, e, timeout))?;
                return Ok(Response {
                    status,
                    headers,
                    body,
                    service,
                    method: self.method.clone(),
                    url: self.url.clone(),
                });
            }
            if status == 401
                && !reauthenticated
                && let (Auth::Tokens(source), Some((_, Some(token)))) = (&inner.auth, &credential)
            {
                source.token_rejected(token);
                reauthenticated = true;
                continue;
            }
            let headers = std::mem::take(response.headers_mut());
            let retry_after = retry_after(&headers);
            if self.idempotent
                && retries < policy.max_retries
                && inner.service.is_retryable(status, &headers)
                && retry_after.is_none_or(|wait| wait <= policy.max_retry_after)
            {
                let backoff = policy.backoff(retries);
                let wait = retry_after.map_or(backoff, |after| after.max(backoff));
                tracing::debug!(status, ?wait, "retrying after an error answer");
                tokio::time::sleep(wait).await;
                retries += 1;
                continue;
            }
            // The body of an error answer is read with the remaining patience;
            // failing to read it leaves the error without detail.
            let body = response.bytes().await.unwrap_or_default();
            let mut error = UpstreamError::new(
                UpstreamKind::from_status(status),
                service,
                self.method.as_str(),
                self.shown_url(),
                status,
            );
            error.request_id = request_id(&headers);
            error.retry_after = retry_after;
            inner.service.decode_error(&body, &mut error);
            return Err(error.into());
        }
    }

    fn transport_error(&self, service: &str, error: reqwest::Error, after: Duration) -> Error {
        if error.is_timeout() {
            return Error::Timeout {
                service: service.to_owned(),
                method: self.method.to_string(),
                url: self.shown_url(),
                after,
            };
        }
        // reqwest's message without its URL (which may hold a query), plus
        // the innermost cause, which says what actually happened.
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        let mut deepest = None;
        while let Some(cause) = source {
            deepest = Some(cause.to_string());
            source = cause.source();
        }
        if let Some(cause) = deepest
            && !message.contains(&cause)
        {
            message = format!("{message}: {cause}");
        }
        Error::Transport {
            service: service.to_owned(),
            method: self.method.to_string(),
            url: self.shown_url(),
            message,
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The request id headers of the upstreams: `X-Request-Id` (OCIS, Authentik
/// behind most proxies) and `Request-Id` (Stripe).
fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id", "x-correlation-id"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(clip)
}

/// A successful answer, read to the end.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status: 2xx, or 304 answering [`RequestBuilder::if_none_match`].
    pub status: u16,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    service: &'static str,
    method: Method,
    url: Url,
}

impl Response {
    /// Decodes the JSON body into `T`; a mismatch is [`Error::Decode`] naming
    /// the path of the offending field.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body: &[u8] = if self.body.is_empty() {
            b"null"
        } else {
            &self.body
        };
        // Decode without path tracking first; only a failure pays for a
        // second pass that names the offending field.
        if let Ok(value) = serde_json::from_slice(body) {
            return Ok(value);
        }
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Ok(value) => Ok(value),
            Err(e) => {
                let path = e.path().to_string();
                Err(self.decode_error(format!("at `{path}`: {}", e.into_inner())))
            }
        }
    }

    /// A [`Error::Decode`] about this answer.
    pub fn decode_error(&self, message: impl Into<String>) -> Error {
        let mut shown = self.url.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        Error::Decode {
            service: self.service.to_owned(),
            url: format!("{} {}", self.method, shown),
            message: message.into(),
        }
    }

    /// A header's value, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_change_the_path() {
        assert_eq!(segment("alice@acme.example"), "alice@acme.example");
        assert_eq!(segment("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("storage$space"), "storage$space");
        assert_eq!(segment("."), "%2E");
        assert_eq!(segment("..."), "...");
        assert_eq!(segment(""), "");
    }

    #[test]
    fn segment_keeps_exactly_the_path_characters() {
        // RFC 3986 `pchar`: unreserved, sub-delims, ':' and '@' stay as they are.
        let kept: Vec<u8> = (b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .chain(b'0'..=b'9')
            .chain(*b"-._~!$&'()*+,;=:@")
            .collect();
        for byte in 0u8..0x80 {
            // After a prefix: alone, `.` would name the current segment (tested above).
            let text = format!("a{}", char::from(byte));
            let expected = if kept.contains(&byte) {
                text.clone()
            } else {
                format!("a%{byte:02X}")
            };
            assert_eq!(segment(&text), expected, "byte {byte:#04x}");
        }
        // Non-ASCII text is encoded byte by byte, as UTF-8.
        assert_eq!(segment("Zoë/ü"), "Zo%C3%AB%2F%C3%BC");
        assert_eq!(segment("a\u{0}b\nc"), "a%00b%0Ac");
    }

    #[test]
    fn common_error_bodies_are_read() {
        let mut error = UpstreamError::new(UpstreamKind::NotFound, "ocis", "GET", "u", 404);
        decode_common_error(
            br#"{"error":{"code":"itemNotFound","message":"drive not found"}}"#,
            &mut error,
        );
        assert_eq!(error.upstream_code.as_deref(), Some("itemNotFound"));
        assert_eq!(error.message.as_deref(), Some("drive not found"));
        let mut error = UpstreamError::new(UpstreamKind::Rejected, "authentik", "POST", "u", 400);
        decode_common_error(
            br#"{"error":"invalid_grant","error_description":"Token expired"}"#,
            &mut error,
        );
        assert_eq!(error.upstream_code.as_deref(), Some("invalid_grant"));
        assert_eq!(error.message.as_deref(), Some("Token expired"));
        let mut error = UpstreamError::new(UpstreamKind::Forbidden, "authentik", "GET", "u", 403);
        decode_common_error(b"<html>oops</html>", &mut error);
        assert_eq!(error.message, None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(later);
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&date).expect("date"));
        let wait = retry_after(&headers).expect("date parsed");
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
