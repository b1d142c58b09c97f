//! The HTTP answer of an SDK error, for servers built on the SDK
//! (`docs/portal.md`): one table from the stable code to a status, and the
//! response body `{code, message, details}` with `Retry-After` where the
//! error says how long to wait. The Node helper `toHttpError` and Rust
//! services (`examples/axum`) both answer from this table.

use dezky_flags::contract::{Detail, ErrorContract};
use serde_json::{Map, Value, json};

/// The status of every stable code, in the order of `docs/errors.md`. A code
/// missing here (a newer one) answers [`DEFAULT_STATUS`].
pub const HTTP_STATUSES: &[(&str, u16)] = &[
    ("DEZKY_MALFORMED_JSON", 400),
    ("DEZKY_INVALID_FLAG", 400),
    ("DEZKY_DUPLICATE_FLAG", 400),
    ("DEZKY_INVALID_CONTEXT", 400),
    ("DEZKY_FLAG_NOT_FOUND", 404),
    ("DEZKY_INVALID_ARGUMENT", 400),
    ("DEZKY_FLAG_SOURCE", 503),
    ("DEZKY_ZONE_PARSE", 400),
    ("DEZKY_TOKEN_MALFORMED", 401),
    ("DEZKY_TOKEN_BAD_SIGNATURE", 401),
    ("DEZKY_TOKEN_EXPIRED", 401),
    ("DEZKY_TOKEN_NOT_YET_VALID", 401),
    ("DEZKY_TOKEN_UNKNOWN_ISSUER", 401),
    ("DEZKY_TOKEN_WRONG_AUDIENCE", 401),
    ("DEZKY_TOKEN_UNKNOWN_KEY", 401),
    ("DEZKY_AUTH_CONFIG", 500),
    ("DEZKY_AUTH_KEYS_UNAVAILABLE", 503),
    ("DEZKY_ILLEGAL_TRANSITION", 409),
    ("DEZKY_VERSION_CONFLICT", 409),
    ("DEZKY_TENANT_INACTIVE", 403),
    ("DEZKY_FORBIDDEN", 403),
    ("DEZKY_CONFIG", 500),
    ("DEZKY_TRANSPORT", 502),
    ("DEZKY_TIMEOUT", 504),
    ("DEZKY_NOT_FOUND", 404),
    ("DEZKY_ALREADY_EXISTS", 409),
    ("DEZKY_IN_USE", 409),
    ("DEZKY_UPSTREAM_REJECTED", 422),
    ("DEZKY_UPSTREAM_UNAUTHORIZED", 502),
    ("DEZKY_UPSTREAM_FORBIDDEN", 502),
    ("DEZKY_RATE_LIMITED", 429),
    ("DEZKY_PAYMENT_FAILED", 402),
    ("DEZKY_UPSTREAM_UNAVAILABLE", 503),
    ("DEZKY_UPSTREAM", 502),
    ("DEZKY_UPSTREAM_DECODE", 502),
    ("DEZKY_SERVICE_LOGIN_REQUIRED", 503),
    ("DEZKY_CREDENTIAL_STORE", 500),
    ("DEZKY_DNS_RESOLVER", 502),
    ("DEZKY_WEBHOOK_SIGNATURE", 400),
];

/// The status of a code the table does not know, and of errors that are not
/// the SDK's.
pub const DEFAULT_STATUS: u16 = 500;

/// The HTTP status for a stable error code.
pub fn http_status(code: &str) -> u16 {
    HTTP_STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(DEFAULT_STATUS, |(_, status)| *status)
}

/// The `Retry-After` value, in whole seconds rounded up, for a wait in
/// milliseconds; only a rate-limited or unavailable answer carries one.
pub fn retry_after_seconds(status: u16, retry_after_ms: Option<u64>) -> Option<u64> {
    match status {
        429 | 503 => retry_after_ms.map(|ms| ms.div_ceil(1000).max(1)),
        _ => None,
    }
}

