//! Health probes (`probeAll`) over `dezky_clients::health`: TCP connects and
//! HTTP GETs in parallel, each `ok`, `warn` or `down` with its latency.
//! Conversion only; the rules are in `dezky-clients` (docs/health.md).

use std::time::Duration;

use dezky_clients::Error;
use dezky_clients::health::{self, ProbeResult, ProbeTarget, StatusRange, Thresholds};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;

use crate::error::to_js;
use crate::options::{Result, invalid, whole, whole_opt};
use crate::task::spawn;

/// One target: `{ name, type: 'tcp', host, port }` or
/// `{ name, type: 'http', url, expectedStatus? }` (a status or
/// `{ min, max }`; default any 2xx), each with an optional `timeoutMs`.
#[napi(object, object_to_js = false)]
pub struct ProbeTargetInput {
    /// The name shown.
    pub name: String,
    /// What to do.
    #[napi(js_name = "type", ts_type = "'tcp' | 'http'")]
    pub kind: String,
    /// TCP: host name or IP address.
    pub host: Option<String>,
    /// TCP: port.
    pub port: Option<f64>,
    /// HTTP: the URL to GET.
    pub url: Option<String>,
    /// HTTP: the accepted status, or range.
    #[napi(ts_type = "number | { min: number, max: number }")]
    pub expected_status: Option<Value>,
    /// This target's timeout (default: `warnMs` of the thresholds, 1500).
    pub timeout_ms: Option<f64>,
}

/// Where `ok` ends (`okMs`, default 500) and the default timeout (`warnMs`, default 1500).
#[napi(object, object_to_js = false)]
pub struct ProbeThresholds {
    /// A success within this many ms is `ok`.
    pub ok_ms: Option<f64>,
    /// A success within this is `warn`; also the default timeout.
    pub warn_ms: Option<f64>,
}

fn status(value: &Value, path: &str) -> Result<u16> {
    value
        .as_u64()
        .filter(|s| (100..=599).contains(s))
        .map(|s| s as u16)
        .ok_or_else(|| invalid(path, "must be an HTTP status from 100 to 599"))
}

fn target(index: usize, input: ProbeTargetInput) -> Result<ProbeTarget> {
    let path = format!("targets[{index}]");
    let required = |value: Option<String>, name: &str| {
        value.ok_or_else(|| invalid(&format!("{path}.{name}"), "is required"))
    };
    let mut target = match input.kind.as_str() {
        "tcp" => {
            let host = required(input.host, "host")?;
            let port = input
                .port
                .ok_or_else(|| invalid(&format!("{path}.port"), "is required"));
            let port = whole(port?, &format!("{path}.port"), 65535)?;
            ProbeTarget::tcp(input.name, host, port as u16)
        }
        "http" => {
            let target = ProbeTarget::http(input.name, required(input.url, "url")?);
            let field = format!("{path}.expectedStatus");
            match input.expected_status {
                None | Some(Value::Null) => target,
                Some(Value::Object(range)) => {
                    let bound = |name: &str| {
                        status(
                            range.get(name).unwrap_or(&Value::Null),
                            &format!("{field}.{name}"),
                        )
                    };
                    let (min, max) = (bound("min")?, bound("max")?);
                    if min > max {
                        return Err(invalid(&field, "min must not exceed max"));
                    }
                    target.expect_status(StatusRange { min, max })
                }
                Some(other) => target.expect_status(StatusRange::exact(status(&other, &field)?)),
            }
        }
        _ => return Err(invalid(&format!("{path}.type"), "must be 'tcp' or 'http'")),
    };
    let timeout = whole_opt(input.timeout_ms, &format!("{path}.timeoutMs"), 600_000)?;
    if let Some(ms) = timeout.filter(|ms| *ms > 0) {
        target = target.with_timeout(Duration::from_millis(ms));
    }
    Ok(target)
}

fn thresholds(input: Option<ProbeThresholds>) -> Result<Thresholds> {
    let mut thresholds = Thresholds::default();
    if let Some(input) = input {
        if let Some(ms) = whole_opt(input.ok_ms, "thresholds.okMs", 600_000)? {
            thresholds.ok = Duration::from_millis(ms);
        }
        if let Some(ms) =
            whole_opt(input.warn_ms, "thresholds.warnMs", 600_000)?.filter(|ms| *ms > 0)
        {
            thresholds.warn = Duration::from_millis(ms);
        }
    }
    Ok(thresholds)
}

/// Probes every target in parallel; the results are in the order of `targets`.
/// A malformed target list throws `DEZKY_INVALID_ARGUMENT`; an unreachable
/// target is a `down` result, never an exception.
#[napi]
pub fn probe_all<'e>(
    env: &'e Env,
    targets: Vec<ProbeTargetInput>,
    thresholds: Option<ProbeThresholds>,
) -> napi::Result<PromiseRaw<'e, Vec<ProbeResult>>> {
    let parsed = (|| -> Result<_> {
        let checked = targets.into_iter().enumerate().map(|(i, t)| target(i, t));
        Ok((
            checked.collect::<Result<Vec<_>>>()?,
            self::thresholds(thresholds)?,
        ))
    })();
    let (targets, limits) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return PromiseRaw::reject(env, to_js(env, &e)),
    };
    let probes = async move { Ok::<_, Error>(health::probe_all_with(&targets, limits).await) };
    spawn(env, probes, |results| results)
}
