//! Health probes (`probe_all`, `probe_all_sync`) over `dezky_clients::health`.
//! Conversion only; the rules are in `dezky-clients` (docs/health.md).
//! Targets are dicts (`{"name", "type": "tcp", "host", "port"}` or
//! `{"name", "type": "http", "url", "expected_status"}`, each with an
//! optional `"timeout"` in seconds); results are dicts.

use std::time::Duration;

use dezky_clients::Error;
use dezky_clients::authentik::ToJson;
use dezky_clients::health::{self, ProbeResult, ProbeTarget, StatusRange, Thresholds};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert;
use crate::error;
use crate::runtime;

fn invalid(field: String, reason: &str) -> PyErr {
    error::raise(Error::InvalidInput {
        field,
        reason: reason.to_owned(),
    })
}

fn item<'py>(map: &Bound<'py, PyDict>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(map.get_item(name)?.filter(|v| !v.is_none()))
}

fn text(map: &Bound<'_, PyDict>, name: &str, path: &str) -> PyResult<Option<String>> {
    match item(map, name)? {
        None => Ok(None),
        Some(v) => v
            .extract::<String>()
            .map(Some)
            .map_err(|_| invalid(format!("{path}.{name}"), "must be a str")),
    }
}

fn status(value: &Bound<'_, PyAny>, path: &str) -> PyResult<u16> {
    value
        .extract::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| invalid(path.to_owned(), "must be an HTTP status from 100 to 599"))
}

fn seconds(value: Option<Bound<'_, PyAny>>, path: &str) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(v) => match v.extract::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 && s <= 600.0 => Ok(Some(Duration::from_secs_f64(s))),
            _ => Err(invalid(
                path.to_owned(),
                "must be a number of seconds above 0, at most 600",
            )),
        },
    }
}

fn target(index: usize, value: &Bound<'_, PyAny>) -> PyResult<ProbeTarget> {
    let path = format!("targets[{index}]");
    let map = value
        .cast::<PyDict>()
        .map_err(|_| invalid(path.clone(), "must be a dict"))?;
    let name =
        text(map, "name", &path)?.ok_or_else(|| invalid(format!("{path}.name"), "is required"))?;
    let kind = text(map, "type", &path)?.unwrap_or_default();
    let mut target = match kind.as_str() {
        "tcp" => {
            let host = text(map, "host", &path)?
                .ok_or_else(|| invalid(format!("{path}.host"), "is required"))?;
            let port = item(map, "port")?
                .and_then(|p| p.extract::<u16>().ok())
                .ok_or_else(|| invalid(format!("{path}.port"), "must be a port from 0 to 65535"))?;
            ProbeTarget::tcp(name, host, port)
        }
        "http" => {
            let url = text(map, "url", &path)?
                .ok_or_else(|| invalid(format!("{path}.url"), "is required"))?;
            let mut target = ProbeTarget::http(name, url);
            let field = format!("{path}.expected_status");
            if let Some(expected) = item(map, "expected_status")? {
                let range = if let Ok(pair) = expected.cast::<PyTuple>() {
                    if pair.len() != 2 {
                        return Err(invalid(field, "must be a status or a (min, max) tuple"));
                    }
                    let min = status(&pair.get_item(0)?, &field)?;
                    let max = status(&pair.get_item(1)?, &field)?;
                    if min > max {
                        return Err(invalid(field, "min must not exceed max"));
                    }
                    StatusRange { min, max }
                } else {
                    StatusRange::exact(status(&expected, &field)?)
                };
                target = target.expect_status(range);
            }
            target
        }
        _ => return Err(invalid(format!("{path}.type"), "must be 'tcp' or 'http'")),
    };
    if let Some(timeout) = seconds(item(map, "timeout")?, &format!("{path}.timeout"))? {
        target = target.with_timeout(timeout);
    }
    Ok(target)
}

fn parse(
    targets: &Bound<'_, PyAny>,
    ok: Option<f64>,
    warn: Option<f64>,
) -> PyResult<(Vec<ProbeTarget>, Thresholds)> {
    if targets.is_instance_of::<pyo3::types::PyString>() {
        return Err(invalid("targets".into(), "must be a list of dicts"));
    }
    let list = targets
        .try_iter()
        .map_err(|_| invalid("targets".into(), "must be a list of dicts"))?;
    let mut parsed = Vec::new();
    for (index, value) in list.enumerate() {
        parsed.push(target(index, &value?)?);
    }
    let mut thresholds = Thresholds::default();
    if let Some(ok) = ok {
        if !(ok.is_finite() && (0.0..=600.0).contains(&ok)) {
            return Err(invalid("ok".into(), "must be seconds from 0 to 600"));
        }
        thresholds.ok = Duration::from_secs_f64(ok);
    }
    if let Some(warn) = warn {
        if !(warn.is_finite() && warn > 0.0 && warn <= 600.0) {
            return Err(invalid(
                "warn".into(),
                "must be seconds above 0, at most 600",
            ));
        }
        thresholds.warn = Duration::from_secs_f64(warn);
    }
    Ok((parsed, thresholds))
}

/// The results as dicts: their serde form, whose TypedDict `dezky._health_records` is generated
/// from (support/bindgen).
fn results_any(py: Python<'_>, results: Vec<ProbeResult>) -> PyResult<Bound<'_, PyAny>> {
    convert::to_py(py, &results.to_json())
}

/// Probes every target in parallel; results are in the order of `targets`. A malformed target
/// raises `InvalidArgumentError`; an unreachable one is a `down` result.
#[pyfunction]
#[pyo3(signature = (
    targets: "Iterable[Mapping[str, Any]]",
    *,
    ok = None,
    warn = None,
) -> "Coroutine[Any, Any, list[_health.ProbeResult]]")]
pub(crate) fn probe_all<'py>(
    py: Python<'py>,
    targets: &Bound<'py, PyAny>,
    ok: Option<f64>,
    warn: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let (list, thresholds) = parse(targets, ok, warn)?;
    runtime::coroutine(
        py,
        async move { Ok::<_, Error>(health::probe_all_with(&list, thresholds).await) },
        results_any,
    )
}

/// :func:`probe_all`, blocking.
#[pyfunction]
#[pyo3(signature = (targets: "Iterable[Mapping[str, Any]]", *, ok = None, warn = None) -> "list[_health.ProbeResult]")]
pub(crate) fn probe_all_sync<'py>(
    py: Python<'py>,
    targets: &Bound<'py, PyAny>,
    ok: Option<f64>,
    warn: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let (list, thresholds) = parse(targets, ok, warn)?;
    let results = runtime::block_on(py, "probe_all_sync", async move {
        health::probe_all_with(&list, thresholds).await
    })?;
    results_any(py, results)
}
