//! Provision, reconcile, suspend, resume and deprovision one tenant.
//!
//! Nothing here writes the tenant document: each operation returns a report
//! with the [`TenantPatch`] to apply (guarded by the version the document was
//! read at) and the audit events to record. Steps run concurrently and
//! independently; one failing step leaves the others' results standing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use dezky_flags::Change;
use futures_util::future::join_all;
use serde::Serialize;
use serde_json::{Value, json};

use super::ports::{FailureKind, PortError, Resource, TenantRef, UpstreamPort};
use crate::audit::{AuditEvent, Outcome};
use crate::error::{Error, Result};
use crate::lifecycle::{
    Handles, LifecycleAction, Step, StepState, SuspensionEntry, TenantDocument, TenantPatch,
    TenantStatus, transition,
};

/// What reconciling found for one step's resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Drift {
    /// The recorded resource exists and carries the tenant's marker.
    InSync,
    /// Nothing was recorded or found; it was created.
    Created,
    /// Nothing was recorded, but the tenant's resource was found and adopted.
    Adopted,
    /// The recorded resource was gone; the tenant's resource was found or made again.
    Repaired,
    /// Dry run: the resource is missing and would be created.
    Missing,
    /// A resource by the tenant's name carries another marker (or none): left alone.
    Conflict,
    /// The step is switched off or does not apply.
    Skipped,
    /// An upstream call failed; see the message.
    Failed,
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StepReport {
    /// The step.
    pub step: Step,
    /// Its state, as recorded in `provisioningStatus`.
    pub state: StepState,
    /// What was found and done.
    pub drift: Drift,
    /// The resource's handle after the step, when there is one.
    pub handle: Option<String>,
    /// Why it was skipped, failed or conflicted.
    pub message: Option<String>,
    /// The stable code of the failure.
    pub code: Option<String>,
    /// How long the upstream asked to wait, after a 429.
    pub retry_after_ms: Option<u64>,
}

impl StepReport {
    fn new(step: Step, state: StepState, drift: Drift) -> Self {
        StepReport {
            step,
            state,
            drift,
            handle: None,
            message: None,
            code: None,
            retry_after_ms: None,
        }
    }

    fn failed(step: Step, error: PortError) -> Self {
        StepReport {
            message: Some(error.message),
            code: Some(error.code),
            retry_after_ms: error.retry_after_ms,
            ..StepReport::new(step, StepState::Error, Drift::Failed)
        }
    }

    fn conflict(step: Step, found: &Resource, tenant: &TenantRef) -> Self {
        let owner = found
            .owner
            .as_deref()
            .map_or("carries no tenant marker".to_owned(), |o| {
                format!("belongs to tenant {o}")
            });
        StepReport {
            message: Some(format!(
                "{step} resource {:?} ({}) {owner}, not {}: left alone",
                found.name, found.handle, tenant.id
            )),
            code: Some("DEZKY_ALREADY_EXISTS".into()),
            ..StepReport::new(step, StepState::Error, Drift::Conflict)
        }
    }
}

/// The result of reconciling (or provisioning) one tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reconciliation {
    /// The tenant's ObjectId.
    pub tenant_id: String,
    /// The tenant's slug.
    pub slug: String,
    /// Whether nothing was changed upstream (the patch is then empty).
    pub dry_run: bool,
    /// One report per step, in step order.
    pub steps: Vec<StepReport>,
    /// Suspension effects retried on the way (suspend for a suspended
    /// tenant, resume for an active one), in step order.
    pub suspension: Vec<StepReport>,
    /// Whether the tenant became active.
    pub activated: bool,
    /// The write to make; empty when the document already says it all.
    pub patch: TenantPatch,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

impl Reconciliation {
    /// Whether every step is `ok` or `skipped`.
    pub fn settled(&self) -> bool {
        self.steps.iter().all(|s| s.state.is_settled())
    }
}

/// The result of suspending or resuming a tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LifecycleReport {
    /// The action.
    #[serde(serialize_with = "action_name")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub action: LifecycleAction,
    /// The status before.
    pub from_status: TenantStatus,
    /// The status after.
    pub to_status: TenantStatus,
    /// One report per step whose resource the action changes.
    pub steps: Vec<StepReport>,
    /// The write to make.
    pub patch: TenantPatch,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

fn action_name<S: serde::Serializer>(
    action: &LifecycleAction,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(action.as_str())
}

