//! `FlagStore`: the refreshing in-memory snapshot, with a background refresher
//! on napi's tokio runtime and change notifications through a ThreadsafeFunction.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use dezky_clients::Secret;
use dezky_clients::flags::HttpFlagSource;
use dezky_flags::{FileSource, RefreshOutcome, RefresherHandle, StoreOptions, Subscription};
use napi::Env;
use napi::bindgen_prelude::{
    ClassInstance, Either, Function, PromiseRaw, Uint32ArraySlice, Unknown,
};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{self, FlagSetArg};
use crate::error::{IntoJs, invalid_argument};
use crate::flags::{CompiledContext, ContextArg, FlagSet, with_context, write_bits};
use crate::types::Evaluation;

/// Where a store's flags come from. Everything after `open` (refresh,
/// background refresher, notifications) is shared by the sources.
enum SourceSpec {
    /// A JSON file holding an array of flag documents.
    File(PathBuf),
    /// The control plane's `GET /flags`, revalidated with `If-None-Match`.
    Http(HttpFlagSource),
}

impl SourceSpec {
    async fn open(self, options: StoreOptions) -> dezky_flags::Result<dezky_flags::FlagStore> {
        match self {
            SourceSpec::File(path) => {
                dezky_flags::FlagStore::connect(FileSource::new(path), options).await
            }
            SourceSpec::Http(source) => dezky_flags::FlagStore::connect(source, options).await,
        }
    }
}

/// Refresh timing, in milliseconds. Every field is optional.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct FlagStoreOptions {
    /// Time between refreshes while the source is healthy (default 30000).
    pub interval_ms: Option<f64>,
    /// The longest wait between retries while the source fails (default 300000).
    pub max_backoff_ms: Option<f64>,
    /// After how long without a successful fetch the snapshot counts as stale (default 120000).
    pub stale_after_ms: Option<f64>,
}

/// `FlagStoreOptions` plus the control plane's API token.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct HttpFlagStoreOptions {
    /// Sent as `Authorization: Bearer <token>`. Never appears in errors or `status()`.
    pub token: Option<String>,
    /// Time between refreshes while the source is healthy (default 30000).
    pub interval_ms: Option<f64>,
    /// The longest wait between retries while the source fails (default 300000).
    pub max_backoff_ms: Option<f64>,
    /// After how long without a successful fetch the snapshot counts as stale (default 120000).
    pub stale_after_ms: Option<f64>,
}

/// Reads the store options; `token` only where `with_token` (the HTTP source).
/// Unknown options are refused, naming the option, so that a misspelt one
/// cannot silently keep its default.
fn options(
    env: &Env,
    value: &Unknown<'_>,
    with_token: bool,
) -> dezky_flags::Result<(StoreOptions, Option<Secret>)> {
    let mut options = StoreOptions::default();
    let mut token = None;
    for (name, value) in convert::options(env, value, "options")?.unwrap_or_default() {
        let slot = match name.as_str() {
            "intervalMs" => &mut options.interval,
            "maxBackoffMs" => &mut options.max_backoff,
            "staleAfterMs" => &mut options.stale_after,
            "token" if with_token => {
                // The value is never quoted in an error: it is a secret.
                token = match value {
                    Value::Null => None,
                    Value::String(t) if t.trim().is_empty() => {
                        return Err(invalid_argument("token", "must not be empty"));
                    }
                    Value::String(t) => Some(Secret::new(t)),
                    _ => return Err(invalid_argument("token", "must be a string")),
                };
                continue;
            }
            _ => {
                let expected = if with_token {
                    "token, intervalMs, maxBackoffMs or staleAfterMs"
                } else {
                    "intervalMs, maxBackoffMs or staleAfterMs"
                };
                return Err(invalid_argument(
                    &name,
                    format!("unknown option (expected {expected})"),
                ));
            }
        };
        match value {
            Value::Null => {}
            Value::Number(n) => match n.as_f64() {
                Some(ms) if ms.is_finite() && (0.0..=1e12).contains(&ms) => {
                    *slot = Duration::from_secs_f64(ms / 1000.0);
                }
                _ => {
                    return Err(invalid_argument(
                        &name,
                        format!("must be a number of milliseconds, got {n}"),
                    ));
                }
            },
            _ => return Err(invalid_argument(&name, "must be a number of milliseconds")),
        }
    }
    Ok((options, token))
}

