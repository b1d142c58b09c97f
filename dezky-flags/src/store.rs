//! A server-side flag store: evaluations served from an in-memory snapshot that
//! a background task refreshes from a [`FlagSource`].
//!
//! Readers load the current [`FlagSet`] through an atomic pointer
//! ([`arc_swap::ArcSwap`]): they never block and never see a half-updated set.
//! A failed refresh keeps the last good set, backs off, and shows in
//! [`FlagStore::status`].

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::context::EvaluationContext;
use crate::error::{Error, Result};
use crate::eval::Evaluation;
use crate::set::{Evaluations, FlagSet};

/// A boxed future, so [`FlagSource`] stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a source returned.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The set is the one identified by the version passed in (an HTTP 304).
    Unchanged,
    /// A new set, with a version to pass next time (an ETag, a content hash).
    Updated {
        /// The flags.
        flags: FlagSet,
        /// Identifies this set for the next conditional fetch.
        version: Option<String>,
    },
}

/// Where a [`FlagStore`] gets its flags: a file, the control plane's `GET /flags`, ...
///
/// The HTTP source lives in `dezky-clients`, keeping this crate free of network code.
pub trait FlagSource: Send + Sync + 'static {
    /// Names the source in logs and errors (a path, or a URL without credentials).
    fn describe(&self) -> String;

    /// Fetches the flag set. `version` is the one from the last [`Fetched::Updated`];
    /// a source that can tell the set has not changed answers [`Fetched::Unchanged`].
    fn fetch<'a>(&'a self, version: Option<&'a str>) -> BoxFuture<'a, Result<Fetched>>;
}

/// A source chosen at run time (a file or the control plane, as a binding's
/// caller asks) is a source too.
impl FlagSource for Box<dyn FlagSource> {
    fn describe(&self) -> String {
        (**self).describe()
    }

    fn fetch<'a>(&'a self, version: Option<&'a str>) -> BoxFuture<'a, Result<Fetched>> {
        (**self).fetch(version)
    }
}

/// A JSON file holding an array of flags. Its version is a hash of its bytes.
#[derive(Debug, Clone)]
pub struct FileSource {
    path: PathBuf,
}

impl FileSource {
    /// A source reading `path`.
    pub fn new(path: impl AsRef<Path>) -> Self {
        FileSource {
            path: path.as_ref().to_path_buf(),
        }
    }
}

impl FlagSource for FileSource {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn fetch<'a>(&'a self, version: Option<&'a str>) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            let bytes = tokio::fs::read(&self.path)
                .await
                .map_err(|e| Error::Source {
                    source_name: self.describe(),
                    message: e.to_string(),
                    cause: None,
                    status: None,
                })?;
            let digest = Sha256::digest(&bytes);
            let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            if version == Some(hash.as_str()) {
                return Ok(Fetched::Unchanged);
            }
            let text = std::str::from_utf8(&bytes).map_err(|e| Error::Source {
                source_name: self.describe(),
                message: format!("not UTF-8: {e}"),
                cause: None,
                status: None,
            })?;
            let flags = FlagSet::from_json(text)?;
            Ok(Fetched::Updated {
                flags,
                version: Some(hash),
            })
        })
    }
}

/// How a [`FlagStore`] refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Time between refreshes while the source is healthy. Bounds how far two
    /// instances of an app can disagree.
    pub interval: Duration,
    /// The longest wait between retries while the source fails.
    pub max_backoff: Duration,
    /// After how long without a successful fetch the snapshot counts as stale.
    pub stale_after: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            interval: Duration::from_secs(30),
            max_backoff: Duration::from_secs(300),
            stale_after: Duration::from_secs(120),
        }
    }
}

impl StoreOptions {
    fn validate(&self) -> Result<()> {
        if self.interval.is_zero() {
            return Err(Error::invalid_argument(
                "interval",
                "must be greater than zero",
            ));
        }
        if self.max_backoff < self.interval {
            return Err(Error::invalid_argument(
                "maxBackoff",
                "must be at least the refresh interval",
            ));
        }
        Ok(())
    }

