//! Tenant lifecycle and provisioning: `Provisioner` over
//! `dezky_core::provisioning` (in memory, or the real upstreams from the
//! environment through `dezky_clients::provisioning`), and the pure lifecycle
//! functions of `dezky_core::lifecycle`. Conversion only: every rule is in the
//! core (docs/provisioning.md, docs/lifecycle.md).
//!
//! Tenant documents arrive as plain objects (ids as strings, `{$oid}` or
//! driver `ObjectId`s) and are read whole by `TenantDocument::from_document`
//! (errors name the field: `tenant.status`).
//! Reports leave through serde (`convert::Serde`) in their core form (their
//! `u64` counts and free-form maps are not napi objects); their TypeScript
//! types are declared in `lib/index.d.ts`, by the names of the core's serde
//! attributes. A bulk run is a
//! `BulkRun` fed and drained by the async generator `reconcileAll` of
//! `lib/index.cjs`, through bounded channels (backpressure both ways).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::lifecycle::{
    LifecycleAction, Step, TenantDocument, TenantPatch, TenantSlug, Transition,
};
use dezky_core::provisioning::memory::MemoryUpstream;
use dezky_core::provisioning::{BulkEvent, BulkOptions, ReconcileOptions, UpstreamPort};
use dezky_flags::Change;
use futures_util::StreamExt;
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::convert::Serde;
use crate::error::{IntoJs, invalid_argument};
use crate::task::{call, spawn};

type Result<T> = std::result::Result<T, Error>;

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A JS object as a JSON map (numbers that are whole stay integers); `name`
/// names it in errors.
fn object(env: &Env, value: &Unknown<'_>, name: &str) -> Result<Map<String, Value>> {
    match env.from_js_value::<Value, _>(*value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid(name, "must be an object")),
        Err(e) => Err(invalid(
            name,
            format!("is not JSON-compatible: {}", e.reason),
        )),
    }
}

/// A tenant document, read whole by the core. Driver `ObjectId`s (anything
/// with `toHexString()`) are read as their hex strings, as in the records of
/// the authorization rules.
pub(crate) fn tenant(value: &Unknown<'_>) -> Result<TenantDocument> {
    TenantDocument::from_document("tenant", &crate::auth::record_json(value, "tenant")?)
}

/// An options object read by the core's serde form (unknown keys refused).
fn options<T: DeserializeOwned + Default>(env: &Env, value: Option<Unknown<'_>>) -> Result<T> {
    let Some(value) = value else {
        return Ok(T::default());
    };
    match crate::convert::options(env, &value, "options") {
        Err(e) => Err(invalid("options", reason(&e))),
        Ok(None) => Ok(T::default()),
        Ok(Some(map)) => serde_json::from_value(Value::Object(map))
            .map_err(|e| invalid("options", e.to_string())),
    }
}

/// Who acts, and when (`at`: milliseconds since the epoch, default now).
/// `Change` refuses a blank actor and a time it cannot write.
pub(crate) fn change(
    actor: String,
    at: Option<f64>,
) -> std::result::Result<Change, dezky_flags::Error> {
    let time = match at {
        None => return Change::now(actor),
        Some(ms) if ms.is_finite() && ms >= 0.0 => {
            UNIX_EPOCH.checked_add(Duration::from_millis(ms as u64))
        }
        Some(_) => None,
    };
    let time =
        time.ok_or_else(|| invalid_argument("at", "must be milliseconds since the epoch"))?;
    Change::new(actor, time)
}

