//! What the clients share: the HTTP settings of their options (`baseUrl`,
//! `timeoutMs`, `connectTimeoutMs`, `maxRetries`), whole numbers (they arrive
//! as JS numbers; napi checks only the type), and promise-returning methods.

use std::time::Duration;

use dezky_clients::Error;
use dezky_clients::http::{ClientOptions, HttpConfig};
use napi::Env;

use crate::error::IntoJs;

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// The largest integer a JS number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// `DEZKY_INVALID_ARGUMENT` naming `field`.
pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// `value` as a whole number from 0 to `max`, or an error naming `field`.
pub(crate) fn whole(value: f64, field: &str, max: u64) -> Result<u64> {
    if value.fract() == 0.0 && value >= 0.0 && value <= max.min(MAX_SAFE_INTEGER) as f64 {
        Ok(value as u64)
    } else {
        Err(invalid(
            field,
            format!("must be a whole number from 0 to {max}"),
        ))
    }
}

/// [`whole`] for an optional value.
pub(crate) fn whole_opt(value: Option<f64>, field: &str, max: u64) -> Result<Option<u64>> {
    value.map(|v| whole(v, field, max)).transpose()
}

/// A record id (an Authentik pk, a byte count): a whole number up to 2^53-1.
pub(crate) fn id(value: f64, field: &str) -> Result<i64> {
    whole(value, field, MAX_SAFE_INTEGER).map(|n| n as i64)
}

/// Declares a client's options object: its own fields as written, then the
/// HTTP settings every client shares (`timeoutMs`, `connectTimeoutMs`,
/// `maxRetries`), which `http_config(base_url)` reads. Doc lines are
/// string literals, so that the TypeScript docs read them as written.
macro_rules! client_options {
    ($($doc:literal)* $name:ident { $(
        $($fdoc:literal)* $field:ident: $($ty:ident)::+ $(<$($arg:ty),+>)?,
    )* }) => {
        $(#[doc = $doc])*
        #[napi_derive::napi(object, object_to_js = false)]
        pub struct $name {
            // A field's type is re-emitted as a plain path (not a `ty`
            // fragment) so that napi recognises `Option` as an optional field.
            $($(#[doc = $fdoc])* pub $field: $($ty)::+ $(<$($arg),+>)?,)*
            /// Time for one attempt (default 30000).
            pub timeout_ms: Option<f64>,
            /// Time to connect (default 5000).
            pub connect_timeout_ms: Option<f64>,
            /// Retries of safe requests (default 2, at most 10).
            pub max_retries: Option<f64>,
        }

        impl $name {
            fn http_config(
                &self,
                base_url: &str,
            ) -> $crate::options::Result<dezky_clients::http::HttpConfig> {
                let (timeout, connect) = (self.timeout_ms, self.connect_timeout_ms);
                $crate::options::http_config(base_url, timeout, connect, self.max_retries)
            }
        }
    };
}
pub(crate) use client_options;

/// A client from its options: `build` gets the HTTP configuration (`config`,
/// from the options' `http_config`); any error is thrown as a `DezkyError`
/// (an unusable option is `DEZKY_INVALID_ARGUMENT` or `DEZKY_CONFIG`, naming it).
pub(crate) fn new_client<T>(
    env: &Env,
    config: Result<HttpConfig>,
    build: impl FnOnce(HttpConfig) -> Result<T>,
) -> napi::Result<T> {
    config.and_then(build).js(env)
}

/// The HTTP configuration of a client from the options every client shares;
/// errors name the option (`options.timeoutMs`). The client decides the bounds.
pub(crate) fn http_config(
    base_url: &str,
    timeout_ms: Option<f64>,
    connect_timeout_ms: Option<f64>,
    max_retries: Option<f64>,
) -> Result<HttpConfig> {
    let max = u64::from(u32::MAX);
    let millis = |v: Option<f64>, name: &str| -> Result<Option<Duration>> {
        Ok(whole_opt(v, &format!("options.{name}"), max)?.map(Duration::from_millis))
    };
    let options = ClientOptions {
        timeout: millis(timeout_ms, "timeoutMs")?,
        connect_timeout: millis(connect_timeout_ms, "connectTimeoutMs")?,
        max_retries: whole_opt(max_retries, "options.maxRetries", max)?.map(|n| n as u32),
    };
    HttpConfig::new(base_url)?
        .with_options(options)
        .map_err(|e| match e {
            Error::InvalidInput { field, reason } => {
                let js = match field.as_str() {
                    "timeout" => "timeoutMs",
                    "connect_timeout" => "connectTimeoutMs",
                    "max_retries" => "maxRetries",
                    other => other,
                };
                invalid(&format!("options.{js}"), reason)
            }
            other => other,
        })
}

/// Converts every item of a list.
pub(crate) fn list<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

/// Declares promise-returning methods of a client class whose `inner` is the
/// `dezky_clients` client (`$client`). Each has its doc lines (string
/// literals, so that the TypeScript docs read them as written), typed
/// arguments, checks (an error rejects the promise), then `call` through
/// [`crate::task::call!`], with `c` a clone of the client:
///
/// ```ignore
/// " The user with pk `pk`."
/// fn get_user(pk: f64) -> AuthentikUser { let pk = id(pk, "pk")?; } |c| c.get_user(pk).await;
/// ```
macro_rules! promise_methods {
    ($class:ident($client:ty) { $(
        $($doc:literal)*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty
            $({ $($check:stmt;)* })? |$c:ident| $call:expr;
    )* }) => {
        #[napi]
        impl $class { $(
            $(#[doc = $doc])*
            #[napi]
            pub fn $name<'e>(
                &self,
                env: &'e napi::Env,
                $($arg: $ty),*
            ) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'e, $ret>> {
                #[allow(clippy::redundant_closure_call)] // when there are no checks
                let call = (move || -> $crate::options::Result<_> {
                    $($($check;)*)?
                    Ok(move |$c: $client| async move { $call })
                })();
                let call = $crate::error::IntoJs::js(call, env);
                $crate::task::call!(env, self.inner, call, |c, call| call(c), <$ret>::from)
            }
        )* }
    };
}
pub(crate) use promise_methods;