/// What deprovisioning did to one step's resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Removal {
    /// It carried the tenant's marker and was removed.
    Removed,
    /// There was nothing to remove.
    Absent,
    /// Only a resource by the tenant's name that carries another marker (or
    /// none) was found: it is not the tenant's, so it is kept, and the step
    /// counts as done.
    Foreign,
    /// No port is configured for the step, but a handle is recorded: kept
    /// for whoever can remove it; the step is not done.
    Unmanaged,
    /// The removal failed; deprovisioning stopped here and can be run again.
    Failed,
    /// Not reached, because an earlier step failed.
    NotReached,
}

/// One step's deprovisioning result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RemovalReport {
    /// The step.
    pub step: Step,
    /// What happened.
    pub removal: Removal,
    /// The handle of what was removed or kept.
    pub handle: Option<String>,
    /// Why it was kept or failed.
    pub message: Option<String>,
    /// The stable code of the failure.
    pub code: Option<String>,
}

/// The result of deprovisioning a deleted tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Deprovisioning {
    /// One report per step, in the order they are removed.
    pub steps: Vec<RemovalReport>,
    /// Whether nothing carrying the tenant's marker is left: every step
    /// removed, absent or foreign (`deprovisionedAt` is then set).
    pub complete: bool,
    /// The write to make.
    pub patch: TenantPatch,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// Options of [`Provisioner::reconcile`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ReconcileOptions {
    /// Report the drift without creating, adopting or writing anything.
    pub dry_run: bool,
}

/// The order deprovisioning removes resources in: what holds data first,
/// the identity (which the others may still reference) last.
pub const REMOVAL_ORDER: [Step; 5] = [
    Step::Onboarding,
    Step::Stripe,
    Step::Ocis,
    Step::Stalwart,
    Step::Authentik,
];

/// Drives the ports of the steps that are switched on.
///
/// Operations on one tenant through one provisioner (and its clones) run one
/// at a time, so two reconciles racing in one process never both create: the
/// second finds what the first made. Across processes the patch's version
/// guard decides whose record stands; see `docs/provisioning.md` for what it
/// does not cover.
#[derive(Clone, Default)]
pub struct Provisioner {
    ports: BTreeMap<Step, Arc<dyn UpstreamPort>>,
    disabled: BTreeSet<Step>,
    busy: TenantLocks,
}

/// One async lock per tenant id, dropped when nobody holds or waits for it,
/// so memory does not grow with the number of tenants seen.
#[derive(Clone, Default)]
struct TenantLocks(Arc<std::sync::Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>>);

struct TenantGuard {
    locks: TenantLocks,
    id: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl TenantLocks {
    async fn lock(&self, id: &str) -> TenantGuard {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(id.to_owned()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        TenantGuard {
            locks: self.clone(),
            id: id.to_owned(),
            guard: Some(guard),
        }
    }
}

impl Drop for TenantGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.locks.0.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map holds it now: nobody waits, so it can go.
        if map.get(&self.id).is_some_and(|l| Arc::strong_count(l) == 1) {
            map.remove(&self.id);
        }
    }
}

impl std::fmt::Debug for Provisioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioner")
            .field("steps", &self.ports.keys().collect::<Vec<_>>())
            .field("disabled", &self.disabled)
            .finish()
    }
}

impl Provisioner {
    /// A provisioner with no ports: every step is `skipped`.
    pub fn new() -> Self {
        Provisioner::default()
    }

    /// Every port replaced by `f(port)`.
    pub(super) fn map_ports(
        mut self,
        f: impl Fn(Arc<dyn UpstreamPort>) -> Arc<dyn UpstreamPort>,
    ) -> Self {
        self.ports = std::mem::take(&mut self.ports)
            .into_iter()
            .map(|(step, port)| (step, f(port)))
            .collect();
        self
    }

    /// Adds (or replaces) the port of its step.
    pub fn with_port(mut self, port: Arc<dyn UpstreamPort>) -> Self {
        self.ports.insert(port.step(), port);
        self
    }

    /// Switches a step off (the control plane's `STALWART_PROVISIONING_ENABLED`
    /// and the like): it is reported `skipped` and its upstream is not called.
    pub fn disable(mut self, step: Step) -> Self {
        self.disabled.insert(step);
        self
    }

    /// The port of `step`, when it is on.
    fn port(&self, step: Step) -> Option<&Arc<dyn UpstreamPort>> {
        self.ports
            .get(&step)
            .filter(|_| !self.disabled.contains(&step))
    }