/// The reason of an argument error, without its argument's name.
fn reason(error: &dezky_flags::Error) -> String {
    match error {
        dezky_flags::Error::InvalidArgument { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

fn step(name: &str) -> Result<Step> {
    name.parse()
        .map_err(|reason: String| invalid("step", reason))
}

/// A resource of an in-memory upstream (`Provisioner.memoryResources`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct MemoryResource {
    /// Its handle (the value recorded on the tenant).
    pub handle: String,
    /// Its name (the slug, or the mail domain).
    pub name: String,
    /// The tenant its marker names; `null` for a resource without one.
    pub owner: Option<String>,
    /// Whether it is suspended (members or mailboxes cannot sign in).
    pub suspended: bool,
}

/// Drives a tenant's upstream resources, one port per step. Build it with
/// `Provisioner.inMemory()` or `Provisioner.fromEnv()`. Operations take the
/// tenant document as read and resolve with a report whose `patch` the
/// caller applies (`updateOne(patch.filter, patch.update)`) and whose
/// `events` it records.
#[napi]
pub struct Provisioner {
    inner: dezky_core::provisioning::Provisioner,
    /// The in-memory upstreams, for a provisioner made by `inMemory`.
    memory: Option<Vec<MemoryUpstream>>,
}

#[napi]
impl Provisioner {
    /// A provisioner over the five in-memory upstreams (their rules are
    /// described in docs/provisioning.md), for tests and local runs.
    #[napi(factory)]
    pub fn in_memory() -> Provisioner {
        let memory = MemoryUpstream::all();
        let inner = memory.iter().fold(
            dezky_core::provisioning::Provisioner::new(),
            |p, upstream| p.with_port(Arc::new(upstream.clone())),
        );
        Provisioner {
            inner,
            memory: Some(memory),
        }
    }

    /// A provisioner over the real upstreams configured in the environment
    /// (`AUTHENTIK_API_URL`, `STALWART_API_URL`, `OCIS_API_URL`,
    /// `STRIPE_SECRET_KEY`, and the `<NAME>_PROVISIONING_ENABLED` switches).
    /// Throws `DEZKY_CONFIG` for a broken setting.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Provisioner> {
        let inner = dezky_clients::provisioning::provisioner_from_env().js(&env)?;
        Ok(Provisioner {
            inner,
            memory: None,
        })
    }

    /// A provisioner with `step` switched off: it is reported `skipped` and
    /// its upstream is not called.
    #[napi(ts_args_type = "step: ProvisioningStep")]
    pub fn disable(&self, env: Env, step: String) -> napi::Result<Provisioner> {
        let step = self::step(&step).js(&env)?;
        Ok(Provisioner {
            inner: self.inner.clone().disable(step),
            memory: self.memory.clone(),
        })
    }

    fn memory(&self, step: &str) -> Result<&MemoryUpstream> {
        let step = self::step(step)?;
        let memory = self
            .memory
            .as_ref()
            .ok_or_else(|| invalid("provisioner", "is not an in-memory provisioner"))?;
        memory
            .iter()
            .find(|m| m.step() == step)
            .ok_or_else(|| invalid("step", "has no in-memory upstream"))
    }

    /// Only on a provisioner made by `inMemory` (otherwise `DEZKY_INVALID_ARGUMENT`
    /// naming `provisioner`): the resources of one step's in-memory upstream.
    #[napi(ts_args_type = "step: ProvisioningStep")]
    pub fn memory_resources(&self, env: Env, step: String) -> napi::Result<Vec<MemoryResource>> {
        let memory = self.memory(&step).js(&env)?;
        Ok(memory
            .resources()
            .into_iter()
            .map(|(handle, r)| MemoryResource {
                handle,
                name: r.name,
                owner: r.owner,
                suspended: r.suspended,
            })
            .collect())
    }

    /// Only on a provisioner made by `inMemory`: removes a resource out of
    /// band (drift). Returns whether it existed.
    #[napi(ts_args_type = "step: ProvisioningStep, handle: string")]
    pub fn delete_memory_resource(
        &self,
        env: Env,
        step: String,
        handle: String,
    ) -> napi::Result<bool> {
        Ok(self.memory(&step).js(&env)?.delete(&handle).is_some())
    }

    /// Provisions a new (`pending`) tenant: a reconcile whose audit event is
    /// `tenant.provision`; another status is `DEZKY_ILLEGAL_TRANSITION`.
    /// `at`: the time of the change in milliseconds since the epoch (default now).
    #[napi(
        ts_args_type = "tenant: TenantDocument, actor: string, at?: number",
        ts_return_type = "Promise<Reconciliation>"
    )]
    pub fn provision<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        actor: String,
        at: Option<f64>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::provisioning::Reconciliation>>> {
        call!(
            env,
            self.inner,
            args(env, &tenant, actor, at),
            |p, (t, c)| async move { p.provision(&t, &c).await },
            Serde
        )
    }

    /// Reconciles a tenant's upstream resources with its document
    /// (`{dryRun: true}`: report the drift only). A deleted tenant is
    /// `DEZKY_ILLEGAL_TRANSITION`.
    #[napi(
        ts_args_type = "tenant: TenantDocument, actor: string, options?: ReconcileOptions | null",
        ts_return_type = "Promise<Reconciliation>"
    )]
    pub fn reconcile<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        actor: String,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::provisioning::Reconciliation>>> {
        let args = args(env, &tenant, actor, None).and_then(|(t, c)| {
            let o: ReconcileOptions = self::options(env, options).js(env)?;
            Ok((t, c, o))
        });
        call!(
            env,
            self.inner,
            args,
            |p, (t, c, o)| async move { p.reconcile(&t, o, &c).await },
            Serde
        )
    }

    /// Suspends an active tenant (members cannot sign in, mailboxes cannot
    /// authenticate; data kept).
    #[napi(
        ts_args_type = "tenant: TenantDocument, actor: string, at?: number",
        ts_return_type = "Promise<LifecycleReport>"
    )]
    pub fn suspend<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        actor: String,
        at: Option<f64>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::provisioning::LifecycleReport>>> {
        call!(
            env,
            self.inner,
            args(env, &tenant, actor, at),
            |p, (t, c)| async move { p.suspend(&t, &c).await },
            Serde
        )
    }

    /// Resumes a suspended tenant, restoring exactly what suspending changed.
    #[napi(
        ts_args_type = "tenant: TenantDocument, actor: string, at?: number",
        ts_return_type = "Promise<LifecycleReport>"
    )]
    pub fn resume<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        actor: String,
        at: Option<f64>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::provisioning::LifecycleReport>>> {
        call!(
            env,
            self.inner,
            args(env, &tenant, actor, at),
            |p, (t, c)| async move { p.resume(&t, &c).await },
            Serde
        )
    }

    /// Removes a deleted tenant's upstream resources (only those carrying its
    /// marker), identity last; running it again resumes where it stopped.
    #[napi(
        ts_args_type = "tenant: TenantDocument, actor: string, at?: number",
        ts_return_type = "Promise<Deprovisioning>"
    )]
    pub fn deprovision<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        actor: String,
        at: Option<f64>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::provisioning::Deprovisioning>>> {
        call!(
            env,
            self.inner,
            args(env, &tenant, actor, at),
            |p, (t, c)| async move { p.deprovision(&t, &c).await },
            Serde
        )
    }

    /// The native half of `reconcileAll` (lib/index.cjs): a bulk run fed with
    /// `push` and drained with `next`. Use `reconcileAll`.
    #[napi(ts_args_type = "actor: string, options?: BulkOptions | null, at?: number")]
    pub fn start_bulk(
        &self,
        env: Env,
        actor: String,
        options: Option<Unknown<'_>>,
        at: Option<f64>,
    ) -> napi::Result<BulkRun> {
        let change = change(actor, at).js(&env)?;
        let options: BulkOptions = self::options(&env, options).js(&env)?;
        // Tenants waiting for a slot: enough to keep the run busy, bounded
        // whatever the concurrency asked for.
        let capacity = options.concurrency.clamp(1, 256);
        let (input, mut tenants) = mpsc::channel::<Result<TenantDocument>>(capacity);
        let (events, output) = mpsc::channel::<BulkEvent>(1);
        let provisioner = self.inner.clone();
        let run = napi::bindgen_prelude::spawn(async move {
            let tenants = futures_util::stream::poll_fn(move |cx| tenants.poll_recv(cx));
            let stream = provisioner.reconcile_all(tenants, options, &change);
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                if events.send(event).await.is_err() {
                    break;
                }
            }
        });
        Ok(BulkRun {
            input: Mutex::new(Some(input)),
            output: Arc::new(tokio::sync::Mutex::new(output)),
            run: Mutex::new(Some(run)),
            cancelled: Arc::default(),
        })
    }
}

