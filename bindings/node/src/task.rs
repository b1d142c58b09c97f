//! Client calls as JS promises: the call runs on the runtime and the promise
//! settles with its converted value, or rejects with its error's JS form.

use std::future::Future;

use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};

use crate::error::{IntoJs, SdkError};

/// Runs `future` on the runtime; the promise resolves with `map` of its value
/// or rejects with its error (with the error's stable `code`).
pub(crate) fn spawn<'e, F, T, E, U, M>(
    env: &'e Env,
    future: F,
    map: M,
) -> napi::Result<PromiseRaw<'e, U>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: SdkError + Send + 'static,
    U: ToNapiValue,
    M: FnOnce(T) -> U + 'static,
{
    env.spawn_future_with_callback(async move { Ok(future.await) }, move |env: &Env, r| {
        r.map(map).js(env)
    })
}

/// A promise-returning client method: `call!(env, client, |c| body, map)` runs
/// `body` (a future, with `c` a clone of `client`) through [`spawn`];
/// `call!(env, client, args, |c, a| body, map)` first reads the arguments
/// (`args`, a `napi::Result`), and a bad one rejects the promise.
macro_rules! call {
    ($env:expr, $client:expr, $args:expr, |$c:ident, $a:pat_param| $body:expr, $map:expr) => {{
        let args: napi::Result<_> = $args;
        match args {
            Err(e) => napi::bindgen_prelude::PromiseRaw::reject($env, e),
            Ok($a) => $crate::task::call!($env, $client, |$c| $body, $map),
        }
    }};
    ($env:expr, $client:expr, |$c:ident| $body:expr, $map:expr) => {{
        let $c = $client.clone();
        $crate::task::spawn($env, async move { $body.await }, $map)
    }};
}
pub(crate) use call;