    /// Provisions a new (`pending`) tenant: a reconcile whose audit event is
    /// `tenant.provision`. Any other status is refused
    /// (`DEZKY_ILLEGAL_TRANSITION`, action `provision`): use `reconcile`.
    pub async fn provision(
        &self,
        tenant: &TenantDocument,
        change: &Change,
    ) -> Result<Reconciliation> {
        if tenant.status != TenantStatus::Pending {
            return Err(Error::IllegalTransition {
                from_status: tenant.status.as_str().into(),
                action: "provision".into(),
            });
        }
        let mut run = self
            .reconcile(tenant, ReconcileOptions::default(), change)
            .await?;
        if let Some(first) = run.events.first_mut() {
            first.action = "tenant.provision".into();
        }
        Ok(run)
    }

    /// Reconciles `tenant`: each step's recorded handle is checked, a lost
    /// resource found by name and marker or made again, a missing one
    /// created. A pending tenant whose steps all settle becomes active.
    /// Suspension effects that failed earlier are retried. A deleted tenant is
    /// refused (`DEZKY_ILLEGAL_TRANSITION`).
    pub async fn reconcile(
        &self,
        tenant: &TenantDocument,
        options: ReconcileOptions,
        change: &Change,
    ) -> Result<Reconciliation> {
        if tenant.status == TenantStatus::Deleted {
            return Err(Error::IllegalTransition {
                from_status: tenant.status.as_str().into(),
                action: "reconcile".into(),
            });
        }
        tenant.check_for_upstreams()?;
        let _busy = self.busy.lock(&tenant.id).await;
        let target = TenantRef::from(tenant);
        let steps = join_all(
            Step::ALL
                .iter()
                .map(|step| self.reconcile_step(*step, tenant, &target, options.dry_run)),
        )
        .await;

        let mut patch = TenantPatch::new(tenant);
        let mut events = Vec::new();
        let mut suspension = Vec::new();
        let mut activated = false;
        if !options.dry_run {
            record_steps(tenant, &steps, &mut patch);
            suspension = self.converge_suspension(tenant, &target, &mut patch).await;
            let mut after = tenant.clone();
            for s in &steps {
                after.provisioning_status.insert(s.step, s.state);
            }
            if crate::lifecycle::ready_to_activate(&after) {
                let t = transition(&after, LifecycleAction::Activate, change)?;
                patch.merge(t.patch);
                events.push(t.event);
                activated = true;
            }
            let settled = steps.iter().all(|s| s.state.is_settled());
            let outcome = if settled {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            let step_states: serde_json::Map<String, Value> = steps
                .iter()
                .map(|s| (s.step.as_str().into(), json!(s.state.as_str())))
                .collect();
            events.insert(
                0,
                AuditEvent::new("tenant.reconcile", outcome, change, "tenant", &tenant.slug)
                    .for_tenant(&tenant.id)
                    .with("steps", Value::Object(step_states)),
            );
        }
        Ok(Reconciliation {
            tenant_id: tenant.id.clone(),
            slug: tenant.slug.clone(),
            dry_run: options.dry_run,
            steps,
            suspension,
            activated,
            patch,
            events,
        })
    }

    async fn reconcile_step(
        &self,
        step: Step,
        tenant: &TenantDocument,
        target: &TenantRef,
        dry_run: bool,
    ) -> StepReport {
        let Some(port) = self.port(step) else {
            return StepReport {
                message: Some("switched off".into()),
                ..StepReport::new(step, StepState::Skipped, Drift::Skipped)
            };
        };
        if let Some(reason) = port.skip_reason(target) {
            return StepReport {
                message: Some(reason),
                ..StepReport::new(step, StepState::Skipped, Drift::Skipped)
            };
        }
        let recorded = tenant.handles.get(step);
        if let Some(handle) = recorded {
            match port.get(handle).await {
                Ok(Some(found)) if found.owner.as_deref() == Some(target.id.as_str()) => {
                    return StepReport {
                        handle: Some(found.handle),
                        ..StepReport::new(step, StepState::Ok, Drift::InSync)
                    };
                }
                Ok(Some(found)) => return StepReport::conflict(step, &found, target),
                Ok(None) => {}
                Err(e) => return StepReport::failed(step, e),
            }
        }
        let (found_drift, made_drift) = if recorded.is_some() {
            (Drift::Repaired, Drift::Repaired)
        } else {
            (Drift::Adopted, Drift::Created)
        };
        match port.find(target).await {
            Ok(Some(found)) if found.owner.as_deref() == Some(target.id.as_str()) => {
                let drift = if dry_run { Drift::Missing } else { found_drift };
                StepReport {
                    handle: Some(found.handle),
                    message: dry_run
                        .then(|| "found by name and marker; would be recorded".to_owned()),
                    ..StepReport::new(step, StepState::Ok, drift)
                }
            }
            Ok(Some(found)) => StepReport::conflict(step, &found, target),
            Ok(None) if dry_run => StepReport {
                message: Some("missing; would be created".into()),
                ..StepReport::new(step, StepState::Pending, Drift::Missing)
            },
            Ok(None) => match port.create(target).await {
                Ok(made) => StepReport {
                    handle: Some(made.handle),
                    ..StepReport::new(step, StepState::Ok, made_drift)
                },
                Err(e) => StepReport::failed(step, e),
            },
            Err(e) => StepReport::failed(step, e),
        }
    }

    /// Retries what an earlier suspend or resume left undone: a suspended
    /// tenant's steps not yet suspended, an active tenant's steps not yet resumed.
    async fn converge_suspension(
        &self,
        tenant: &TenantDocument,
        target: &TenantRef,
        patch: &mut TenantPatch,
    ) -> Vec<StepReport> {
        let action = match tenant.status {
            TenantStatus::Suspended => LifecycleAction::Suspend,
            TenantStatus::Active if !tenant.suspension.is_empty() => LifecycleAction::Resume,
            _ => return Vec::new(),
        };
        let due: Vec<Step> = self
            .suspending_steps(tenant)
            .into_iter()
            .filter(|step| match action {
                LifecycleAction::Suspend => tenant
                    .suspension
                    .get(step)
                    .is_none_or(|e| e.state != StepState::Ok),
                _ => tenant.suspension.contains_key(step),
            })
            .collect();
        let reports = self.apply_suspension(action, tenant, target, &due).await;
        record_suspension(action, tenant, &reports, patch);
        reports.into_iter().map(|(report, _)| report).collect()
    }

    /// The steps whose resources a suspension changes and that have one.
    fn suspending_steps(&self, tenant: &TenantDocument) -> Vec<Step> {
        Step::ALL
            .iter()
            .copied()
            .filter(|step| {
                self.port(*step).is_some_and(|p| p.suspends())
                    && (tenant.handles.get(*step).is_some() || tenant.suspension.contains_key(step))
            })
            .collect()
    }

    async fn apply_suspension(
        &self,
        action: LifecycleAction,
        tenant: &TenantDocument,
        target: &TenantRef,
        steps: &[Step],
    ) -> Vec<(StepReport, Value)> {
        join_all(steps.iter().map(|step| async move {
            let step = *step;
            let Some(port) = self.port(step) else {
                return (
                    StepReport::new(step, StepState::Skipped, Drift::Skipped),
                    Value::Null,
                );
            };
            let Some(handle) = tenant.handles.get(step) else {
                // Recorded as suspended, but the handle is gone: nothing to undo.
                return (
                    StepReport::new(step, StepState::Skipped, Drift::Skipped),
                    Value::Null,
                );
            };
            let result = match action {
                LifecycleAction::Suspend => port.suspend(target, handle).await,
                _ => {
                    let saved = tenant
                        .suspension
                        .get(&step)
                        .map_or(Value::Null, |e| e.saved.clone());
                    port.resume(target, handle, &saved).await.map(|()| saved)
                }
            };
            match result {
                Ok(saved) => (
                    StepReport {
                        handle: Some(handle.to_owned()),
                        ..StepReport::new(step, StepState::Ok, Drift::InSync)
                    },
                    saved,
                ),
                Err(e) => (StepReport::failed(step, e), Value::Null),
            }
        }))
        .await
    }

    /// Suspends an active tenant: the status change (see
    /// [`crate::lifecycle::transition`]), then each step's upstream effect
    /// (members cannot sign in, mailboxes cannot authenticate; data kept).
    /// What each step changed is recorded under `suspension.<step>` so
    /// [`Provisioner::resume`] restores exactly that; a step that failed is
    /// recorded as `error` and retried by the next reconcile.
    pub async fn suspend(
        &self,
        tenant: &TenantDocument,
        change: &Change,
    ) -> Result<LifecycleReport> {
        self.suspend_or_resume(LifecycleAction::Suspend, tenant, change)
            .await
    }

    /// Resumes a suspended tenant, undoing exactly what suspending did.
    pub async fn resume(
        &self,
        tenant: &TenantDocument,
        change: &Change,
    ) -> Result<LifecycleReport> {
        self.suspend_or_resume(LifecycleAction::Resume, tenant, change)
            .await
    }

    async fn suspend_or_resume(
        &self,
        action: LifecycleAction,
        tenant: &TenantDocument,
        change: &Change,
    ) -> Result<LifecycleReport> {
        let t = transition(tenant, action, change)?;
        tenant.check_for_upstreams()?;
        let _busy = self.busy.lock(&tenant.id).await;
        let target = TenantRef::from(tenant);
        let steps: Vec<Step> = self
            .suspending_steps(tenant)
            .into_iter()
            .filter(|step| {
                action == LifecycleAction::Suspend || tenant.suspension.contains_key(step)
            })
            .collect();
        let results = self.apply_suspension(action, tenant, &target, &steps).await;
        let mut patch = t.patch;
        record_suspension(action, tenant, &results, &mut patch);
        let reports: Vec<StepReport> = results.into_iter().map(|(r, _)| r).collect();
        let failed: Vec<&str> = reports
            .iter()
            .filter(|r| r.state == StepState::Error)
            .map(|r| r.step.as_str())
            .collect();
        let mut event = t.event;
        if !failed.is_empty() {
            // The status changed; upstream effects are retried by reconcile.
            event = event.with("failedSteps", json!(failed));
        }
        Ok(LifecycleReport {
            action,
            from_status: t.from,
            to_status: t.to,
            steps: reports,
            patch,
            events: vec![event],
        })
    }

    /// Removes a deleted tenant's upstream resources, one step at a time in
    /// [`REMOVAL_ORDER`]. A resource is removed only when its marker names the
    /// tenant; lost handles are found by name and marker. Stops at the first
    /// failure; running it again resumes (what is gone is `absent`). When
    /// nothing carrying the tenant's marker is left, `deprovisionedAt` is set.
    pub async fn deprovision(
        &self,
        tenant: &TenantDocument,
        change: &Change,
    ) -> Result<Deprovisioning> {
        if tenant.status != TenantStatus::Deleted {
            return Err(Error::IllegalTransition {
                from_status: tenant.status.as_str().into(),
                action: LifecycleAction::Deprovision.as_str().into(),
            });
        }
        tenant.check_for_upstreams()?;
        let _busy = self.busy.lock(&tenant.id).await;
        let target = TenantRef::from(tenant);
        let mut patch = TenantPatch::new(tenant);
        let mut reports = Vec::new();
        let mut stopped = false;
        for step in REMOVAL_ORDER {
            if stopped {
                reports.push(RemovalReport {
                    step,
                    removal: Removal::NotReached,
                    handle: tenant.handles.get(step).map(str::to_owned),
                    message: None,
                    code: None,
                });
                continue;
            }
            let report = self.remove_step(step, tenant, &target).await;
            match report.removal {
                Removal::Removed | Removal::Absent => {
                    if tenant.handles.get(step).is_some() {
                        patch.unset(Handles::field(step));
                    }
                    patch.set(
                        format!("deprovisionStatus.{step}"),
                        report_name(report.removal),
                    );
                }
                Removal::Foreign | Removal::Unmanaged => {
                    patch.set(
                        format!("deprovisionStatus.{step}"),
                        report_name(report.removal),
                    );
                }
                Removal::Failed => {
                    patch.set(format!("deprovisionStatus.{step}"), "error");
                    stopped = true;
                }
                Removal::NotReached => {}
            }
            reports.push(report);
        }
        let done = |r: &RemovalReport| {
            matches!(
                r.removal,
                Removal::Removed | Removal::Absent | Removal::Foreign
            )
        };
        let complete = reports.iter().all(done);
        let removed: Vec<Value> = reports
            .iter()
            .filter(|r| r.removal == Removal::Removed)
            .map(|r| json!({"step": r.step.as_str(), "handle": r.handle}))
            .collect();
        let mut event = AuditEvent::new(
            "tenant.deprovision",
            if complete {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            change,
            "tenant",
            &tenant.slug,
        )
        .for_tenant(&tenant.id)
        .with("removed", Value::Array(removed));
        if complete {
            let t = transition(tenant, LifecycleAction::Deprovision, change)?;
            patch.merge(t.patch);
        } else {
            let open: Vec<&str> = reports
                .iter()
                .filter(|r| !done(r))
                .map(|r| r.step.as_str())
                .collect();
            event = event.with("remaining", json!(open));
        }
        Ok(Deprovisioning {
            steps: reports,
            complete,
            patch,
            events: vec![event],
        })
    }

    async fn remove_step(
        &self,
        step: Step,
        tenant: &TenantDocument,
        target: &TenantRef,
    ) -> RemovalReport {
        let report =
            |removal, handle: Option<&str>, message: Option<String>, code: Option<String>| {
                RemovalReport {
                    step,
                    removal,
                    handle: handle.map(str::to_owned),
                    message,
                    code,
                }
            };
        let Some(port) = self.ports.get(&step) else {
            // No port: nothing of this step can exist through the SDK. A
            // recorded handle is kept for whoever can remove it.
            return match tenant.handles.get(step) {
                None => report(Removal::Absent, None, None, None),
                Some(h) => report(
                    Removal::Unmanaged,
                    Some(h),
                    Some("no port configured for this step".into()),
                    None,
                ),
            };
        };
        let mut found = None;
        if let Some(handle) = tenant.handles.get(step) {
            match port.get(handle).await {
                Ok(r) => found = r,
                Err(e) => {
                    return report(Removal::Failed, Some(handle), Some(e.message), Some(e.code));
                }
            }
        }
        if found.is_none() {
            match port.find(target).await {
                Ok(r) => found = r,
                Err(e) => return report(Removal::Failed, None, Some(e.message), Some(e.code)),
            }
        }
        let Some(resource) = found else {
            return report(Removal::Absent, None, None, None);
        };
        if resource.owner.as_deref() != Some(target.id.as_str()) {
            return report(
                Removal::Foreign,
                Some(&resource.handle),
                Some(format!(
                    "{:?} does not carry this tenant's marker: not removed",
                    resource.name
                )),
                None,
            );
        }
        match port.remove(target, &resource.handle).await {
            Ok(()) => report(Removal::Removed, Some(&resource.handle), None, None),
            Err(e) => {
                let message = match e.kind {
                    FailureKind::InUse => format!("still in use: {}", e.message),
                    _ => e.message,
                };
                report(
                    Removal::Failed,
                    Some(&resource.handle),
                    Some(message),
                    Some(e.code),
                )
            }
        }
    }
}

fn report_name(removal: Removal) -> &'static str {
    match removal {
        Removal::Removed => "removed",
        Removal::Absent => "absent",
        Removal::Foreign => "foreign",
        Removal::Unmanaged => "unmanaged",
        Removal::Failed => "error",
        Removal::NotReached => "pending",
    }
}

/// Writes each step's state, error and handle where they differ from the document.
fn record_steps(tenant: &TenantDocument, steps: &[StepReport], patch: &mut TenantPatch) {
    for s in steps {
        if tenant.provisioning_status.get(&s.step) != Some(&s.state) {
            patch.set(format!("provisioningStatus.{}", s.step), s.state.as_str());
        }
        let recorded_error = tenant.provisioning_errors.get(&s.step);
        match (&s.message, s.state) {
            (Some(message), StepState::Error) if recorded_error != Some(message) => {
                patch.set(format!("provisioningErrors.{}", s.step), message.as_str());
            }
            (_, StepState::Ok | StepState::Skipped) if recorded_error.is_some() => {
                patch.unset(format!("provisioningErrors.{}", s.step));
            }
            _ => {}
        }
        if s.state == StepState::Ok
            && let Some(handle) = &s.handle
            && tenant.handles.get(s.step) != Some(handle.as_str())
        {
            patch.set(Handles::field(s.step), handle.as_str());
        }
    }
}

/// Writes `suspension.<step>` after suspending (the saved state, or the
/// error) or resuming (removed when restored, the error otherwise).
fn record_suspension(
    action: LifecycleAction,
    tenant: &TenantDocument,
    results: &[(StepReport, Value)],
    patch: &mut TenantPatch,
) {
    for (report, saved) in results {
        let key = format!("suspension.{}", report.step);
        match (action, report.state) {
            (LifecycleAction::Suspend, StepState::Ok) => {
                let entry = SuspensionEntry {
                    state: StepState::Ok,
                    saved: saved.clone(),
                    message: None,
                };
                patch.set(key, serde_json::to_value(entry).unwrap_or(Value::Null));
            }
            (_, StepState::Ok | StepState::Skipped) => {
                patch.unset(key);
            }
            (_, _) => {
                let saved = tenant
                    .suspension
                    .get(&report.step)
                    .map_or(Value::Null, |e| e.saved.clone());
                let entry = SuspensionEntry {
                    state: StepState::Error,
                    saved,
                    message: report.message.clone(),
                };
                patch.set(key, serde_json::to_value(entry).unwrap_or(Value::Null));
            }
        }
    }
}