/// The tenant document and the change of a single-tenant operation.
fn args(
    env: &Env,
    tenant: &Unknown<'_>,
    actor: String,
    at: Option<f64>,
) -> napi::Result<(TenantDocument, Change)> {
    let change = change(actor, at).js(env)?;
    Ok((self::tenant(tenant).js(env)?, change))
}

/// A bulk run in progress (see `Provisioner.reconcileAll`).
#[napi]
pub struct BulkRun {
    input: Mutex<Option<mpsc::Sender<Result<TenantDocument>>>>,
    output: Arc<tokio::sync::Mutex<mpsc::Receiver<BulkEvent>>>,
    run: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Set by `cancel`: events still buffered are not reported.
    cancelled: Arc<AtomicBool>,
}

#[napi]
impl BulkRun {
    /// Adds a tenant document; resolves once the run has room for it
    /// (`false` when the run is over). A broken document becomes a `refused` event.
    #[napi(
        ts_args_type = "tenant: TenantDocument",
        ts_return_type = "Promise<boolean>"
    )]
    pub fn push<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, bool>> {
        let input = self.input.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let tenant = self::tenant(&tenant);
        spawn(
            env,
            async move {
                Ok::<_, Error>(match input {
                    Some(input) => input.send(tenant).await.is_ok(),
                    None => false,
                })
            },
            |sent| sent,
        )
    }

    /// No more tenants: the run ends once those given are reconciled.
    #[napi]
    pub fn end(&self) {
        self.input.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// The next event, or `null` after the last one (or after `cancel`).
    #[napi(ts_return_type = "Promise<BulkEvent | null>")]
    pub fn next<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, Option<Serde<BulkEvent>>>> {
        let output = self.output.clone();
        let cancelled = self.cancelled.clone();
        spawn(
            env,
            async move {
                let event = output.lock().await.recv().await;
                Ok::<_, Error>(event.filter(|_| !cancelled.load(Ordering::SeqCst)))
            },
            |event| event.map(Serde),
        )
    }

    /// Stops the run: calls in flight are abandoned, nothing more is reported.
    #[napi]
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        // Aborted before the input is closed, so that the run cannot take the
        // end of the input for the end of the run and report a summary.
        if let Some(run) = self.run.lock().unwrap_or_else(|e| e.into_inner()).take() {
            run.abort();
        }
        self.end();
    }
}

