//! Tenant lifecycle and provisioning over `dezky_core::lifecycle` and
//! `dezky_core::provisioning` (docs/lifecycle.md, docs/provisioning.md).
//! Conversion only: tenant documents are read by
//! `TenantDocument::from_document` (errors name the field), reports cross as
//! their serde form, whose TypedDicts `dezky._provisioning_records` are
//! generated from (support/bindgen).
//!
//! A bulk run is a [`PyBulkRun`]: the core's `reconcile_all` on a task of the
//! runtime, fed through a bounded channel and read through another, which the
//! generators of `dezky/provisioning.py` drive (one for `for`, one for
//! `async for`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use dezky_core::Error;
use dezky_core::lifecycle::{
    LifecycleAction, Step, TenantDocument, TenantPatch, TenantSlug, transition,
};
use dezky_core::provisioning::memory::MemoryUpstream;
use dezky_core::provisioning::{
    BulkEvent, BulkOptions, Provisioner, ReconcileOptions, UpstreamPort,
};
use dezky_flags::Change;
use futures_util::StreamExt;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::convert::{self, serde_py};
use crate::error::{self, IntoPyResult};
use crate::flags::change;
use crate::runtime::{self, client_methods};

/// A tenant document (a dict) as JSON; `ArgumentTypeError` naming `tenant`
/// for anything else.
fn document(document: &Bound<'_, PyAny>) -> PyResult<serde_json::Map<String, Value>> {
    if !document.is_instance_of::<PyDict>() {
        return Err(error::wrong_type(
            "tenant",
            "a dict (the tenant document)",
            document,
        ));
    }
    match convert::to_value("tenant", document)? {
        Value::Object(map) => Ok(map),
        _ => Err(error::wrong_type(
            "tenant",
            "a dict (the tenant document)",
            document,
        )),
    }
}

/// A tenant document (a dict) read whole by the core (errors name the field).
pub(crate) fn tenant(document: &Bound<'_, PyAny>) -> PyResult<TenantDocument> {
    TenantDocument::from_document("tenant", &self::document(document)?).py()
}

fn parse_step(name: &str) -> PyResult<Step> {
    name.parse()
        .map_err(|reason: String| error::invalid_argument("step", reason))
}

/// Runs the provisioning steps of tenants (`docs/provisioning.md`): the
/// upstream ports from the environment, or five in-memory upstreams.
#[pyclass(name = "Provisioner", frozen, module = "dezky.provisioning")]
pub(crate) struct PyProvisioner {
    inner: Provisioner,
    /// The in-memory upstreams, for a provisioner made by `in_memory()`.
    memory: Option<Arc<BTreeMap<Step, MemoryUpstream>>>,
}

impl PyProvisioner {
    fn memory(&self, step_name: &str) -> PyResult<&MemoryUpstream> {
        let step = parse_step(step_name)?;
        self.memory
            .as_ref()
            .and_then(|memory| memory.get(&step))
            .ok_or_else(|| {
                error::raise(Error::Invalid {
                    field: "provisioner".into(),
                    reason: format!(
                        "has no in-memory {step} upstream (made by Provisioner.in_memory())"
                    ),
                })
            })
    }
}

