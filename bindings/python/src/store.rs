//! `FlagStore`: the refreshing in-memory snapshot and its change
//! subscriptions, over `dezky_flags::FlagStore` (which owns refreshing,
//! backoff, the background refresher and health).
//!
//! Sources: a JSON file ([`FileSource`]) and the control plane's `GET /flags`
//! with ETag revalidation ([`HttpFlagSource`] from `dezky-clients`), each
//! behind a blocking constructor and its awaitable twin.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use dezky_clients::Secret;
use dezky_clients::flags::HttpFlagSource;
use dezky_flags::{
    FileSource, FlagSet, FlagSource, FlagStore, RefreshOutcome, StoreOptions, StoreStatus,
    Subscription,
};
use pyo3::PyTraverseError;
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{self, IntoPyResult};
use crate::flags::{self, PyFlagSet};
use crate::{convert, runtime};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The control plane's `GET /flags`; a bad URL is `DEZKY_CONFIG`. The token only
/// ever lives in a `Secret`, which no message or `Debug` output shows.
fn http_source(url: &str, token: Option<String>) -> PyResult<Box<dyn FlagSource>> {
    Ok(Box::new(
        HttpFlagSource::new(url, token.map(Secret::new)).py()?,
    ))
}

/// The store's subscriptions: the core registration and the Python callback.
/// The callbacks are owned here (the core listener only looks them up by id),
/// so `__traverse__` can show them to the garbage collector: a callback that
/// refers back to its store (an OpenFeature provider does) forms a cycle that
/// Python can collect.
type Subscriptions = Mutex<HashMap<u64, (Subscription, Py<PyAny>)>>;

/// An in-memory flag snapshot, refreshed from a source without blocking evaluation.
///
/// `FlagStore(flags)` serves a fixed set (swap it with `replace`);
/// `FlagStore.from_file(path)` / `await FlagStore.connect_file(path)` load a
/// JSON file and refresh from it; `FlagStore.from_http(url, token=...)` /
/// `await FlagStore.connect_http(...)` do the same with the control plane's
/// `GET /flags` (ETag revalidation: an unchanged set costs a 304).
#[pyclass(frozen, weakref, name = "FlagStore", module = "dezky._dezky")]
pub(crate) struct PyFlagStore {
    inner: FlagStore,
    subscriptions: Arc<Subscriptions>,
    next_subscription: AtomicU64,
    /// The last snapshot evaluated, with its Python key strings.
    key_cache: Mutex<Option<Py<PyFlagSet>>>,
}

impl PyFlagStore {
    fn wrap(inner: FlagStore) -> Self {
        PyFlagStore {
            inner,
            subscriptions: Arc::new(Mutex::new(HashMap::new())),
            next_subscription: AtomicU64::new(0),
            key_cache: Mutex::new(None),
        }
    }
}

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        error::invalid_argument(
            name,
            format!("must be a finite number of seconds >= 0, got {value}"),
        )
    })
}

fn options(interval: f64, max_backoff: f64, stale_after: f64) -> PyResult<StoreOptions> {
    Ok(StoreOptions {
        interval: seconds("interval", interval)?,
        max_backoff: seconds("max_backoff", max_backoff)?,
        stale_after: seconds("stale_after", stale_after)?,
    })
}

fn outcome_dict<'py>(py: Python<'py>, outcome: &RefreshOutcome) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    match outcome {
        RefreshOutcome::Unchanged => {
            dict.set_item("outcome", "unchanged")?;
            dict.set_item("changed", PyList::empty(py))?;
        }
        RefreshOutcome::Updated { changed } => {
            dict.set_item("outcome", "updated")?;
            dict.set_item("changed", changed)?;
        }
    }
    Ok(dict.into_any())
}

fn status_dict<'py>(py: Python<'py>, status: &StoreStatus) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("source", &status.source)?;
    dict.set_item("flag_count", status.flag_count)?;
    dict.set_item("age", status.age.as_secs_f64())?;
    dict.set_item("stale", status.stale)?;
    dict.set_item("version", &status.version)?;
    dict.set_item("consecutive_failures", status.consecutive_failures)?;
    dict.set_item("last_error", &status.last_error)?;
    dict.set_item("last_error_code", &status.last_error_code)?;
    Ok(dict)
}

#[pymethods]
impl PyFlagStore {
    /// A store serving a fixed set (empty by default), without source; swap it
    /// with `replace`.
    #[new]
    #[pyo3(signature = (flags=None))]
    fn new(flags: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let set = match flags.filter(|f| !f.is_none()) {
            Some(flags) => flags::argument("flags", flags)?,
            None => FlagSet::default(),
        };
        Ok(PyFlagStore::wrap(FlagStore::new(set)))
    }