    /// The wait before the next refresh after `failures` consecutive failures:
    /// `interval * 2^failures`, capped at `max_backoff`, with up to ±20 % jitter
    /// so many instances do not retry in step.
    fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return self.interval;
        }
        let factor = 1u32 << failures.min(16);
        let base = self.interval.saturating_mul(factor).min(self.max_backoff);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let jitter = 0.8 + f64::from(nanos % 1000) / 2500.0;
        base.mul_f64(jitter).min(self.max_backoff)
    }
}

/// What one refresh did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum RefreshOutcome {
    /// The source confirmed the current set.
    Unchanged,
    /// A new set was swapped in; these keys were added, removed or changed.
    Updated {
        /// The keys whose flag differs between the old and the new set, sorted.
        changed: Vec<String>,
    },
}

/// The store's health, for an operator page or a readiness probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreStatus {
    /// The source, if any.
    pub source: Option<String>,
    /// Flags in the current snapshot.
    pub flag_count: usize,
    /// Time since the source last delivered or confirmed the snapshot
    /// (or since the snapshot was given, for a store without source).
    #[serde(serialize_with = "as_millis")]
    pub age: Duration,
    /// Whether `age` exceeds the configured `stale_after`.
    pub stale: bool,
    /// The version (ETag, hash) of the snapshot.
    pub version: Option<String>,
    /// Failed refreshes since the last success.
    pub consecutive_failures: u32,
    /// The last refresh error, kept until a refresh succeeds.
    pub last_error: Option<String>,
    /// The stable code of the last refresh error.
    pub last_error_code: Option<String>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis().min(u128::from(u64::MAX)) as u64)
}

type Listener = Arc<dyn Fn(&[String]) + Send + Sync>;

#[derive(Debug)]
struct Health {
    version: Option<String>,
    confirmed_at: Instant,
    failures: u32,
    last_error: Option<Error>,
    /// The ticket of the last applied refresh or replace.
    applied: u64,
}

struct Shared {
    current: ArcSwap<FlagSet>,
    source: Option<Arc<dyn FlagSource>>,
    options: StoreOptions,
    health: Mutex<Health>,
    listeners: Mutex<Vec<(u64, Listener)>>,
    next_listener: AtomicU64,
    /// Numbers every swap attempt (refresh or replace). A result is applied only if no
    /// later-numbered one was applied first, so concurrent refreshes cannot swap out of
    /// order, and no lock is held across an await: a process forked mid-refresh inherits
    /// no held lock.
    tickets: AtomicU64,
    /// The store's own refresher ([`FlagStore::start_on`]).
    refresher: Mutex<OwnRefresher>,
}

/// The refresher [`FlagStore::start_on`] started, with the id of the process
/// that started it.
#[derive(Default)]
struct OwnRefresher(Option<(u32, RefresherHandle)>);

impl OwnRefresher {
    /// The handle, unless it belongs to the parent of a fork: that task lives on
    /// a runtime whose threads this process does not have, so its handle is
    /// forgotten rather than touched.
    fn in_this_process(&mut self) -> Option<&RefresherHandle> {
        if self
            .0
            .as_ref()
            .is_some_and(|(pid, _)| *pid != std::process::id())
            && let Some((_, handle)) = self.0.take()
        {
            std::mem::forget(handle);
        }
        self.0.as_ref().map(|(_, handle)| handle)
    }
}

impl Drop for OwnRefresher {
    fn drop(&mut self) {
        self.in_this_process();
    }
}

/// Locks a mutex, recovering from poisoning: the data behind these locks stays
/// consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An in-memory flag snapshot, refreshed from a source. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct FlagStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FlagStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlagStore")
            .field("status", &self.status())
            .finish()
    }
}

impl FlagStore {
    /// A store serving a fixed set, without source. [`FlagStore::replace`] swaps it.
    pub fn new(flags: FlagSet) -> Self {
        FlagStore::build(flags, None, StoreOptions::default(), None)
    }

