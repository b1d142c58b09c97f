//! The HTTP status of an error code, from the core's one table
//! (`dezky_core::http`); `toHttpError` (lib/index.cjs) builds the answer.

use napi_derive::napi;

/// The HTTP status for a stable error code (`DEZKY_FORBIDDEN` → 403); a code
/// the table does not know is 500.
#[napi]
pub fn http_status(code: String) -> u16 {
    dezky_core::http::http_status(&code)
}

/// The table: every code with its HTTP status, as `[code, status]` pairs.
#[napi(ts_return_type = "Array<[string, number]>")]
pub fn http_statuses() -> Vec<(String, u16)> {
    dezky_core::http::HTTP_STATUSES
        .iter()
        .map(|(code, status)| ((*code).to_owned(), *status))
        .collect()
}

/// The `Retry-After` seconds for an answer of `status` whose error asked to
/// wait `retryAfterMs` (rounded up; only for 429 and 503), or `null`.
#[napi]
pub fn retry_after_seconds(status: u16, retry_after_ms: Option<f64>) -> Option<f64> {
    let ms = retry_after_ms.filter(|ms| ms.is_finite() && *ms >= 0.0)? as u64;
    dezky_core::http::retry_after_seconds(status, Some(ms)).map(|s| s as f64)
}