    /// Loads a JSON flag file now (raising `FlagSourceError` if it cannot) and
    /// refreshes from it. Times are in seconds. Call `start()` to refresh in the
    /// background.
    #[staticmethod]
    #[pyo3(signature = (path, *, interval=30.0, max_backoff=300.0, stale_after=120.0))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        interval: f64,
        max_backoff: f64,
        stale_after: f64,
    ) -> PyResult<Self> {
        let options = options(interval, max_backoff, stale_after)?;
        let connect = FlagStore::connect(FileSource::new(path), options);
        let store = runtime::block_on(py, "from_file", connect)?.py()?;
        Ok(PyFlagStore::wrap(store))
    }

    /// Awaitable twin of `from_file`.
    #[staticmethod]
    #[pyo3(signature = (path, *, interval=30.0, max_backoff=300.0, stale_after=120.0))]
    fn connect_file<'py>(
        py: Python<'py>,
        path: PathBuf,
        interval: f64,
        max_backoff: f64,
        stale_after: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(interval, max_backoff, stale_after)?;
        let connect = FlagStore::connect(FileSource::new(path), options);
        runtime::coroutine(py, connect, |py, store| {
            Ok(Bound::new(py, PyFlagStore::wrap(store))?.into_any())
        })
    }

    /// Loads the flag set from the control plane's `GET /flags` now and
    /// refreshes from it (ETag revalidation: an unchanged set costs a 304).
    ///
    /// `token` is sent as `Authorization: Bearer ...` and never appears in an
    /// exception, `repr` or `status()`. A URL that is not http(s), or that
    /// carries credentials, raises `ConfigError`; a failed first load raises
    /// `FlagSourceError`. Times are in seconds; call `start()` to refresh in
    /// the background.
    #[staticmethod]
    #[pyo3(signature = (url, token=None, *, interval=30.0, max_backoff=300.0, stale_after=120.0))]
    fn from_http(
        py: Python<'_>,
        url: &str,
        token: Option<String>,
        interval: f64,
        max_backoff: f64,
        stale_after: f64,
    ) -> PyResult<Self> {
        let options = options(interval, max_backoff, stale_after)?;
        let connect = FlagStore::connect(http_source(url, token)?, options);
        let store = runtime::block_on(py, "from_http", connect)?.py()?;
        Ok(PyFlagStore::wrap(store))
    }

    /// Awaitable twin of `from_http`.
    #[staticmethod]
    #[pyo3(signature = (url, token=None, *, interval=30.0, max_backoff=300.0, stale_after=120.0))]
    fn connect_http<'py>(
        py: Python<'py>,
        url: &str,
        token: Option<String>,
        interval: f64,
        max_backoff: f64,
        stale_after: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(interval, max_backoff, stale_after)?;
        let connect = FlagStore::connect(http_source(url, token)?, options);
        runtime::coroutine(py, connect, |py, store| {
            Ok(Bound::new(py, PyFlagStore::wrap(store))?.into_any())
        })
    }

    /// The current snapshot.
    fn flags(&self, py: Python<'_>) -> PyResult<PyFlagSet> {
        PyFlagSet::wrap(py, self.inner.flags())
    }

    /// Evaluates one flag of the current snapshot (see `FlagSet.evaluate`).
    #[pyo3(signature = (key, ctx=None, **kwargs))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        ctx: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let context = convert::context(ctx, kwargs)?;
        flags::evaluation_dict(py, &self.inner.evaluate(key, &context))
    }

    /// Evaluates every flag of the current snapshot: `{key: bool}`.
    #[pyo3(signature = (ctx=None, **kwargs))]
    fn evaluate_all<'py>(
        &self,
        py: Python<'py>,
        ctx: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let context = convert::context(ctx, kwargs)?;
        let all = self.inner.evaluate_all(&context);
        // The cache holds its set alive, so a newer snapshot cannot reuse its address.
        // The lock is never held while Python code (a GC pass) could run.
        let hit = lock(&self.key_cache)
            .as_ref()
            .filter(|set| set.get().is_set_of(&all))
            .map(|set| set.clone_ref(py));
        let cached = match hit {
            Some(set) => set,
            None => {
                let set = Py::new(py, PyFlagSet::wrap(py, all.flag_set().clone())?)?;
                let previous = lock(&self.key_cache).replace(set.clone_ref(py));
                drop(previous);
                set
            }
        };
        cached.get().evaluations_dict(py, &all)
    }

    /// Fetches from the source once: `{"outcome": "updated" | "unchanged", "changed": [...]}`.
    ///
    /// The fetch starts now, as a task of the running event loop (`RuntimeError`
    /// without one). On failure the current snapshot stays, the error shows in
    /// `status()`, and the task raises it (`FlagSourceError`, `MalformedJsonError`, ...).
    fn refresh<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
        let store = self.inner.clone();
        let fetch = runtime::coroutine(py, async move { store.refresh().await }, |py, outcome| {
            outcome_dict(py, &outcome)
        })?;
        event_loop.call_method1("create_task", (fetch,))
    }

    /// Synchronous twin of `refresh`, for scripts and notebooks.
    fn refresh_sync<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let store = self.inner.clone();
        let outcome =
            runtime::block_on(py, "refresh_sync", async move { store.refresh().await })?.py()?;
        outcome_dict(py, &outcome)
    }

    /// Starts refreshing in the background (idempotent).
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.start_on(runtime::get(py)?.handle()).py()
    }

    /// Stops the background refresher (idempotent).
    fn stop(&self) {
        self.inner.stop();
    }

    /// Whether the background refresher runs.
    #[getter]
    fn running(&self) -> bool {
        self.inner.is_running()
    }

    /// `{source, flag_count, age, stale, version, consecutive_failures,
    /// last_error, last_error_code}` (`age` in seconds).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        status_dict(py, &self.inner.status())
    }

    /// Swaps in a new set now and notifies subscribers; returns the changed keys.
    fn replace(&self, py: Python<'_>, flags: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let set = flags::argument("flags", flags)?;
        let store = self.inner.clone();
        // Listeners may run other threads' Python code; do not hold the GIL meanwhile.
        Ok(py.detach(move || store.replace(set)))
    }

    /// Calls `callback(changed_keys)` after each swap that changes a flag.
    ///
    /// The callback runs on the refreshing thread; exceptions it raises are
    /// reported through `sys.unraisablehook`. The subscription lasts until
    /// `unsubscribe()` (or the end of a `with` block) or until the store is gone.
    fn on_change(&self, callback: &Bound<'_, PyAny>) -> PyResult<PySubscription> {
        if !callback.is_callable() {
            return Err(error::wrong_type("callback", "a callable", callback));
        }
        let id = self.next_subscription.fetch_add(1, Ordering::Relaxed);
        let registry: Weak<Subscriptions> = Arc::downgrade(&self.subscriptions);
        let subscription = self.inner.subscribe(move |changed: &[String]| {
            Python::try_attach(|py| {
                let Some(registry) = registry.upgrade() else {
                    return;
                };
                let callback = lock(&registry).get(&id).map(|(_, cb)| cb.clone_ref(py));
                let Some(callback) = callback else { return };
                let callback = callback.bind(py);
                if let Err(e) = callback.call1((changed.to_vec(),)) {
                    e.write_unraisable(py, Some(callback));
                }
            });
        });
        lock(&self.subscriptions).insert(id, (subscription, callback.clone().unbind()));
        Ok(PySubscription {
            subscriptions: Arc::downgrade(&self.subscriptions),
            id,
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // Never wait here; a busy registry only makes this pass skip the cycle.
        if let Ok(subscriptions) = self.subscriptions.try_lock() {
            for (_, callback) in subscriptions.values() {
                visit.call(callback)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let taken: Vec<_> = lock(&self.subscriptions).drain().collect();
        drop(taken);
    }

    fn __repr__(&self) -> String {
        let status = self.inner.status();
        format!(
            "FlagStore(source={:?}, flags={})",
            status.source.unwrap_or_default(),
            status.flag_count
        )
    }
}

/// A flag-change subscription; lives until `unsubscribe()` or the store goes.
#[pyclass(frozen, name = "Subscription", module = "dezky._dezky")]
pub(crate) struct PySubscription {
    subscriptions: Weak<Subscriptions>,
    id: u64,
}

#[pymethods]
impl PySubscription {
    /// Ends the subscription (idempotent).
    fn unsubscribe(&self) {
        if let Some(subscriptions) = self.subscriptions.upgrade() {
            let removed = lock(&subscriptions).remove(&self.id);
            drop(removed); // outside the lock: unregisters from the core store
        }
    }

    /// Whether the callback is still registered.
    #[getter]
    fn active(&self) -> bool {
        self.subscriptions
            .upgrade()
            .is_some_and(|s| lock(&s).contains_key(&self.id))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.unsubscribe();
        false
    }
}
