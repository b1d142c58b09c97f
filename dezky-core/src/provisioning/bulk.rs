//! Reconciling many tenants: bounded concurrency overall and per upstream,
//! 429s honoured, progress as a stream, memory flat in the number of tenants.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dezky_flags::Change;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::ports::{FailureKind, PortError, PortFuture, Resource, TenantRef, UpstreamPort};
use super::run::{Provisioner, ReconcileOptions, Reconciliation};
use crate::error::Error;
use crate::lifecycle::{Step, TenantDocument};

/// How hard one upstream may be driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamLimits {
    /// Calls in flight at once (at least 1).
    pub max_in_flight: usize,
    /// After a 429, calls wait out the upstream's Retry-After (1 s when it
    /// gave none) and are retried this many times.
    pub rate_limit_retries: u32,
    /// A Retry-After longer than this is not waited for: the step fails
    /// with the 429 and its wait, for a later run.
    pub max_rate_limit_wait: Duration,
}

impl Default for UpstreamLimits {
    fn default() -> Self {
        UpstreamLimits {
            max_in_flight: 8,
            rate_limit_retries: 3,
            max_rate_limit_wait: Duration::from_secs(30),
        }
    }
}

/// A port behind a concurrency limit that pauses every caller when the
/// upstream answers 429, until its Retry-After has passed.
struct Limited {
    inner: Arc<dyn UpstreamPort>,
    permits: Semaphore,
    paused_until: Mutex<Option<Instant>>,
    limits: UpstreamLimits,
}

impl Limited {
    async fn call<'a, T>(&'a self, op: impl Fn() -> PortFuture<'a, T>) -> Result<T, PortError> {
        let mut retries = 0;
        loop {
            let pause = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(until) = pause {
                tokio::time::sleep_until(until).await;
            }
            let result = {
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = self.permits.acquire().await.ok();
                op().await
            };
            match result {
                Err(e) if e.kind == FailureKind::RateLimited => {
                    let wait = Duration::from_millis(e.retry_after_ms.unwrap_or(1000));
                    if retries >= self.limits.rate_limit_retries
                        || wait > self.limits.max_rate_limit_wait
                    {
                        return Err(e);
                    }
                    retries += 1;
                    let until = Instant::now() + wait;
                    let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
                    *paused = Some(paused.map_or(until, |p| p.max(until)));
                }
                other => return other,
            }
        }
    }
}

impl UpstreamPort for Limited {
    fn step(&self) -> Step {
        self.inner.step()
    }

    fn skip_reason(&self, tenant: &TenantRef) -> Option<String> {
        self.inner.skip_reason(tenant)
    }

    fn suspends(&self) -> bool {
        self.inner.suspends()
    }

    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>> {
        Box::pin(self.call(move || self.inner.get(handle)))
    }

    fn find<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>> {
        Box::pin(self.call(move || self.inner.find(tenant)))
    }

    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource> {
        // A 429 means the request was not carried out: retrying creates once.
        Box::pin(self.call(move || self.inner.create(tenant)))
    }

    fn suspend<'a>(&'a self, tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(self.call(move || self.inner.suspend(tenant, handle)))
    }

    fn resume<'a>(
        &'a self,
        tenant: &'a TenantRef,
        handle: &'a str,
        saved: &'a Value,
    ) -> PortFuture<'a, ()> {
        Box::pin(self.call(move || self.inner.resume(tenant, handle, saved)))
    }

    fn remove<'a>(&'a self, tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(self.call(move || self.inner.remove(tenant, handle)))
    }
}

/// Wraps `port` in `limits`.
pub(super) fn limited(
    port: Arc<dyn UpstreamPort>,
    limits: UpstreamLimits,
) -> Arc<dyn UpstreamPort> {
    Arc::new(Limited {
        inner: port,
        permits: Semaphore::new(limits.max_in_flight.max(1)),
        paused_until: Mutex::new(None),
        limits,
    })
}