    /// A store serving `initial` until its first refresh from `source` succeeds.
    pub fn with_source(
        source: impl FlagSource,
        initial: FlagSet,
        options: StoreOptions,
    ) -> Result<Self> {
        options.validate()?;
        Ok(FlagStore::build(
            initial,
            Some(Arc::new(source)),
            options,
            None,
        ))
    }

    /// Loads the first set from `source`, failing if it cannot.
    pub async fn connect(source: impl FlagSource, options: StoreOptions) -> Result<Self> {
        options.validate()?;
        let source: Arc<dyn FlagSource> = Arc::new(source);
        match source.fetch(None).await? {
            Fetched::Updated { flags, version } => {
                Ok(FlagStore::build(flags, Some(source), options, version))
            }
            Fetched::Unchanged => Err(Error::Source {
                source_name: source.describe(),
                message: "answered \"unchanged\" to a first, unconditional fetch".into(),
                cause: None,
                status: None,
            }),
        }
    }

    fn build(
        flags: FlagSet,
        source: Option<Arc<dyn FlagSource>>,
        options: StoreOptions,
        version: Option<String>,
    ) -> Self {
        FlagStore {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(flags),
                source,
                options,
                health: Mutex::new(Health {
                    version,
                    confirmed_at: Instant::now(),
                    failures: 0,
                    last_error: None,
                    applied: 0,
                }),
                listeners: Mutex::new(Vec::new()),
                next_listener: AtomicU64::new(0),
                tickets: AtomicU64::new(0),
                refresher: Mutex::default(),
            }),
        }
    }

    /// The current snapshot.
    pub fn flags(&self) -> FlagSet {
        FlagSet::clone(&self.shared.current.load())
    }

    /// Evaluates every flag of the current snapshot.
    pub fn evaluate_all(&self, context: &EvaluationContext) -> Evaluations {
        self.shared.current.load().evaluate_all(context)
    }

    /// Evaluates one flag of the current snapshot.
    pub fn evaluate(&self, key: &str, context: &EvaluationContext) -> Evaluation {
        self.shared.current.load().evaluate(key, context)
    }

    /// Swaps in a new set now (for example right after an operator's change)
    /// and notifies subscribers. Returns the changed keys. A refresh that was
    /// already under way when this was called does not overwrite it.
    pub fn replace(&self, flags: FlagSet) -> Vec<String> {
        let ticket = self.ticket();
        let mut health = lock(&self.shared.health);
        health.applied = health.applied.max(ticket);
        health.confirmed_at = Instant::now();
        self.swap(flags, health)
    }

    fn ticket(&self) -> u64 {
        self.shared.tickets.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Swaps while `health` is held (so swaps follow ticket order), then notifies
    /// after releasing it.
    fn swap(&self, flags: FlagSet, health: MutexGuard<'_, Health>) -> Vec<String> {
        let new = flags.clone();
        let old = self.shared.current.swap(Arc::new(flags));
        drop(health);
        let changed = changed_keys(&old, &new);
        if !changed.is_empty() {
            self.notify(&changed);
        }
        changed
    }

    /// Fetches from the source once. On failure the current snapshot stays and
    /// the error is recorded in [`FlagStore::status`] as well as returned. A
    /// refresh overtaken by a later one (or by [`FlagStore::replace`]) is
    /// discarded and reports [`RefreshOutcome::Unchanged`].
    pub async fn refresh(&self) -> Result<RefreshOutcome> {
        let Some(source) = self.shared.source.clone() else {
            return Err(Error::invalid_argument(
                "source",
                "this store has no source to refresh from",
            ));
        };
        let ticket = self.ticket();
        let version = lock(&self.shared.health).version.clone();
        let result = source.fetch(version.as_deref()).await;
        let mut health = lock(&self.shared.health);
        if ticket < health.applied {
            return Ok(RefreshOutcome::Unchanged);
        }
        health.applied = ticket;
        match result {
            Ok(Fetched::Unchanged) => {
                health.confirmed_at = Instant::now();
                health.failures = 0;
                health.last_error = None;
                Ok(RefreshOutcome::Unchanged)
            }
            Ok(Fetched::Updated { flags, version }) => {
                health.version = version;
                health.confirmed_at = Instant::now();
                health.failures = 0;
                health.last_error = None;
                let changed = self.swap(flags, health);
                Ok(RefreshOutcome::Updated { changed })
            }
            Err(error) => {
                health.failures = health.failures.saturating_add(1);
                health.last_error = Some(error.clone());
                tracing::warn!(source = %source.describe(), failures = health.failures, %error, "flag refresh failed; serving the last good snapshot");
                Err(error)
            }
        }
    }

    /// Time since the source last delivered or confirmed the snapshot.
    pub fn age(&self) -> Duration {
        lock(&self.shared.health).confirmed_at.elapsed()
    }

    /// The store's health.
    pub fn status(&self) -> StoreStatus {
        let health = lock(&self.shared.health);
        let age = health.confirmed_at.elapsed();
        StoreStatus {
            source: self.shared.source.as_ref().map(|s| s.describe()),
            flag_count: self.shared.current.load().len(),
            age,
            stale: self.shared.source.is_some() && age > self.shared.options.stale_after,
            version: health.version.clone(),
            consecutive_failures: health.failures,
            last_error: health.last_error.as_ref().map(ToString::to_string),
            last_error_code: health.last_error.as_ref().map(|e| e.code().to_owned()),
        }
    }

    /// Calls `listener` with the changed keys after every swap that changes a flag.
    /// The listener runs on the refreshing task: keep it short. Dropping the
    /// returned [`Subscription`] unsubscribes.
    pub fn subscribe(&self, listener: impl Fn(&[String]) + Send + Sync + 'static) -> Subscription {
        let id = self.shared.next_listener.fetch_add(1, Ordering::Relaxed);
        lock(&self.shared.listeners).push((id, Arc::new(listener)));
        Subscription {
            store: Arc::downgrade(&self.shared),
            id,
        }
    }

    fn notify(&self, changed: &[String]) {
        let listeners: Vec<Listener> = lock(&self.shared.listeners)
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for listener in listeners {
            // A panicking listener must not take the refresher down with it.
            if catch_unwind(AssertUnwindSafe(|| listener(changed))).is_err() {
                tracing::error!("a flag-change listener panicked");
            }
        }
    }

    /// Starts refreshing in the background on the current tokio runtime:
    /// immediately, then every `interval`, backing off while the source fails.
    /// The task stops when the handle is dropped or every clone of the store is.
    pub fn spawn_refresher(&self) -> Result<RefresherHandle> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::invalid_argument("runtime", "spawn_refresher needs a tokio runtime")
        })?;
        self.spawn_refresher_on(&runtime)
    }

    /// Like [`FlagStore::spawn_refresher`], on the given runtime.
    pub fn spawn_refresher_on(&self, runtime: &tokio::runtime::Handle) -> Result<RefresherHandle> {
        if self.shared.source.is_none() {
            return Err(Error::invalid_argument(
                "source",
                "this store has no source to refresh from",
            ));
        }
        let weak: Weak<Shared> = Arc::downgrade(&self.shared);
        let task = runtime.spawn(async move {
            loop {
                let Some(shared) = weak.upgrade() else { return };
                let store = FlagStore { shared };
                let _ = store.refresh().await;
                let delay = store
                    .shared
                    .options
                    .delay(lock(&store.shared.health).failures);
                drop(store);
                tokio::time::sleep(delay).await;
            }
        });
        Ok(RefresherHandle { task })
    }
}

