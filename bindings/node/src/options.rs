//! Reading option objects (client options, new records) that arrive as JSON,
//! so that a wrong type is a `DEZKY_INVALID_ARGUMENT` naming the field by its
//! path (`options.timeoutMs`, `customer.email`).

use std::time::Duration;

use dezky_clients::Error;
use dezky_clients::http::{ClientOptions, HttpConfig};
use serde_json::{Map, Value};

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// The largest integer a JS number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `DEZKY_INVALID_ARGUMENT` naming `field`.
pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// `path.name`, or `name` at the top level.
pub(crate) fn field_name(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The object `value`, or an error naming it.
pub(crate) fn object<'a>(value: &'a Value, name: &str) -> Result<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| invalid(name, "must be an object"))
}

/// An optional string member (`null` counts as absent).
pub(crate) fn text(map: &Map<String, Value>, name: &str, path: &str) -> Result<Option<String>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(&field_name(path, name), "must be a string")),
    }
}

/// A required string member.
pub(crate) fn required(map: &Map<String, Value>, name: &str, path: &str) -> Result<String> {
    text(map, name, path)?.ok_or_else(|| invalid(&field_name(path, name), "is required"))
}

/// An optional boolean member.
pub(crate) fn flag(map: &Map<String, Value>, name: &str, path: &str) -> Result<Option<bool>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(&field_name(path, name), "must be a boolean")),
    }
}

/// A whole number from 0 to `max`, exact as JS numbers are up to 2^53.
pub(crate) fn whole_number(value: &Value, field: &str, max: u64) -> Result<u64> {
    let number = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(f))
                .map(|f| f as u64)
        }),
        _ => None,
    };
    number
        .filter(|n| *n <= max)
        .ok_or_else(|| invalid(field, format!("must be a whole number from 0 to {max}")))
}

/// An optional whole-number member from 0 to `max`.
pub(crate) fn whole(
    map: &Map<String, Value>,
    name: &str,
    path: &str,
    max: u64,
) -> Result<Option<u64>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => whole_number(value, &field_name(path, name), max).map(Some),
    }
}

/// The HTTP configuration of a client from its options object: `baseUrl`
/// (required unless `default_base_url` is given), `timeoutMs`,
/// `connectTimeoutMs` and `maxRetries`. The client decides the bounds.
pub(crate) fn http_config(
    map: &Map<String, Value>,
    path: &str,
    default_base_url: Option<&str>,
) -> Result<HttpConfig> {
    let base_url = match (text(map, "baseUrl", path)?, default_base_url) {
        (Some(url), _) => url,
        (None, Some(default)) => default.to_owned(),
        (None, None) => return Err(invalid(&field_name(path, "baseUrl"), "is required")),
    };
    let millis = |name: &str| -> Result<Option<Duration>> {
        Ok(whole(map, name, path, u64::from(u32::MAX))?.map(Duration::from_millis))
    };
    let rename = |e: Error| match e {
        Error::InvalidInput { field, reason } => {
            let js = match field.as_str() {
                "timeout" => "timeoutMs",
                "connect_timeout" => "connectTimeoutMs",
                "max_retries" => "maxRetries",
                other => other,
            };
            invalid(&field_name(path, js), reason)
        }
        other => other,
    };
    let options = ClientOptions {
        timeout: millis("timeoutMs")?,
        connect_timeout: millis("connectTimeoutMs")?,
        max_retries: whole(map, "maxRetries", path, u64::from(u32::MAX))?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
    };
    HttpConfig::new(&base_url)?
        .with_options(options)
        .map_err(rename)
}
