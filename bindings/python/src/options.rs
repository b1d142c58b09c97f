//! Reading the keyword options the client constructors share.

use std::time::Duration;

use dezky_clients::Error;
use dezky_clients::http::{ClientOptions, HttpConfig};
use pyo3::prelude::*;

use crate::error::{self, IntoPyResult};

/// `DEZKY_INVALID_ARGUMENT` naming `field`.
pub(crate) fn invalid(field: &str, reason: &str) -> PyErr {
    error::raise(Error::InvalidInput {
        field: field.to_owned(),
        reason: reason.to_owned(),
    })
}

/// A number of seconds as a `Duration`; refuses what is not a finite,
/// non-negative number (the client decides the bounds).
pub(crate) fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| invalid(name, "must be a finite, non-negative number of seconds"))
}

/// The HTTP configuration of a client from `base_url` and the shared keyword
/// options `timeout` and `connect_timeout` (seconds) and `max_retries`.
pub(crate) fn http_config(
    base_url: &str,
    timeout: Option<f64>,
    connect_timeout: Option<f64>,
    max_retries: Option<u32>,
) -> PyResult<HttpConfig> {
    let options = ClientOptions {
        timeout: timeout.map(|t| seconds("timeout", t)).transpose()?,
        connect_timeout: connect_timeout
            .map(|t| seconds("connect_timeout", t))
            .transpose()?,
        max_retries,
    };
    HttpConfig::new(base_url).py()?.with_options(options).py()
}
