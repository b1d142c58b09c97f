//! Health probes for the operator's Infrastructure page: TCP connects and
//! HTTP GETs, run in parallel, each classified `ok`, `warn` or `down` with
//! its latency and, when it failed, the reason.
//!
//! - `ok`: succeeded within [`Thresholds::ok`] (500 ms by default);
//! - `warn`: succeeded, but slower than that (up to the timeout);
//! - `down`: timed out, refused, the name did not resolve, the answer had an
//!   unexpected status, or the target itself is malformed.
//!
//! Each target has its own timeout; without one, [`Thresholds::warn`]
//! (1.5 s) is the timeout. A probe never fails as a whole: every target gets a
//! result, in the order given.

// `#[napi(object)]` and the napi conversion (with the `napi` feature) are `unsafe` glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde::Serialize;

/// Which HTTP statuses count as up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatusRange {
    /// Lowest accepted status.
    pub min: u16,
    /// Highest accepted status.
    pub max: u16,
}

impl StatusRange {
    /// Exactly `status`.
    pub fn exact(status: u16) -> Self {
        StatusRange {
            min: status,
            max: status,
        }
    }

    /// Any 2xx (the default).
    pub fn success() -> Self {
        StatusRange { min: 200, max: 299 }
    }

    /// Whether `status` is accepted.
    pub fn contains(&self, status: u16) -> bool {
        (self.min..=self.max).contains(&status)
    }
}

impl Default for StatusRange {
    fn default() -> Self {
        StatusRange::success()
    }
}

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeCheck {
    /// Open a TCP connection to `host:port` (the name is resolved first).
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// `GET url` and compare the status; redirects are not followed.
    Http {
        /// An `http://` or `https://` URL.
        url: String,
        /// The accepted statuses.
        expected: StatusRange,
    },
}

/// One thing to probe, with a name to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// The name shown on the page (`postgres`, `authentik`).
    pub name: String,
    /// What to do.
    pub check: ProbeCheck,
    /// This target's timeout; `None` uses [`Thresholds::warn`].
    pub timeout: Option<Duration>,
}

impl ProbeTarget {
    /// A TCP connect to `host:port`.
    pub fn tcp(name: impl Into<String>, host: impl Into<String>, port: u16) -> Self {
        ProbeTarget {
            name: name.into(),
            check: ProbeCheck::Tcp {
                host: host.into(),
                port,
            },
            timeout: None,
        }
    }

    /// A GET of `url` expecting a 2xx.
    pub fn http(name: impl Into<String>, url: impl Into<String>) -> Self {
        ProbeTarget {
            name: name.into(),
            check: ProbeCheck::Http {
                url: url.into(),
                expected: StatusRange::success(),
            },
            timeout: None,
        }
    }

    /// Sets the accepted statuses of an HTTP target (no effect on TCP).
    pub fn expect_status(mut self, range: StatusRange) -> Self {
        if let ProbeCheck::Http { expected, .. } = &mut self.check {
            *expected = range;
        }
        self
    }

    /// Sets this target's timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// Where `ok` ends and what the default timeout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A success within this is `ok` (500 ms).
    pub ok: Duration,
    /// A success within this is `warn`; also the timeout of targets without
    /// one (1.5 s). A success after it (with a longer timeout) is still `warn`.
    pub warn: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            ok: Duration::from_millis(500),
            warn: Duration::from_millis(1500),
        }
    }
}

/// A probe's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProbeStatus {
    /// Up and fast.
    Ok,
    /// Up but slow.
    Warn,
    /// Not reachable or not healthy.
    Down,
}

impl ProbeStatus {
    /// `ok`, `warn` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeStatus::Ok => "ok",
            ProbeStatus::Warn => "warn",
            ProbeStatus::Down => "down",
        }
    }
}

/// `ok`, `warn` or `down` as a JS string.
#[cfg(feature = "napi")]
impl napi::bindgen_prelude::ToNapiValue for ProbeStatus {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: napi's own conversion of a string, with the caller's `env`.
        unsafe { <&str as napi::bindgen_prelude::ToNapiValue>::to_napi_value(env, value.as_str()) }
    }
}