/// The store's own background refresher, for bindings that start and stop it
/// by a method rather than by holding a [`RefresherHandle`]. Fork-aware: after
/// a `fork()`, the child sees the parent's refresher as not running and may
/// start its own.
impl FlagStore {
    /// Starts the store's refresher on `runtime`; does nothing while it runs.
    /// Fails, like [`FlagStore::spawn_refresher_on`], for a store without source.
    pub fn start_on(&self, runtime: &tokio::runtime::Handle) -> Result<()> {
        let mut slot = lock(&self.shared.refresher);
        if slot.in_this_process().is_some_and(|h| !h.is_finished()) {
            return Ok(());
        }
        let handle = self.spawn_refresher_on(runtime)?;
        slot.0 = Some((std::process::id(), handle));
        Ok(())
    }

    /// Stops the store's refresher; does nothing when it is not running.
    pub fn stop(&self) {
        let mut slot = lock(&self.shared.refresher);
        slot.in_this_process();
        let stopped = slot.0.take();
        drop(slot);
        drop(stopped);
    }

    /// Whether the store's refresher runs (in this process).
    pub fn is_running(&self) -> bool {
        lock(&self.shared.refresher)
            .in_this_process()
            .is_some_and(|h| !h.is_finished())
    }
}

/// Keys added, removed or changed between two sets, sorted.
fn changed_keys(old: &FlagSet, new: &FlagSet) -> Vec<String> {
    let mut changed: Vec<String> = new
        .flags()
        .iter()
        .filter(|flag| old.get(&flag.key) != Some(flag))
        .map(|flag| flag.key.clone())
        .chain(
            old.keys()
                .filter(|k| new.get(k).is_none())
                .map(str::to_owned),
        )
        .collect();
    changed.sort_unstable();
    changed
}