/// Options of [`Provisioner::reconcile_all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkOptions {
    /// Tenants reconciled at once (at least 1).
    pub concurrency: usize,
    /// Report drift only (see [`ReconcileOptions::dry_run`]).
    pub dry_run: bool,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            concurrency: 16,
            dry_run: false,
        }
    }
}

/// One item of a bulk run's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BulkEvent {
    /// A tenant was reconciled: apply its patch, record its events.
    Reconciled {
        /// The result.
        result: Box<Reconciliation>,
    },
    /// A tenant could not be reconciled (a broken document, a deleted tenant).
    Refused {
        /// Its position in the input, from 0.
        index: u64,
        /// The error's stable code.
        code: String,
        /// The error.
        message: String,
    },
    /// The run is over; the last item.
    Done {
        /// The totals.
        summary: BulkSummary,
    },
}

/// The totals of a bulk run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BulkSummary {
    /// Tenants read from the input.
    pub tenants: u64,
    /// Reconciled with every step `ok` or `skipped`.
    pub settled: u64,
    /// Reconciled with at least one step in error (or missing, in a dry run).
    pub unsettled: u64,
    /// Refused before any upstream call.
    pub refused: u64,
    /// Became active.
    pub activated: u64,
    /// Steps in error, by step.
    pub errors_by_step: BTreeMap<Step, u64>,
}

impl BulkSummary {
    fn count(&mut self, event: &BulkEvent) {
        self.tenants += 1;
        match event {
            BulkEvent::Reconciled { result } => {
                if result.settled() {
                    self.settled += 1;
                } else {
                    self.unsettled += 1;
                }
                self.activated += u64::from(result.activated);
                for s in result.steps.iter().filter(|s| !s.state.is_settled()) {
                    *self.errors_by_step.entry(s.step).or_default() += 1;
                }
            }
            BulkEvent::Refused { .. } => self.refused += 1,
            BulkEvent::Done { .. } => {}
        }
    }
}

impl Provisioner {
    /// Puts every port behind `limits` (concurrency per upstream, 429 pauses).
    /// Clones of the result share the limits.
    pub fn with_upstream_limits(self, limits: UpstreamLimits) -> Self {
        self.map_ports(|port| limited(port, limits))
    }

    /// Reconciles every tenant `tenants` yields, `options.concurrency` at a
    /// time, in the order they finish. Only the tenants in flight are held,
    /// so memory does not grow with the input; dropping the stream cancels
    /// the run (calls in flight are abandoned, nothing is half-recorded:
    /// patches are only in the events already delivered). The last event is
    /// [`BulkEvent::Done`] with the totals.
    pub fn reconcile_all<'a, S>(
        &'a self,
        tenants: S,
        options: BulkOptions,
        change: &'a Change,
    ) -> impl Stream<Item = BulkEvent> + Send + 'a
    where
        S: Stream<Item = Result<TenantDocument, Error>> + Send + 'a,
    {
        let reconcile = ReconcileOptions {
            dry_run: options.dry_run,
        };
        let results = tenants
            .enumerate()
            .map(move |(index, tenant)| async move {
                let refused = |e: Error| BulkEvent::Refused {
                    index: index as u64,
                    code: e.code().into(),
                    message: e.to_string(),
                };
                match tenant {
                    Err(e) => refused(e),
                    Ok(t) => match self.reconcile(&t, reconcile, change).await {
                        Ok(result) => BulkEvent::Reconciled {
                            result: Box::new(result),
                        },
                        Err(e) => refused(e),
                    },
                }
            })
            .buffer_unordered(options.concurrency.max(1));
        let summary = Arc::new(Mutex::new(BulkSummary::default()));
        let counted = {
            let summary = summary.clone();
            results.inspect(move |event| {
                summary
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .count(event);
            })
        };
        counted.chain(stream::once(async move {
            let summary = summary.lock().unwrap_or_else(|e| e.into_inner()).clone();
            BulkEvent::Done { summary }
        }))
    }
}
