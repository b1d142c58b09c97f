//! The process-wide tokio runtime owned by this module, and the one way a
//! Rust future becomes a Python coroutine ([`coroutine`]: PyO3's own
//! coroutine type, driving a task spawned on this runtime).
//!
//! tokio does not survive `fork()`: the child inherits the runtime's state but
//! none of its worker threads, so its first `block_on` or spawned task would
//! wait forever. The runtime is therefore tagged with the pid that built it and
//! rebuilt lazily in any other process. `dezky/__init__.py` also registers
//! [`reset_after_fork`] with `os.register_at_fork(after_in_child=...)`, the
//! Python-side equivalent of lancedb's `pthread_atfork` child handler, which
//! keeps this crate free of `unsafe`.
//!
//! The runtime lock is only taken while attached to the interpreter (every
//! accessor takes a `Python` token). `os.fork()` forks while holding the GIL,
//! so no other thread can hold this lock at the moment of a fork, and the child
//! never inherits it locked.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};

use pyo3::intern;
use pyo3::prelude::*;
use tokio::runtime::{Builder, Runtime};
use tokio::task::AbortHandle;

use crate::error;

struct Owned {
    pid: u32,
    runtime: &'static Runtime,
}

static RUNTIME: Mutex<Option<Owned>> = Mutex::new(None);

fn lock() -> MutexGuard<'static, Option<Owned>> {
    RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The runtime of this process, built on first use (and again after a fork).
///
/// Runtimes are leaked on purpose: the one a forked child inherits has no
/// threads, and dropping it there could block on them.
pub(crate) fn get(_py: Python<'_>) -> PyResult<&'static Runtime> {
    let pid = std::process::id();
    let mut slot = lock();
    if let Some(owned) = slot.as_ref().filter(|o| o.pid == pid) {
        return Ok(owned.runtime);
    }
    let runtime = Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(4)
        .thread_name("dezky-runtime")
        .enable_all()
        .build()
        .map_err(|e| {
            error::invalid_argument("runtime", format!("cannot start the tokio runtime: {e}"))
        })?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *slot = Some(Owned { pid, runtime });
    Ok(runtime)
}

/// Forgets the runtime inherited from the parent; the next use builds a fresh one.
#[pyfunction]
pub(crate) fn reset_after_fork(_py: Python<'_>) {
    let mut slot = lock();
    if slot.as_ref().is_some_and(|o| o.pid != std::process::id()) {
        *slot = None;
    }
}

/// The pid of the process whose runtime is current, or `None` before first use.
#[pyfunction]
pub(crate) fn runtime_pid(_py: Python<'_>) -> Option<u32> {
    lock().as_ref().map(|o| o.pid)
}

/// Refuses to block inside the runtime (a callback running on a worker thread
/// calling a synchronous method would otherwise panic in `block_on`).
pub(crate) fn ensure_not_in_runtime(what: &str) -> PyResult<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(error::invalid_argument(
            what,
            "cannot block inside a Dezky callback; use the awaitable variant or schedule it elsewhere",
        ));
    }
    Ok(())
}

/// Runs `fut` to completion on the runtime, detached from the interpreter.
pub(crate) fn block_on<F, T>(py: Python<'_>, what: &str, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    ensure_not_in_runtime(what)?;
    let runtime = get(py)?;
    Ok(py.detach(|| runtime.block_on(fut)))
}

/// An operation's future, once boxed: what a coroutine drives.
type Task = Pin<Box<dyn Future<Output = PyResult<Py<PyAny>>> + Send>>;

/// The future a coroutine has not started yet.
#[pyclass(frozen)]
struct Pending(Mutex<Option<Task>>);

/// Aborts the spawned task when its coroutine is dropped unfinished
/// (cancelled, or never awaited to the end).
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The coroutine PyO3 builds around a pending operation.
#[pyfunction(name = "operation")]
async fn drive(pending: Py<Pending>) -> PyResult<Py<PyAny>> {
    let task = pending
        .get()
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    match task {
        Some(task) => task.await,
        None => Err(error::invalid_argument(
            "coroutine",
            "this operation was already awaited",
        )),
    }
}