client_methods! {
    impl PyProvisioner {
        /// A provisioner over five in-memory upstreams, one per step
        /// (`dezky_core::provisioning::memory`), for tests and demos.
        #[staticmethod]
        #[pyo3(signature = () -> "_provisioning.Provisioner")]
        fn in_memory() -> Self {
            let upstreams: BTreeMap<Step, MemoryUpstream> =
                MemoryUpstream::all().into_iter().map(|u| (u.step(), u)).collect();
            let inner = upstreams
                .values()
                .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u.clone())));
            PyProvisioner {
                inner,
                memory: Some(Arc::new(upstreams)),
            }
        }

        /// A provisioner from the control plane's environment
        /// (`AUTHENTIK_API_URL`, `STALWART_API_URL`, `OCIS_API_URL`,
        /// `STRIPE_SECRET_KEY`, the `<NAME>_PROVISIONING_ENABLED` switches);
        /// `ConfigError` for a broken setting.
        #[staticmethod]
        #[pyo3(signature = () -> "_provisioning.Provisioner")]
        fn from_env() -> PyResult<Self> {
            let inner = dezky_clients::provisioning::provisioner_from_env().py()?;
            Ok(PyProvisioner { inner, memory: None })
        }

        /// A new provisioner with `step` switched off: reported `skipped`, its
        /// upstream not called.
        #[pyo3(signature = (step: "_provisioning.Step") -> "_provisioning.Provisioner")]
        fn disable(&self, step: &str) -> PyResult<Self> {
            Ok(PyProvisioner {
                inner: self.inner.clone().disable(parse_step(step)?),
                memory: self.memory.clone(),
            })
        }

        /// The resources of an in-memory upstream, by handle.
        #[pyo3(signature = (step: "_provisioning.Step") -> "dict[str, _provisioning.MemoryResource]")]
        fn memory_resources<'py>(&self, py: Python<'py>, step: &str) -> PyResult<Bound<'py, PyAny>> {
            serde_py(py, self.memory(step)?.resources())
        }

        /// The zone file the in-memory Stalwart upstream gives for a mail
        /// domain it made (MX, SPF, a DKIM key made for the domain, DMARC;
        /// the form of Stalwart's `dnsZoneFile`), or None for another
        /// domain. Read it with `dezky.dns.expected_records`.
        #[pyo3(signature = (domain: "str") -> "str | None")]
        fn memory_zone_file(&self, domain: &str) -> PyResult<Option<String>> {
            Ok(self.memory("stalwart")?.zone_file(domain))
        }

        /// Deletes a resource of an in-memory upstream behind the
        /// provisioner's back (drift); `True` when it existed.
        #[pyo3(signature = (step: "_provisioning.Step", handle: "str") -> "bool")]
        fn delete_memory_resource(&self, step: &str, handle: &str) -> PyResult<bool> {
            Ok(self.memory(step)?.delete(handle).is_some())
        }

        /// Starts a bulk reconcile: the native side of
        /// `dezky.provisioning.Provisioner.reconcile_all`.
        #[pyo3(signature = (*, concurrency = 16, dry_run = false, actor = "system", at: "datetime | None" = None) -> "BulkRun")]
        fn bulk_run(
            &self,
            py: Python<'_>,
            concurrency: usize,
            dry_run: bool,
            actor: &str,
            at: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyBulkRun> {
            let options = BulkOptions { concurrency, dry_run };
            PyBulkRun::start(py, self.inner.clone(), options, change(actor, at)?)
        }
    }
    operations(p = self.inner.clone()) {
        /// Provisions a new (`pending`) tenant: a reconcile recorded as
        /// `tenant.provision`; `IllegalTransitionError` for another status.
        #[pyo3(signature = (tenant: "dict[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_provisioning.Reconciliation")]
        fn provision / provision_sync(tenant: &Bound<'py, PyAny>, actor: &str, at: Option<&Bound<'py, PyAny>>) => serde_py {
            let (tenant, change) = (self::tenant(tenant)?, change(actor, at)?);
            async move { p.provision(&tenant, &change).await }
        }

        /// Reconciles a tenant: each step checked, adopted or created; with
        /// `dry_run`, only reports the drift (nothing written).
        #[pyo3(signature = (tenant: "dict[str, Any]", actor: "str", *, dry_run = false, at: "datetime | None" = None) -> "_provisioning.Reconciliation")]
        fn reconcile / reconcile_sync(tenant: &Bound<'py, PyAny>, actor: &str, dry_run: bool, at: Option<&Bound<'py, PyAny>>) => serde_py {
            let (tenant, change) = (self::tenant(tenant)?, change(actor, at)?);
            async move { p.reconcile(&tenant, ReconcileOptions { dry_run }, &change).await }
        }

        /// Suspends an active tenant (members cannot sign in, mailboxes
        /// cannot authenticate; data kept).
        #[pyo3(signature = (tenant: "dict[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_provisioning.LifecycleReport")]
        fn suspend / suspend_sync(tenant: &Bound<'py, PyAny>, actor: &str, at: Option<&Bound<'py, PyAny>>) => serde_py {
            let (tenant, change) = (self::tenant(tenant)?, change(actor, at)?);
            async move { p.suspend(&tenant, &change).await }
        }

        /// Resumes a suspended tenant, restoring exactly what suspending changed.
        #[pyo3(signature = (tenant: "dict[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_provisioning.LifecycleReport")]
        fn resume / resume_sync(tenant: &Bound<'py, PyAny>, actor: &str, at: Option<&Bound<'py, PyAny>>) => serde_py {
            let (tenant, change) = (self::tenant(tenant)?, change(actor, at)?);
            async move { p.resume(&tenant, &change).await }
        }

        /// Removes a deleted tenant's upstream resources (those carrying its
        /// marker), one step at a time; running it again resumes.
        #[pyo3(signature = (tenant: "dict[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_provisioning.Deprovisioning")]
        fn deprovision / deprovision_sync(tenant: &Bound<'py, PyAny>, actor: &str, at: Option<&Bound<'py, PyAny>>) => serde_py {
            let (tenant, change) = (self::tenant(tenant)?, change(actor, at)?);
            async move { p.deprovision(&tenant, &change).await }
        }
    }
}

