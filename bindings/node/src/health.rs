//! Health probes (`probeAll`) over `dezky_clients::health`: TCP connects and
//! HTTP GETs in parallel, each `ok`, `warn` or `down` with its latency.
//! Conversion only; the rules are in `dezky-clients` (docs/health.md).

use std::time::Duration;

use dezky_clients::Error;
use dezky_clients::health::{self, ProbeTarget, StatusRange, Thresholds};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::convert;
use crate::error::IntoJs;
use crate::options::{invalid, required, text, whole};

/// The outcome of one target.
#[napi(object, object_from_js = false)]
pub struct ProbeResult {
    /// The target's name.
    pub name: String,
    /// The verdict.
    #[napi(ts_type = "'ok' | 'warn' | 'down'")]
    pub status: String,
    /// How long the probe took, in milliseconds.
    pub latency_ms: f64,
    /// The HTTP status received (HTTP targets that got an answer).
    pub http_status: Option<u16>,
    /// Why it is down.
    pub error: Option<String>,
}

impl From<health::ProbeResult> for ProbeResult {
    fn from(r: health::ProbeResult) -> Self {
        ProbeResult {
            name: r.name,
            status: r.status.as_str().to_owned(),
            latency_ms: r.latency_ms as f64,
            http_status: r.http_status,
            error: r.error,
        }
    }
}

/// One target: `{ name, type: 'tcp', host, port }` or
/// `{ name, type: 'http', url, expectedStatus? }` (a status or
/// `{ min, max }`; default any 2xx), each with an optional `timeoutMs`.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct ProbeTargetInput {
    /// The name shown.
    pub name: String,
    /// What to do.
    #[napi(js_name = "type", ts_type = "'tcp' | 'http'")]
    pub kind: String,
    /// TCP: host name or IP address.
    pub host: Option<String>,
    /// TCP: port.
    pub port: Option<u16>,
    /// HTTP: the URL to GET.
    pub url: Option<String>,
    /// HTTP: the accepted status, or range.
    #[napi(ts_type = "number | { min: number, max: number }")]
    pub expected_status: Option<Value>,
    /// This target's timeout (default: `warnMs` of the thresholds, 1500).
    pub timeout_ms: Option<u32>,
}

/// Where `ok` ends (`okMs`, default 500) and the default timeout (`warnMs`, default 1500).
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct ProbeThresholds {
    /// A success within this many ms is `ok`.
    pub ok_ms: Option<u32>,
    /// A success within this is `warn`; also the default timeout.
    pub warn_ms: Option<u32>,
}

fn status(value: &Value, path: &str) -> Result<u16, Error> {
    value
        .as_u64()
        .filter(|s| (100..=599).contains(s))
        .map(|s| s as u16)
        .ok_or_else(|| invalid(path, "must be an HTTP status from 100 to 599"))
}

/// Reads targets (camelCase keys) into probe targets; shared with nothing else.
fn targets(value: &Value) -> Result<Vec<ProbeTarget>, Error> {
    let Value::Array(items) = value else {
        return Err(invalid("targets", "must be an array"));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let path = format!("targets[{index}]");
            let Value::Object(map) = item else {
                return Err(invalid(&path, "must be an object"));
            };
            let name = required(map, "name", &path)?;
            let kind = text(map, "type", &path)?.unwrap_or_default();
            let mut target = match kind.as_str() {
                "tcp" => {
                    let host = required(map, "host", &path)?;
                    let port = whole(map, "port", &path, 65535)?
                        .ok_or_else(|| invalid(&format!("{path}.port"), "is required"))?;
                    ProbeTarget::tcp(name, host, port as u16)
                }
                "http" => {
                    let url = required(map, "url", &path)?;
                    let mut target = ProbeTarget::http(name, url);
                    let field = format!("{path}.expectedStatus");
                    match map.get("expectedStatus") {
                        None | Some(Value::Null) => {}
                        Some(Value::Object(range)) => {
                            let min = status(
                                range.get("min").unwrap_or(&Value::Null),
                                &format!("{field}.min"),
                            )?;
                            let max = status(
                                range.get("max").unwrap_or(&Value::Null),
                                &format!("{field}.max"),
                            )?;
                            if min > max {
                                return Err(invalid(&field, "min must not exceed max"));
                            }
                            target = target.expect_status(StatusRange { min, max });
                        }
                        Some(other) => {
                            target =
                                target.expect_status(StatusRange::exact(status(other, &field)?));
                        }
                    }
                    target
                }
                _ => return Err(invalid(&format!("{path}.type"), "must be 'tcp' or 'http'")),
            };
            if let Some(ms) = whole(map, "timeoutMs", &path, 600_000)?.filter(|ms| *ms > 0) {
                target = target.with_timeout(Duration::from_millis(ms));
            }
            Ok(target)
        })
        .collect()
}

fn thresholds(value: &Value) -> Result<Thresholds, Error> {
    let mut thresholds = Thresholds::default();
    match value {
        Value::Null => {}
        Value::Object(map) => {
            if let Some(ms) = whole(map, "okMs", "thresholds", 600_000)? {
                thresholds.ok = Duration::from_millis(ms);
            }
            if let Some(ms) = whole(map, "warnMs", "thresholds", 600_000)?.filter(|ms| *ms > 0) {
                thresholds.warn = Duration::from_millis(ms);
            }
        }
        _ => return Err(invalid("thresholds", "must be an object")),
    }
    Ok(thresholds)
}

/// Probes every target in parallel; the results are in the order of `targets`.
/// A malformed target list throws `DEZKY_INVALID_ARGUMENT`; an unreachable
/// target is a `down` result, never an exception.
#[napi(
    ts_args_type = "targets: ProbeTargetInput[], thresholds?: ProbeThresholds | null | undefined",
    ts_return_type = "Promise<ProbeResult[]>"
)]
pub fn probe_all<'e>(
    env: &'e Env,
    targets_arg: Unknown<'_>,
    thresholds_arg: Option<Unknown<'_>>,
) -> napi::Result<PromiseRaw<'e, Vec<ProbeResult>>> {
    let parsed = (|| -> napi::Result<(Vec<ProbeTarget>, Thresholds)> {
        let list = convert::json(env, &targets_arg, "targets").js(env)?;
        let limits = match thresholds_arg.as_ref().filter(|t| !convert::is_missing(t)) {
            Some(t) => convert::json(env, t, "thresholds").js(env)?,
            None => Value::Null,
        };
        Ok((targets(&list).js(env)?, thresholds(&limits).js(env)?))
    })();
    let (list, limits) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return PromiseRaw::reject(env, e),
    };
    env.spawn_future_with_callback(
        async move { Ok(health::probe_all_with(&list, limits).await) },
        |_env: &Env, results| {
            Ok(results
                .into_iter()
                .map(ProbeResult::from)
                .collect::<Vec<_>>())
        },
    )
}
