//! Where an upstream is and how patient to be with it.

use std::time::Duration;

use reqwest::Url;

use crate::error::{Error, Result};

/// When and how often a failed request is tried again.
///
/// Only requests that are safe to repeat are retried: idempotent methods
/// (GET, HEAD, PUT, DELETE, OPTIONS), requests marked idempotent by their
/// client, and requests that carry an idempotency key. A connection that
/// could not be established is retried for any method, since nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub base_delay: Duration,
    /// The longest backoff between two attempts.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client waits for; a longer one fails
    /// at once with the wait in [`crate::UpstreamError::retry_after`].
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (0-based): exponential, capped, with
    /// full jitter (a uniform draw between zero and the capped step) so that many
    /// clients do not retry in step.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
            .min(self.max_delay);
        exponential.mul_f64(fastrand::f64())
    }
}

/// The base URL, timeouts and retry policy of one upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// The URL every request path is appended to (`https://sso.example/api/v3`).
    pub base_url: Url,
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// How long one attempt may take, from sending to the last body byte.
    pub timeout: Duration,
    /// When failed requests are retried.
    pub retry: RetryPolicy,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl HttpConfig {
    /// A configuration for `base_url` with the defaults: connect timeout 5 s,
    /// timeout 30 s, two retries. The URL must be http(s) and carry no
    /// credentials, query or fragment; a trailing slash is ignored.
    pub fn new(base_url: &str) -> Result<Self> {
        Ok(HttpConfig {
            base_url: parse_base_url("base_url", base_url)?,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: concat!("dezky-sdk/", env!("CARGO_PKG_VERSION")).to_owned(),
        })
    }

    /// Reads the configuration from the environment variables of the control
    /// plane: `<PREFIX>_API_URL` (required), and optionally
    /// `<PREFIX>_TIMEOUT_MS`, `<PREFIX>_CONNECT_TIMEOUT_MS` and
    /// `<PREFIX>_MAX_RETRIES`. For example `AUTHENTIK_API_URL`, `OCIS_API_URL`.
    pub fn from_env(prefix: &str) -> Result<Self> {
        Self::from_lookup(prefix, |name| std::env::var(name).ok())
    }

    /// [`HttpConfig::from_env`] over any lookup, for tests and for callers
    /// that keep their settings elsewhere.
    pub fn from_lookup(prefix: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let url_var = format!("{prefix}_API_URL");
        let url = lookup(&url_var)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::Config {
                field: url_var.clone(),
                reason: "is not set".into(),
            })?;
        let mut config = HttpConfig::new(url.trim()).map_err(|e| rename_field(e, &url_var))?;
        let millis = |name: String| -> Result<Option<Duration>> {
            match lookup(&name) {
                None => Ok(None),
                Some(value) => match value.trim().parse::<u64>() {
                    Ok(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms))),
                    _ => Err(Error::Config {
                        field: name,
                        reason: format!("{value:?} is not a positive number of milliseconds"),
                    }),
                },
            }
        };
        if let Some(timeout) = millis(format!("{prefix}_TIMEOUT_MS"))? {
            config.timeout = timeout;
        }
        if let Some(timeout) = millis(format!("{prefix}_CONNECT_TIMEOUT_MS"))? {
            config.connect_timeout = timeout;
        }
        let retries_var = format!("{prefix}_MAX_RETRIES");
        if let Some(value) = lookup(&retries_var) {
            config.retry.max_retries = value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 10)
                .ok_or(Error::Config {
                    field: retries_var,
                    reason: format!("{value:?} is not a whole number from 0 to 10"),
                })?;
        }
        Ok(config)
    }

    /// Applies timeouts and a retry count given as options (a binding's
    /// constructor), with the bounds of the environment variables: timeouts
    /// above zero and at most a day, at most 10 retries. The error names the
    /// option as `ClientOptions` does (`timeout`, `connect_timeout`, `max_retries`).
    pub fn with_options(mut self, options: ClientOptions) -> Result<Self> {
        let day = Duration::from_secs(86_400);
        let check = |name: &str, value: Option<Duration>| match value {
            Some(d) if d.is_zero() || d > day => {
                Err(Error::invalid(name, "must be above zero and at most a day"))
            }
            other => Ok(other),
        };
        if let Some(timeout) = check("timeout", options.timeout)? {
            self.timeout = timeout;
        }
        if let Some(timeout) = check("connect_timeout", options.connect_timeout)? {
            self.connect_timeout = timeout;
        }
        if let Some(retries) = options.max_retries {
            if retries > 10 {
                return Err(Error::invalid(
                    "max_retries",
                    "must be a whole number from 0 to 10",
                ));
            }
            self.retry.max_retries = retries;
        }
        Ok(self)
    }

    /// Sets the timeout of one attempt.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// Timeouts and retries chosen by the caller; `None` keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// How long one attempt may take.
    pub timeout: Option<Duration>,
    /// How long establishing a connection may take.
    pub connect_timeout: Option<Duration>,
    /// Retries after the first attempt (0-10).
    pub max_retries: Option<u32>,
}