/// Ends a [`FlagStore::subscribe`] registration when dropped.
#[must_use = "dropping a Subscription unsubscribes at once"]
pub struct Subscription {
    store: Weak<Shared>,
    id: u64,
}

impl Subscription {
    /// Unsubscribes now.
    pub fn unsubscribe(self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(shared) = self.store.upgrade() {
            lock(&shared.listeners).retain(|(id, _)| *id != self.id);
        }
    }
}

/// The background refresh task; aborts it when dropped.
#[must_use = "dropping a RefresherHandle stops the refresher at once"]
pub struct RefresherHandle {
    task: tokio::task::JoinHandle<()>,
}

impl RefresherHandle {
    /// Stops refreshing now.
    pub fn stop(self) {}

    /// Whether the task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for RefresherHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(flags: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), flags).expect("write flags");
        file
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn own_refresher_starts_once_stops_and_reports_running() {
        let file = file_with(r#"[{"key": "a", "state": "on"}]"#);
        let source: Box<dyn FlagSource> = Box::new(FileSource::new(file.path()));
        let options = StoreOptions {
            interval: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            ..StoreOptions::default()
        };
        let store = FlagStore::connect(source, options).await.expect("connect");
        let runtime = tokio::runtime::Handle::current();
        assert!(!store.is_running());
        store.start_on(&runtime).expect("start");
        store.start_on(&runtime).expect("start again");
        assert!(store.is_running());
        std::fs::write(file.path(), r#"[{"key": "b", "state": "on"}]"#).expect("write");
        for _ in 0..250 {
            if store.flags().get("b").is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            store.flags().get("b").is_some(),
            "the refresher did not run"
        );
        store.stop();
        store.stop();
        assert!(!store.is_running());
        store.start_on(&runtime).expect("restart");
        assert!(store.is_running());
    }

    #[tokio::test]
    async fn own_refresher_needs_a_source() {
        let store = FlagStore::new(FlagSet::default());
        let err = store
            .start_on(&tokio::runtime::Handle::current())
            .expect_err("no source");
        assert_eq!(err.code(), "DEZKY_INVALID_ARGUMENT");
        assert!(!store.is_running());
    }

    #[tokio::test]
    async fn a_refresher_inherited_through_fork_is_not_running_here() {
        let file = file_with("[]");
        let store = FlagStore::connect(FileSource::new(file.path()), StoreOptions::default())
            .await
            .expect("connect");
        let handle = store
            .spawn_refresher_on(&tokio::runtime::Handle::current())
            .expect("spawn");
        // As a forked child sees it: started by another process id.
        lock(&store.shared.refresher).0 = Some((std::process::id().wrapping_add(1), handle));
        assert!(!store.is_running());
        assert!(lock(&store.shared.refresher).0.is_none());
    }
}