/// The store's health, for an operator page or a readiness probe.
#[napi(object, object_from_js = false)]
pub struct StoreStatus {
    /// The source (a file path or URL), if any.
    pub source: Option<String>,
    /// Flags in the current snapshot.
    pub flag_count: u32,
    /// Milliseconds since the source last delivered or confirmed the snapshot.
    pub age_ms: f64,
    /// Whether `ageMs` exceeds the configured `staleAfterMs`.
    pub stale: bool,
    /// The version (ETag, content hash) of the snapshot.
    pub version: Option<String>,
    /// Failed refreshes since the last success.
    pub consecutive_failures: u32,
    /// The last refresh error, kept until a refresh succeeds.
    pub last_error: Option<String>,
    /// The stable code of the last refresh error (`DEZKY_FLAG_SOURCE`, ...).
    pub last_error_code: Option<String>,
    /// Whether the background refresher is running.
    pub refreshing: bool,
}

/// What one refresh did.
#[napi(object, object_from_js = false)]
pub struct RefreshResult {
    /// `unchanged` (the source confirmed the snapshot) or `updated` (a new set was swapped in).
    #[napi(ts_type = "'unchanged' | 'updated'")]
    pub outcome: String,
    /// The keys added, removed or changed, sorted (empty when unchanged).
    pub changed: Vec<String>,
}

impl From<RefreshOutcome> for RefreshResult {
    fn from(outcome: RefreshOutcome) -> Self {
        match outcome {
            RefreshOutcome::Updated { changed } => RefreshResult {
                outcome: "updated".into(),
                changed,
            },
            _ => RefreshResult {
                outcome: "unchanged".into(),
                changed: Vec::new(),
            },
        }
    }
}

type Subscriptions = Arc<Mutex<HashMap<u64, Subscription>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An in-memory flag snapshot, refreshed from a source without blocking evaluation
/// and swapped atomically. Evaluation is synchronous; only refreshing is async.
#[napi]
pub struct FlagStore {
    inner: dezky_flags::FlagStore,
    refresher: Mutex<Option<RefresherHandle>>,
    /// The store keeps the subscriptions, so a listener stays registered even if
    /// its `ChangeSubscription` handle is garbage-collected.
    subscriptions: Subscriptions,
    next_subscription: AtomicU64,
}

impl FlagStore {
    fn wrap(inner: dezky_flags::FlagStore) -> Self {
        FlagStore {
            inner,
            refresher: Mutex::new(None),
            subscriptions: Arc::default(),
            next_subscription: AtomicU64::new(0),
        }
    }
}

#[napi]
impl FlagStore {
    /// A store serving a fixed set, without source; `replace` swaps it.
    #[napi(constructor, ts_args_type = "flags: FlagSet | FlagDocument[] | string")]
    pub fn new(env: Env, flags: FlagSetArg<'_>) -> napi::Result<Self> {
        let set = convert::flag_set(flags).js(&env)?;
        Ok(FlagStore::wrap(dezky_flags::FlagStore::new(set)))
    }