/// An error as an HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpError {
    /// The status, from [`HTTP_STATUSES`].
    pub status: u16,
    /// The body: `{code, message, details}`, the details under their
    /// camelCase names (`retry_after_ms` → `retryAfterMs`), as in Node.
    pub body: Value,
    /// `Retry-After` in seconds, for a 429 or 503 whose error said how long.
    pub retry_after: Option<u64>,
}

/// `upstream_code` → `upstreamCode`.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn detail_json(detail: Detail) -> Option<Value> {
    Some(match detail {
        Detail::Absent => return None,
        Detail::Text { value } => Value::String(value),
        Detail::Integer { value } => Value::from(value),
        Detail::TextList { values } => json!(values),
        Detail::TextMap { entries } => json!(entries),
        Detail::TextListMap { entries } => json!(entries),
    })
}

/// The HTTP answer of an SDK error: its code's status, the body, and
/// `Retry-After` from its `retry_after_ms` detail.
pub fn http_error(error: &impl ErrorContract) -> HttpError {
    let status = http_status(error.code());
    let mut details = Map::new();
    let mut retry_after_ms = None;
    for (name, detail) in error.details() {
        if name == "retry_after_ms"
            && let Detail::Integer { value } = &detail
        {
            retry_after_ms = u64::try_from(*value).ok();
        }
        if let Some(value) = detail_json(detail) {
            details.insert(camel_case(name), value);
        }
    }
    HttpError {
        status,
        body: json!({
            "code": error.code(),
            "message": error.message(),
            "details": details,
        }),
        retry_after: retry_after_seconds(status, retry_after_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_flags_and_core_crates_has_a_row() {
        for code in dezky_flags::Error::CODES.iter().chain(crate::Error::CODES) {
            assert!(
                HTTP_STATUSES.iter().any(|(c, _)| c == code),
                "{code} has no HTTP status"
            );
        }
        let mut codes: Vec<&str> = HTTP_STATUSES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), HTTP_STATUSES.len(), "a code is listed twice");
    }

    #[test]
    fn statuses_by_code() {
        assert_eq!(http_status("DEZKY_INVALID_ARGUMENT"), 400);
        assert_eq!(http_status("DEZKY_TOKEN_EXPIRED"), 401);
        assert_eq!(http_status("DEZKY_FORBIDDEN"), 403);
        assert_eq!(http_status("DEZKY_ILLEGAL_TRANSITION"), 409);
        assert_eq!(http_status("DEZKY_RATE_LIMITED"), 429);
        assert_eq!(http_status("DEZKY_TIMEOUT"), 504);
        assert_eq!(http_status("DEZKY_SOMETHING_NEW"), 500);
        assert_eq!(http_status(""), 500);
    }

    #[test]
    fn retry_after_rounds_up_and_only_for_429_and_503() {
        assert_eq!(retry_after_seconds(429, Some(1500)), Some(2));
        assert_eq!(retry_after_seconds(503, Some(1)), Some(1));
        assert_eq!(retry_after_seconds(429, Some(0)), Some(1));
        assert_eq!(retry_after_seconds(429, None), None);
        assert_eq!(retry_after_seconds(409, Some(1000)), None);
    }

    #[test]
    fn the_body_holds_code_message_and_camel_case_details() {
        let error = crate::Error::Invalid {
            field: "member.email".into(),
            reason: "must be an address".into(),
        };
        let answer = http_error(&error);
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body["code"], "DEZKY_INVALID_ARGUMENT");
        assert_eq!(answer.body["details"]["field"], "member.email");
        assert_eq!(answer.body["message"], error.to_string());
        assert_eq!(answer.retry_after, None);
        let transition = crate::Error::examples()
            .into_iter()
            .find(|e| e.code() == "DEZKY_ILLEGAL_TRANSITION")
            .expect("an example");
        let answer = http_error(&transition);
        assert_eq!(answer.status, 409);
        assert!(answer.body["details"].get("fromStatus").is_some());
    }
}