/// Checks a new tenant's slug (a lowercase DNS label of 2 to 63 characters,
/// not reserved): returns it, or throws `DEZKY_INVALID_ARGUMENT` naming `slug`.
#[napi]
pub fn parse_tenant_slug(env: Env, slug: String) -> napi::Result<String> {
    TenantSlug::parse("slug", &slug)
        .map(|s| s.as_str().to_owned())
        .js(&env)
}

/// The document `POST /tenants` stores for a new tenant: `pending`, version 0.
/// Throws `DEZKY_INVALID_ARGUMENT` naming `tenant.slug`, `tenant.id`, ...
#[napi(ts_return_type = "TenantDocument")]
pub fn new_tenant(
    env: Env,
    id: String,
    slug: String,
    name: String,
    plan: String,
) -> napi::Result<Serde<Map<String, Value>>> {
    TenantDocument::new_pending(&id, &slug, &name, &plan)
        .map(|t| Serde(t.to_document()))
        .js(&env)
}

/// Applies a lifecycle action (`activate`, `suspend`, `resume`, `delete`,
/// `deprovision`) to a tenant: the new status, the patch and the audit event.
/// Throws `DEZKY_ILLEGAL_TRANSITION` for a pair the status machine refuses.
#[napi(
    ts_args_type = "tenant: TenantDocument, action: LifecycleAction, actor: string, at?: number",
    ts_return_type = "TenantTransition"
)]
pub fn transition_tenant(
    env: Env,
    tenant: Unknown<'_>,
    action: String,
    actor: String,
    at: Option<f64>,
) -> napi::Result<Serde<Transition>> {
    let (tenant, change) = args(&env, &tenant, actor, at)?;
    let action: LifecycleAction = action.parse().js(&env)?;
    dezky_core::lifecycle::transition(&tenant, action, &change)
        .map(Serde)
        .js(&env)
}

/// The tenant document after `patch` (a report's `patch`), as the control
/// plane would store it (version incremented). Throws `DEZKY_VERSION_CONFLICT`
/// for a patch made from another version of the document.
#[napi(
    ts_args_type = "tenant: TenantDocument, patch: TenantPatch",
    ts_return_type = "TenantDocument"
)]
pub fn apply_tenant_patch(
    env: Env,
    tenant: Unknown<'_>,
    patch: Unknown<'_>,
) -> napi::Result<Serde<Map<String, Value>>> {
    (|| {
        let tenant = self::tenant(&tenant)?;
        let patch = TenantPatch::from_value(&Value::Object(object(&env, &patch, "patch")?))?;
        tenant.apply(&patch).map(|t| t.to_document())
    })()
    .map(Serde)
    .js(&env)
}