    /// Opens a store on a JSON file of flag documents, loading it once; rejects
    /// (`DEZKY_FLAG_SOURCE`, `DEZKY_INVALID_FLAG`, ...) if the first load fails.
    /// Call `start()` to refresh in the background.
    #[napi(
        configurable,
        ts_args_type = "path: string, options?: FlagStoreOptions",
        ts_return_type = "Promise<FlagStore>"
    )]
    pub fn from_file<'e>(
        env: &'e Env,
        path: String,
        options: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, FlagStore>> {
        let (options, _) = self::options(env, &options, false).js(env)?;
        open(env, SourceSpec::File(PathBuf::from(path)), options)
    }

    /// Opens a store on the control plane's `GET /flags` (`url` is the full URL),
    /// loading it once; rejects if the first fetch fails (`DEZKY_FLAG_SOURCE`,
    /// `DEZKY_INVALID_FLAG`, ...). Throws `DEZKY_CONFIG` for an unusable URL (not
    /// http(s), or with credentials in it: pass `token`). Refreshes send
    /// `If-None-Match` with the last ETag; a 304 keeps the snapshot and counts as
    /// confirmed. Call `start()` to refresh in the background.
    #[napi(
        configurable,
        ts_args_type = "url: string, options?: HttpFlagStoreOptions",
        ts_return_type = "Promise<FlagStore>"
    )]
    pub fn from_http<'e>(
        env: &'e Env,
        url: String,
        options: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, FlagStore>> {
        let (options, token) = self::options(env, &options, true).js(env)?;
        let source = HttpFlagSource::new(&url, token).js(env)?;
        open(env, SourceSpec::Http(source), options)
    }

    /// The current snapshot.
    #[napi]
    pub fn flags(&self) -> FlagSet {
        FlagSet::new(self.inner.flags())
    }

    /// Evaluates one flag of the current snapshot.
    #[napi(ts_args_type = "key: string, context: EvaluationContext | CompiledContext")]
    pub fn evaluate(
        &self,
        env: Env,
        key: String,
        context: ContextArg<'_>,
    ) -> napi::Result<Evaluation> {
        with_context(&env, context, |context| {
            self.inner.evaluate(&key, context).into()
        })
    }

    /// `context` checked and converted once (see `FlagSet.compileContext`).
    #[napi(ts_args_type = "context: EvaluationContext")]
    pub fn compile_context(&self, env: Env, context: Unknown<'_>) -> napi::Result<CompiledContext> {
        CompiledContext::new(env, context)
    }

    /// `evaluateAllInto` of the current snapshot (see `FlagSet.evaluateAllInto`),
    /// provided it is still `known`: then the bits are in `out` and the result
    /// is `null`. Otherwise nothing is written and the result is the current
    /// snapshot, which the caller evaluates instead (and keeps as its next `known`).
    /// Static, like `FlagSet.evaluateAllInto`.
    #[napi(
        ts_args_type = "store: FlagStore, context: CompiledContext, known: FlagSet | null, out: Uint32Array"
    )]
    pub fn evaluate_all_into(
        env: Env,
        store: ClassInstance<'_, FlagStore>,
        context: ClassInstance<'_, CompiledContext>,
        known: Either<ClassInstance<'_, FlagSet>, Unknown<'_>>,
        out: Uint32ArraySlice<'_>,
    ) -> napi::Result<Option<FlagSet>> {
        let snapshot = store.inner.flags();
        match known {
            Either::A(known) if known.inner.same_snapshot(&snapshot) => {
                let mut out = out;
                // SAFETY: the view is only written here, on the JS thread, during this call.
                write_bits(&env, &snapshot.evaluate_all(&context.inner), unsafe {
                    out.as_mut()
                })?;
                Ok(None)
            }
            _ => Ok(Some(FlagSet::new(snapshot))),
        }
    }

    /// `evaluateAll` as a bitset (see `FlagSet.evaluateAllBits`), provided the
    /// current snapshot is still `known`; otherwise the current snapshot, which
    /// the caller evaluates instead (and keeps as its next `known`). The check
    /// and the evaluation use one snapshot, so a concurrent refresh can never
    /// pair bits with the keys of another set. The JS layer's `evaluateAll`
    /// goes through here.
    #[napi(
        ts_args_type = "context: EvaluationContext, known: FlagSet | null",
        ts_return_type = "Uint32Array | FlagSet"
    )]
    pub fn evaluate_all_bits<'e>(
        &self,
        env: &'e Env,
        context: Unknown<'_>,
        known: Either<ClassInstance<'_, FlagSet>, Unknown<'_>>,
    ) -> napi::Result<Either<Uint32ArraySlice<'e>, FlagSet>> {
        let context = convert::context(env, &context).js(env)?;
        let snapshot = self.inner.flags();
        Ok(match known {
            Either::A(known) if known.inner.same_snapshot(&snapshot) => {
                Either::A(crate::flags::bits(env, &snapshot.evaluate_all(&context))?)
            }
            _ => Either::B(FlagSet::new(snapshot)),
        })
    }

    /// Fetches from the source once, off the event loop. On failure the current
    /// snapshot stays, the error is recorded in `status()`, and the promise rejects.
    #[napi(ts_return_type = "Promise<RefreshResult>")]
    pub fn refresh<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, RefreshResult>> {
        let store = self.inner.clone();
        env.spawn_future_with_callback(async move { Ok(store.refresh().await) }, |env, result| {
            result.map(RefreshResult::from).js(env)
        })
    }

    /// Starts refreshing in the background on napi's tokio runtime: now, then
    /// every `intervalMs`, backing off while the source fails. Does not keep the
    /// process alive. Calling it again while running does nothing.
    #[napi]
    pub fn start(&self, env: Env) -> napi::Result<()> {
        let mut refresher = lock(&self.refresher);
        if refresher.as_ref().is_some_and(|r| !r.is_finished()) {
            return Ok(());
        }
        let store = self.inner.clone();
        let handle =
            napi::bindgen_prelude::within_runtime_if_available(move || store.spawn_refresher());
        *refresher = Some(handle.js(&env)?);
        Ok(())
    }

    /// Stops the background refresher (if running).
    #[napi]
    pub fn stop(&self) {
        lock(&self.refresher).take();
    }

    /// The store's health.
    #[napi]
    pub fn status(&self) -> StoreStatus {
        let status = self.inner.status();
        StoreStatus {
            source: status.source,
            flag_count: status.flag_count as u32,
            age_ms: status.age.as_secs_f64() * 1000.0,
            stale: status.stale,
            version: status.version,
            consecutive_failures: status.consecutive_failures,
            last_error: status.last_error,
            last_error_code: status.last_error_code,
            refreshing: lock(&self.refresher)
                .as_ref()
                .is_some_and(|r| !r.is_finished()),
        }
    }

    /// Swaps in a new set now (for example right after an operator's change),
    /// notifies `onChange` listeners, and returns the changed keys.
    #[napi(ts_args_type = "flags: FlagSet | FlagDocument[] | string")]
    pub fn replace(&self, env: Env, flags: FlagSetArg<'_>) -> napi::Result<Vec<String>> {
        let set = convert::flag_set(flags).js(&env)?;
        Ok(self.inner.replace(set))
    }

    /// Calls `callback` with the sorted changed keys after every swap that changes
    /// a flag (refresh or `replace`). Calls are delivered asynchronously on the
    /// event loop and do not keep the process alive. Returns the handle that unsubscribes.
    #[napi(ts_args_type = "callback: (changedKeys: string[]) => void")]
    pub fn on_change(
        &self,
        callback: Function<'_, Vec<String>, ()>,
    ) -> napi::Result<ChangeSubscription> {
        let tsfn = callback
            .build_threadsafe_function::<Vec<String>>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        let subscription = self.inner.subscribe(move |changed| {
            tsfn.call(changed.to_vec(), ThreadsafeFunctionCallMode::NonBlocking);
        });
        let id = self.next_subscription.fetch_add(1, Ordering::Relaxed);
        lock(&self.subscriptions).insert(id, subscription);
        Ok(ChangeSubscription {
            subscriptions: self.subscriptions.clone(),
            id,
        })
    }

    /// Stops the refresher and removes every `onChange` listener.
    #[napi]
    pub fn close(&self) {
        self.stop();
        lock(&self.subscriptions).clear();
    }
}

fn open<'e>(
    env: &'e Env,
    source: SourceSpec,
    options: StoreOptions,
) -> napi::Result<PromiseRaw<'e, FlagStore>> {
    env.spawn_future_with_callback(
        async move { Ok(source.open(options).await) },
        |env, result| result.map(FlagStore::wrap).js(env),
    )
}

/// The handle `onChange` returns.
#[napi]
pub struct ChangeSubscription {
    subscriptions: Subscriptions,
    id: u64,
}

#[napi]
impl ChangeSubscription {
    /// Removes the listener. Calling it again does nothing.
    #[napi]
    pub fn unsubscribe(&self) {
        lock(&self.subscriptions).remove(&self.id);
    }

    /// Whether the listener is still registered.
    #[napi(getter)]
    pub fn active(&self) -> bool {
        lock(&self.subscriptions).contains_key(&self.id)
    }
}