/// The input and output of a bulk run, shared with its pending coroutines.
struct Channels {
    /// The tenants' way in; `None` once the input has ended.
    input: Mutex<Option<mpsc::Sender<Result<TenantDocument, Error>>>>,
    /// The events' way out.
    output: tokio::sync::Mutex<mpsc::Receiver<BulkEvent>>,
    /// Set by `cancel`: no event is read after it.
    cancelled: AtomicBool,
}

impl Channels {
    fn sender(&self) -> Option<mpsc::Sender<Result<TenantDocument, Error>>> {
        self.input.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The next event, or `None` when `feeding` and the input has room for
    /// one more tenant, or when the run is over or cancelled.
    async fn next(self: Arc<Self>, feeding: bool) -> Result<Option<BulkEvent>, Error> {
        let sender = self.sender().filter(|_| feeding);
        let mut output = self.output.lock().await;
        if self.cancelled.load(Ordering::Acquire) {
            return Ok(None);
        }
        let event = match sender {
            None => output.recv().await,
            Some(sender) => tokio::select! {
                biased;
                event = output.recv() => event,
                room = sender.reserve() => match room {
                    Ok(_) => None,
                    // The run has stopped taking tenants: only its events are left.
                    Err(_) => output.recv().await,
                },
            },
        };
        Ok(event.filter(|_| !self.cancelled.load(Ordering::Acquire)))
    }
}

/// A bulk reconcile in progress (`Provisioner.bulk_run`): tenants go in by
/// `push` and `end`, events come out by `next`/`next_sync`; `cancel` (or
/// dropping it) stops the run.
#[pyclass(name = "BulkRun", frozen, module = "dezky.provisioning")]
pub(crate) struct PyBulkRun {
    channels: Arc<Channels>,
    task: AbortHandle,
}

impl PyBulkRun {
    fn start(
        py: Python<'_>,
        provisioner: Provisioner,
        options: BulkOptions,
        change: Change,
    ) -> PyResult<Self> {
        let capacity = options.concurrency.max(1);
        let (tenants_in, mut tenants) = mpsc::channel(capacity);
        let (events_out, events) = mpsc::channel(capacity);
        let task = runtime::get(py)?.spawn(async move {
            let input = futures_util::stream::poll_fn(move |cx| tenants.poll_recv(cx));
            let run = provisioner.reconcile_all(input, options, &change);
            let mut run = std::pin::pin!(run);
            while let Some(event) = run.next().await {
                if events_out.send(event).await.is_err() {
                    return;
                }
            }
        });
        Ok(PyBulkRun {
            channels: Arc::new(Channels {
                input: Mutex::new(Some(tenants_in)),
                output: tokio::sync::Mutex::new(events),
                cancelled: AtomicBool::new(false),
            }),
            task: task.abort_handle(),
        })
    }
}

impl Drop for PyBulkRun {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn event_py(py: Python<'_>, event: Option<BulkEvent>) -> PyResult<Bound<'_, PyAny>> {
    serde_py(py, event)
}

#[pymethods]
impl PyBulkRun {
    /// Adds a tenant document; call it only after `next` answered `None`
    /// (room for one). A document that cannot be read (not a dict, a value
    /// that is not JSON data, a field the core refuses) becomes a `refused`
    /// event, so one broken document does not stop the run.
    #[pyo3(signature = (tenant: "Any") -> "None")]
    fn push(&self, py: Python<'_>, tenant: &Bound<'_, PyAny>) -> PyResult<()> {
        let document = match self::document(tenant) {
            Ok(map) => TenantDocument::from_document("tenant", &map),
            // An argument error of the conversion: its reason, as the core's refusal.
            Err(e) => match e.value(py).getattr("reason").and_then(|r| r.extract()) {
                Ok(reason) => Err(Error::Invalid {
                    field: "tenant".into(),
                    reason,
                }),
                Err(_) => return Err(e),
            },
        };
        let sender = self
            .channels
            .sender()
            .ok_or_else(|| error::invalid_argument("tenant", "the input has ended"))?;
        sender.try_send(document).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                error::invalid_argument("tenant", "no room: await `next` first")
            }
            mpsc::error::TrySendError::Closed(_) => {
                error::invalid_argument("tenant", "the run has stopped")
            }
        })
    }