/// A Python coroutine of `fut`'s converted result. Nothing runs until it is
/// awaited; then `fut` runs on the runtime (so the event loop stays free), and
/// a coroutine dropped before the end aborts it.
pub(crate) fn coroutine<'py, F, T, E>(
    py: Python<'py>,
    fut: F,
    convert: Convert<T>,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: error::SdkError + Send + 'static,
{
    let task: Task = Box::pin(async move {
        // Awaited outside a running event loop: `RuntimeError`, as asyncio's own.
        let runtime = Python::attach(|py| {
            py.import(intern!(py, "asyncio"))?
                .call_method0(intern!(py, "get_running_loop"))?;
            get(py)
        })?;
        let handle = runtime.spawn(fut);
        let _abort = AbortOnDrop(handle.abort_handle());
        let result = handle.await.map_err(|e| {
            error::invalid_argument("runtime", format!("the operation did not finish: {e}"))
        })?;
        Python::attach(|py| {
            let value = result.map_err(|e| error::to_py(py, &e))?;
            convert(py, value).map(Bound::unbind)
        })
    });
    let pending = Pending(Mutex::new(Some(task)));
    wrap_pyfunction!(drive, py)?.call1((pending,))
}

/// Converts an operation's result into its Python value.
pub(crate) type Convert<T> = for<'a> fn(Python<'a>, T) -> PyResult<Bound<'a, PyAny>>;

/// Runs a client operation as a coroutine, or, for the `_sync` twin named
/// `blocking`, to completion on the calling thread.
pub(crate) fn run<'py, T, E>(
    py: Python<'py>,
    blocking: Option<&str>,
    fut: impl Future<Output = Result<T, E>> + Send + 'static,
    convert: Convert<T>,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    E: error::SdkError + Send + 'static,
{
    match blocking {
        None => coroutine(py, fut, convert),
        Some(what) => {
            let value = block_on(py, what, fut)?.map_err(|e| error::to_py(py, &e))?;
            convert(py, value)
        }
    }
}

/// Emits a client class's one `#[pymethods]` block: the methods inside
/// `impl Class { ... }` as written, then each operation as a coroutine method
/// `name` and its blocking twin `name_sync`, both with the operation's
/// attributes (docs, `signature`), arguments and converter:
///
/// ```ignore
/// client_methods! {
///     impl PyClient {
///         #[new]
///         fn new(url: &str) -> PyResult<Self> { ... }
///     }
///     operations(c = self.inner.clone()) {
///         #[pyo3(signature = (id))]
///         fn get / get_sync(id: String) => record_any {
///             async move { c.get(&id).await }
///         }
///     }
/// }
/// ```
///
/// An operation's block runs when the method is called (argument errors raise
/// there, not on await) and evaluates to the future; it reaches the clone of
/// the inner client by the name given in `operations(...)`.
macro_rules! client_methods {
    (
        impl $class:ident { $($plain:tt)* }
        operations($client:ident = self.$field:ident.clone()) {
            $(
                $(#[$($attr:tt)*])*
                fn $name:ident / $sync:ident($($arg:ident: $ty:ty),* $(,)?) => $convert:ident
                $body:block
            )*
        }
    ) => {
        #[::pyo3::pymethods]
        impl $class {
            $($plain)*

            // Both twins written out: `#[pymethods]` reads this block
            // before any macro call inside it would expand.
            $(
                $(#[$($attr)*])*
                fn $name<'py>(
                    &self,
                    py: ::pyo3::Python<'py>,
                    $($arg: $ty),*
                ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::PyAny>> {
                    let $client = self.$field.clone();
                    $crate::runtime::run(py, None, $body, $convert)
                }

                $(#[$($attr)*])*
                fn $sync<'py>(
                    &self,
                    py: ::pyo3::Python<'py>,
                    $($arg: $ty),*
                ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::PyAny>> {
                    let $client = self.$field.clone();
                    $crate::runtime::run(py, Some(stringify!($sync)), $body, $convert)
                }
            )*
        }
    };
}

pub(crate) use client_methods;