fn rename_field(error: Error, field: &str) -> Error {
    match error {
        Error::Config { reason, .. } => Error::Config {
            field: field.to_owned(),
            reason,
        },
        other => other,
    }
}

/// Parses an http(s) base URL without credentials, query or fragment, and
/// without a trailing slash on its path.
pub(crate) fn parse_base_url(field: &str, value: &str) -> Result<Url> {
    let config = |reason: String| Error::Config {
        field: field.to_owned(),
        reason,
    };
    let mut url = Url::parse(value).map_err(|e| config(format!("not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config(format!(
            "scheme {:?} is not http or https",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config(
            "must not carry credentials; configure the token or password instead".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config("must not have a query or fragment".into()));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(1),
        };
        for retry in 0..40 {
            let wait = policy.backoff(retry);
            let cap = Duration::from_millis(100 * (1u64 << retry.min(20))).min(policy.max_delay);
            assert!(wait <= cap, "retry {retry}: {wait:?} vs {cap:?}");
        }
    }

    #[test]
    fn backoff_is_full_jitter() {
        // Uniform over [0, step]: over many draws some waits fall in the lower half
        // of the step, some in the upper half, and the draws are not all alike.
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(1000),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(1),
        };
        let step = policy.max_delay;
        let waits: Vec<Duration> = (0..400).map(|_| policy.backoff(3)).collect();
        assert!(waits.iter().all(|w| *w <= step));
        assert!(waits.iter().any(|w| *w < step / 4), "{waits:?}");
        assert!(waits.iter().any(|w| *w > step * 3 / 4), "{waits:?}");
        let mut distinct = waits.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 300, "{} distinct waits", distinct.len());
    }

    #[test]
    fn env_lookup_reads_the_control_plane_names() {
        let vars = [
            ("OCIS_API_URL", "https://files.example/graph/"),
            ("OCIS_TIMEOUT_MS", "1500"),
            ("OCIS_MAX_RETRIES", "0"),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let config = HttpConfig::from_lookup("OCIS", lookup).expect("config");
        assert_eq!(config.base_url.as_str(), "https://files.example/graph");
        assert_eq!(config.timeout, Duration::from_millis(1500));
        assert_eq!(config.retry.max_retries, 0);
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
    }

    #[test]
    fn options_are_bounded_like_the_environment() {
        let base = HttpConfig::new("https://mail.example").expect("config");
        let applied = base
            .clone()
            .with_options(ClientOptions {
                timeout: Some(Duration::from_millis(1500)),
                connect_timeout: None,
                max_retries: Some(0),
            })
            .expect("valid options");
        assert_eq!(applied.timeout, Duration::from_millis(1500));
        assert_eq!(applied.connect_timeout, base.connect_timeout);
        assert_eq!(applied.retry.max_retries, 0);
        for (options, field) in [
            (
                ClientOptions {
                    timeout: Some(Duration::ZERO),
                    ..Default::default()
                },
                "timeout",
            ),
            (
                ClientOptions {
                    connect_timeout: Some(Duration::from_secs(90_000)),
                    ..Default::default()
                },
                "connect_timeout",
            ),
            (
                ClientOptions {
                    max_retries: Some(11),
                    ..Default::default()
                },
                "max_retries",
            ),
        ] {
            let error = base
                .clone()
                .with_options(options)
                .expect_err("out of bounds");
            assert!(
                matches!(&error, Error::InvalidInput { field: f, .. } if f == field),
                "{error:?}"
            );
        }
    }

    #[test]
    fn env_lookup_names_the_bad_variable() {
        let missing = HttpConfig::from_lookup("AUTHENTIK", |_| None).expect_err("missing");
        assert!(matches!(missing, Error::Config { ref field, .. } if field == "AUTHENTIK_API_URL"));
        let bad = HttpConfig::from_lookup("AUTHENTIK", |name| match name {
            "AUTHENTIK_API_URL" => Some("https://sso.example".into()),
            "AUTHENTIK_TIMEOUT_MS" => Some("soon".into()),
            _ => None,
        })
        .expect_err("bad timeout");
        assert!(matches!(bad, Error::Config { ref field, .. } if field == "AUTHENTIK_TIMEOUT_MS"));
        let creds = HttpConfig::from_lookup("AUTHENTIK", |name| {
            (name == "AUTHENTIK_API_URL").then(|| "https://admin:hunter2@sso.example".into())
        })
        .expect_err("credentials in URL");
        assert!(!creds.to_string().contains("hunter2"));
    }
}