    /// Ends the input: the run finishes the tenants in flight, then reports `done`.
    fn end(&self) {
        self.channels
            .input
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    /// The next event, or `None` when `feeding` and there is room for a tenant.
    #[pyo3(signature = (feeding: "bool") -> "Coroutine[Any, Any, _provisioning.BulkEvent | None]")]
    fn next<'py>(&self, py: Python<'py>, feeding: bool) -> PyResult<Bound<'py, PyAny>> {
        runtime::coroutine(py, self.channels.clone().next(feeding), event_py)
    }

    /// :meth:`next`, blocking.
    #[pyo3(signature = (feeding: "bool") -> "_provisioning.BulkEvent | None")]
    fn next_sync<'py>(&self, py: Python<'py>, feeding: bool) -> PyResult<Bound<'py, PyAny>> {
        let event =
            runtime::block_on(py, "next_sync", self.channels.clone().next(feeding))?.py()?;
        event_py(py, event)
    }

    /// Stops the run: tenants in flight are abandoned (nothing half-recorded:
    /// a patch exists only in an event), and `next` answers `None` from now on.
    fn cancel(&self) {
        self.channels.cancelled.store(true, Ordering::Release);
        self.task.abort();
        self.end();
    }
}

/// Checks a new tenant's slug (`TenantSlug::parse`): the slug, or
/// `InvalidArgumentError` naming `field`.
#[pyfunction]
#[pyo3(signature = (slug, field = "slug") -> "str")]
pub(crate) fn parse_tenant_slug(slug: &str, field: &str) -> PyResult<String> {
    Ok(TenantSlug::parse(field, slug).py()?.as_str().to_owned())
}

/// A new tenant's document as `POST /tenants` stores it: `pending`, version 0.
#[pyfunction]
#[pyo3(signature = (id, slug, name, plan) -> "dict[str, Any]")]
pub(crate) fn new_tenant<'py>(
    py: Python<'py>,
    id: &str,
    slug: &str,
    name: &str,
    plan: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let document = TenantDocument::new_pending(id, slug, name, plan).py()?;
    convert::to_py(py, &Value::Object(document.to_document()))
}

/// A status change (`activate`, `suspend`, `resume`, `delete`,
/// `deprovision`): `{action, fromStatus, toStatus, patch, event}`, or
/// `IllegalTransitionError`.
#[pyfunction]
#[pyo3(signature = (tenant: "dict[str, Any]", action: "_provisioning.LifecycleAction", actor: "str", *, at: "datetime | None" = None) -> "_provisioning.TenantTransition")]
pub(crate) fn transition_tenant<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    action: &str,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let document = self::tenant(tenant)?;
    let action: LifecycleAction = action.parse().py()?;
    let t = transition(&document, action, &change(actor, at)?).py()?;
    serde_py(py, t)
}

/// The tenant document after `patch` (its version incremented);
/// `VersionConflictError` for a patch made from another version.
#[pyfunction]
#[pyo3(signature = (tenant: "dict[str, Any]", patch: "_provisioning.TenantPatch") -> "dict[str, Any]")]
pub(crate) fn apply_tenant_patch<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    patch: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let document = self::tenant(tenant)?;
    let patch = TenantPatch::from_value(&convert::to_value("patch", patch)?).py()?;
    let patched = document.apply(&patch).py()?;
    convert::to_py(py, &Value::Object(patched.to_document()))
}