/// The outcome of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(object, object_from_js = false))]
pub struct ProbeResult {
    /// The target's name.
    pub name: String,
    /// The verdict.
    #[cfg_attr(feature = "napi", napi(ts_type = "'ok' | 'warn' | 'down'"))]
    pub status: ProbeStatus,
    /// How long the probe took, in milliseconds (until the connection, the
    /// response status or the failure; a JS number).
    pub latency_ms: u32,
    /// The HTTP status received (HTTP targets that got an answer).
    pub http_status: Option<u16>,
    /// Why it is down.
    pub error: Option<String>,
}

/// Probes every target in parallel with the default thresholds.
pub async fn probe_all(targets: &[ProbeTarget]) -> Vec<ProbeResult> {
    probe_all_with(targets, Thresholds::default()).await
}

/// Probes every target in parallel; results are in the order of `targets`.
pub async fn probe_all_with(targets: &[ProbeTarget], thresholds: Thresholds) -> Vec<ProbeResult> {
    let client = http_client();
    join_all(
        targets
            .iter()
            .map(|target| probe(target, thresholds, client.as_ref())),
    )
    .await
}

fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("dezky-health/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

async fn probe(
    target: &ProbeTarget,
    thresholds: Thresholds,
    client: Result<&reqwest::Client, &String>,
) -> ProbeResult {
    let timeout = target.timeout.unwrap_or(thresholds.warn);
    let start = Instant::now();
    let outcome = match &target.check {
        ProbeCheck::Tcp { host, port } => tokio::time::timeout(timeout, tcp(host, *port)).await,
        ProbeCheck::Http { url, expected } => match client {
            Ok(client) => tokio::time::timeout(timeout, http(client, url, *expected)).await,
            Err(e) => Ok(Err((None, format!("cannot build an HTTP client: {e}")))),
        },
    };
    let elapsed = start.elapsed();
    let latency_ms = u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX);
    let (status, http_status, error) = match outcome {
        Ok(Ok(http_status)) => {
            let status = if elapsed <= thresholds.ok {
                ProbeStatus::Ok
            } else {
                ProbeStatus::Warn
            };
            (status, http_status, None)
        }
        Ok(Err((http_status, error))) => (ProbeStatus::Down, http_status, Some(error)),
        Err(_) => (
            ProbeStatus::Down,
            None,
            Some(format!("timed out after {} ms", timeout.as_millis())),
        ),
    };
    ProbeResult {
        name: target.name.clone(),
        status,
        latency_ms,
        http_status,
        error,
    }
}

type Outcome = Result<Option<u16>, (Option<u16>, String)>;

async fn tcp(host: &str, port: u16) -> Outcome {
    let host = host.trim();
    if host.is_empty() || port == 0 {
        return Err((
            None,
            "invalid target: needs a host and a port from 1 to 65535".into(),
        ));
    }
    // An IPv6 literal may come in brackets.
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| (None, format!("cannot resolve {host}: {e}")))?
        .collect();
    if addresses.is_empty() {
        return Err((None, format!("cannot resolve {host}: no addresses")));
    }
    let mut last = String::new();
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(_) => return Ok(None),
            Err(e) => last = format!("cannot connect to {address}: {e}"),
        }
    }
    Err((None, last))
}

async fn http(client: &reqwest::Client, url: &str, expected: StatusRange) -> Outcome {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|e| (None, format!("invalid target: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err((None, "invalid target: the URL must be http or https".into()));
    }
    let response = client
        .get(parsed)
        .send()
        .await
        .map_err(|e| (None, describe(&e)))?;
    let status = response.status().as_u16();
    if expected.contains(status) {
        Ok(Some(status))
    } else if expected.min == expected.max {
        Err((
            Some(status),
            format!("status {status}, expected {}", expected.min),
        ))
    } else {
        Err((
            Some(status),
            format!(
                "status {status}, expected {}-{}",
                expected.min, expected.max
            ),
        ))
    }
}

/// reqwest's message without the URL, with the innermost cause (which says
/// "connection refused", "failed to lookup address", ...).
fn describe(error: &reqwest::Error) -> String {
    let mut message = if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
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
    message
}
