//! Provisioning on the in-memory upstreams: states, drift, faults, races,
//! suspension and deprovisioning.

// In a test a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::lifecycle::{
    LifecycleAction, Step, StepState, TenantDocument, TenantStatus, transition,
};
use dezky_core::provisioning::memory::{MemoryUpstream, Op, Stored};
use dezky_core::provisioning::{
    BulkEvent, BulkOptions, Drift, FailureKind, PortError, Provisioner, ReconcileOptions, Removal,
    UpstreamLimits,
};
use dezky_flags::Change;
use futures_util::StreamExt;
use proptest::prelude::*;
use serde_json::{Value, json};

const TENANT_ID: &str = "6650f1c2a9b4e3d2c1b0a998";

fn change() -> Change {
    Change::new(
        "ops@dezky.eu",
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )
    .unwrap()
}

fn new_tenant() -> TenantDocument {
    let Value::Object(map) = json!({
        "_id": TENANT_ID, "slug": "acme", "name": "Acme Co", "status": "pending",
        "plan": "business", "domains": ["acme.test"], "billingInfo": {"email": "billing@acme.test"},
        "__v": 0,
    }) else {
        unreachable!()
    };
    TenantDocument::from_document("tenant", &map).unwrap()
}

struct World {
    upstreams: Vec<MemoryUpstream>,
    provisioner: Provisioner,
}

impl World {
    fn new() -> Self {
        let upstreams = MemoryUpstream::all();
        let provisioner = upstreams
            .iter()
            .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u.clone())));
        World {
            upstreams,
            provisioner,
        }
    }

    fn upstream(&self, step: Step) -> &MemoryUpstream {
        self.upstreams
            .iter()
            .find(|u| {
                use dezky_core::provisioning::UpstreamPort;
                u.step() == step
            })
            .unwrap()
    }

    async fn reconcile(
        &self,
        tenant: &TenantDocument,
    ) -> (TenantDocument, dezky_core::provisioning::Reconciliation) {
        let r = self
            .provisioner
            .reconcile(tenant, ReconcileOptions::default(), &change())
            .await
            .unwrap();
        (tenant.apply(&r.patch).unwrap(), r)
    }
}

fn unavailable() -> PortError {
    PortError::new(
        FailureKind::Unavailable,
        "DEZKY_UPSTREAM_UNAVAILABLE",
        "503 from upstream",
    )
}

#[tokio::test]
async fn provisioning_creates_each_resource_and_activates() {
    let world = World::new();
    let (tenant, r) = world.reconcile(&new_tenant()).await;
    assert!(r.settled() && r.activated);
    assert!(
        r.steps.iter().all(|s| s.drift == Drift::Created),
        "{:?}",
        r.steps
    );
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(tenant.handles.stalwart_domain.as_deref(), Some("acme.test"));
    assert!(tenant.handles.authentik_group_id.is_some() && tenant.handles.ocis_space_id.is_some());
    assert!(
        tenant
            .handles
            .stripe_customer_id
            .as_deref()
            .unwrap()
            .starts_with("cus_")
    );
    for step in Step::ALL {
        assert_eq!(tenant.provisioning_status[step], StepState::Ok);
        assert_eq!(world.upstream(*step).owned_by(TENANT_ID).len(), 1);
    }
    assert_eq!(
        r.events
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["tenant.reconcile", "tenant.activate"]
    );

    // Again: everything in sync, nothing to write but the version guard.
    let (_, again) = world.reconcile(&tenant).await;
    assert!(again.steps.iter().all(|s| s.drift == Drift::InSync));
    assert!(again.patch.is_empty() && !again.activated);
    for step in Step::ALL {
        assert_eq!(world.upstream(*step).calls(Op::Create), 1);
    }
}

#[tokio::test]
async fn a_switched_off_or_inapplicable_step_is_skipped_without_a_call() {
    let upstreams = MemoryUpstream::all();
    let provisioner = upstreams
        .iter()
        .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u.clone())))
        .disable(Step::Stalwart);
    let mut tenant = new_tenant();
    tenant.billing_info = None;
    let r = provisioner
        .reconcile(&tenant, ReconcileOptions::default(), &change())
        .await
        .unwrap();
    let by_step = |s| r.steps.iter().find(|x| x.step == s).unwrap();
    assert_eq!(by_step(Step::Stalwart).state, StepState::Skipped);
    assert_eq!(
        by_step(Step::Stalwart).message.as_deref(),
        Some("switched off")
    );
    assert_eq!(by_step(Step::Onboarding).state, StepState::Skipped);
    assert_eq!(
        upstreams[1].calls(Op::Find) + upstreams[1].calls(Op::Create),
        0
    );
    // Skipped counts as settled: the tenant activates.
    assert!(r.activated);
}

#[tokio::test]
async fn one_failing_step_leaves_the_others_and_a_later_reconcile_converges() {
    let world = World::new();
    world
        .upstream(Step::Ocis)
        .fail_next(Op::Create, unavailable());
    let (tenant, r) = world.reconcile(&new_tenant()).await;
    assert!(!r.activated);
    assert_eq!(tenant.status, TenantStatus::Pending);
    assert_eq!(tenant.provisioning_status[&Step::Ocis], StepState::Error);
    assert_eq!(tenant.provisioning_errors[&Step::Ocis], "503 from upstream");
    assert_eq!(tenant.provisioning_status[&Step::Authentik], StepState::Ok);
    assert_eq!(r.events[0].outcome, dezky_core::audit::Outcome::Failure);

    let (tenant, r) = world.reconcile(&tenant).await;
    assert!(r.activated);
    assert!(tenant.provisioning_errors.is_empty());
    assert_eq!(world.upstream(Step::Ocis).owned_by(TENANT_ID).len(), 1);
}

#[tokio::test]
async fn drift_is_repaired_adopted_or_reported() {
    let world = World::new();
    let (tenant, _) = world.reconcile(&new_tenant()).await;

    // A space deleted out of band is made again; a group whose handle the
    // document lost is found and adopted, not created twice.
    world
        .upstream(Step::Ocis)
        .delete(tenant.handles.ocis_space_id.as_deref().unwrap());
    let mut lost = tenant.clone();
    lost.handles.authentik_group_id = None;

    let dry = world
        .provisioner
        .reconcile(&lost, ReconcileOptions { dry_run: true }, &change())
        .await
        .unwrap();
    let drift = |r: &dezky_core::provisioning::Reconciliation, s| {
        r.steps.iter().find(|x| x.step == s).unwrap().drift
    };
    assert_eq!(drift(&dry, Step::Ocis), Drift::Missing);
    assert_eq!(drift(&dry, Step::Authentik), Drift::Missing);
    assert!(dry.patch.is_empty() && dry.events.is_empty());
    assert_eq!(world.upstream(Step::Ocis).calls(Op::Create), 1);

    let (after, r) = world.reconcile(&lost).await;
    assert_eq!(drift(&r, Step::Ocis), Drift::Repaired);
    assert_eq!(drift(&r, Step::Authentik), Drift::Adopted);
    assert_eq!(
        after.handles.authentik_group_id,
        tenant.handles.authentik_group_id
    );
    assert_eq!(world.upstream(Step::Authentik).calls(Op::Create), 1);
    assert_eq!(world.upstream(Step::Ocis).owned_by(TENANT_ID).len(), 1);
}

#[tokio::test]
async fn a_resource_of_another_tenant_is_never_adopted() {
    let world = World::new();
    world.upstream(Step::Authentik).insert(
        "foreign-group",
        Stored {
            name: "acme".into(),
            owner: Some("6650f1c2a9b4e3d2c1b0a000".into()),
            suspended: false,
            in_use: 0,
        },
    );
    let (tenant, r) = world.reconcile(&new_tenant()).await;
    let step = r.steps.iter().find(|s| s.step == Step::Authentik).unwrap();
    assert_eq!(
        (step.drift, step.state),
        (Drift::Conflict, StepState::Error)
    );
    assert!(
        step.message
            .as_deref()
            .unwrap()
            .contains("belongs to tenant 6650f1c2a9b4e3d2c1b0a000")
    );
    assert_eq!(tenant.handles.authentik_group_id, None);
    assert_eq!(world.upstream(Step::Authentik).calls(Op::Create), 0);
}

#[tokio::test]
async fn two_reconciles_at_once_create_once_and_the_stale_patch_loses() {
    let world = World::new();
    let tenant = new_tenant();
    let by = change();
    let (a, b) = tokio::join!(
        world
            .provisioner
            .reconcile(&tenant, ReconcileOptions::default(), &by),
        world
            .provisioner
            .reconcile(&tenant, ReconcileOptions::default(), &by),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    for step in Step::ALL {
        assert_eq!(world.upstream(*step).calls(Op::Create), 1, "{step}");
        assert_eq!(world.upstream(*step).owned_by(TENANT_ID).len(), 1, "{step}");
    }
    let first = tenant.apply(&a.patch).unwrap();
    assert!(
        matches!(first.apply(&b.patch), Err(Error::VersionConflict { .. }))
            || matches!(tenant.apply(&b.patch).map(|_| ()), Ok(()))
    );
    // Whichever lands first wins; the other, made from the same version, loses.
    assert!(matches!(
        first.apply(&b.patch),
        Err(Error::VersionConflict { .. })
    ));
}

#[tokio::test]
async fn suspend_and_resume_restore_exactly_what_was_there() {
    let world = World::new();
    let (tenant, _) = world.reconcile(&new_tenant()).await;
    let mailbox = world.upstream(Step::Stalwart);
    // The domain was already frozen by hand before the suspension.
    let domain = tenant.handles.stalwart_domain.clone().unwrap();
    let mut stored = mailbox.resources()[&domain].clone();
    stored.suspended = true;
    mailbox.insert(&domain, stored);

    let s = world.provisioner.suspend(&tenant, &change()).await.unwrap();
    assert_eq!(
        (s.from_status, s.to_status),
        (TenantStatus::Active, TenantStatus::Suspended)
    );
    assert_eq!(
        s.steps.iter().map(|r| r.step).collect::<Vec<_>>(),
        [Step::Authentik, Step::Stalwart]
    );
    let suspended = tenant.apply(&s.patch).unwrap();
    assert_eq!(suspended.status, TenantStatus::Suspended);
    let group = tenant.handles.authentik_group_id.clone().unwrap();
    assert!(world.upstream(Step::Authentik).resources()[&group].suspended);

    let r = world
        .provisioner
        .resume(&suspended, &change())
        .await
        .unwrap();
    let resumed = suspended.apply(&r.patch).unwrap();
    assert_eq!(resumed.status, TenantStatus::Active);
    assert!(resumed.suspension.is_empty());
    assert!(!world.upstream(Step::Authentik).resources()[&group].suspended);
    assert!(
        mailbox.resources()[&domain].suspended,
        "resume must not thaw what suspend did not freeze"
    );

    assert!(matches!(
        world.provisioner.resume(&resumed, &change()).await,
        Err(Error::IllegalTransition { .. })
    ));
}

#[tokio::test]
async fn a_failed_suspension_step_is_recorded_and_retried_by_reconcile() {
    let world = World::new();
    let (tenant, _) = world.reconcile(&new_tenant()).await;
    world
        .upstream(Step::Stalwart)
        .fail_next(Op::Suspend, unavailable());
    let s = world.provisioner.suspend(&tenant, &change()).await.unwrap();
    let suspended = tenant.apply(&s.patch).unwrap();
    assert_eq!(suspended.status, TenantStatus::Suspended);
    assert_eq!(
        suspended.suspension[&Step::Stalwart].state,
        StepState::Error
    );
    assert_eq!(s.events[0].metadata["failedSteps"], json!(["stalwart"]));

    let (after, r) = world.reconcile(&suspended).await;
    assert_eq!(r.suspension.len(), 1);
    assert_eq!(after.suspension[&Step::Stalwart].state, StepState::Ok);
    let domain = after.handles.stalwart_domain.clone().unwrap();
    assert!(world.upstream(Step::Stalwart).resources()[&domain].suspended);
}

#[tokio::test]
async fn deprovision_removes_only_marked_resources_in_order_and_resumes() {
    let world = World::new();
    let (tenant, _) = world.reconcile(&new_tenant()).await;
    assert!(matches!(
        world.provisioner.deprovision(&tenant, &change()).await,
        Err(Error::IllegalTransition { .. })
    ));
    let deleted = tenant
        .apply(
            &transition(&tenant, LifecycleAction::Delete, &change())
                .unwrap()
                .patch,
        )
        .unwrap();
    // Mailboxes still on the domain: removal stops there.
    let domain = deleted.handles.stalwart_domain.clone().unwrap();
    world.upstream(Step::Stalwart).set_in_use(&domain, 2);
    // A space named like the tenant but carrying no marker is somebody else's.
    world.upstream(Step::Ocis).insert(
        "space-stranger",
        Stored {
            name: "acme".into(),
            owner: None,
            suspended: false,
            in_use: 0,
        },
    );

    let d = world
        .provisioner
        .deprovision(&deleted, &change())
        .await
        .unwrap();
    assert!(!d.complete);
    let removal = |d: &dezky_core::provisioning::Deprovisioning, s| {
        d.steps.iter().find(|x| x.step == s).unwrap().removal
    };
    assert_eq!(removal(&d, Step::Ocis), Removal::Removed);
    assert_eq!(removal(&d, Step::Stalwart), Removal::Failed);
    assert_eq!(removal(&d, Step::Authentik), Removal::NotReached);
    let partly = deleted.apply(&d.patch).unwrap();
    assert_eq!(partly.handles.ocis_space_id, None);
    assert!(
        world
            .upstream(Step::Ocis)
            .resources()
            .contains_key("space-stranger")
    );

    world.upstream(Step::Stalwart).set_in_use(&domain, 0);
    let d = world
        .provisioner
        .deprovision(&partly, &change())
        .await
        .unwrap();
    assert!(d.complete);
    // Now only the stranger's space answers to the name: kept, and the step is done.
    assert_eq!(removal(&d, Step::Ocis), Removal::Foreign);
    let done = partly.apply(&d.patch).unwrap();
    assert!(done.extra.contains_key("deprovisionedAt"));
    for step in Step::ALL {
        assert!(
            world.upstream(*step).owned_by(TENANT_ID).is_empty(),
            "{step}"
        );
    }
    assert!(
        world
            .upstream(Step::Ocis)
            .resources()
            .contains_key("space-stranger")
    );
}

fn fault_strategy() -> impl Strategy<Value = Vec<(usize, usize, u8)>> {
    // (step index, op index, kind) per fault; up to 12 faults. Kinds: 0 a
    // 503, 1 a 429 with Retry-After, 2 a create or remove that took effect
    // but whose reply was lost.
    proptest::collection::vec((0usize..5, 0usize..4, 0u8..3), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random faults on get/find/create: enough reconciles settle every
    /// step with each resource created once; deprovisioning after any
    /// schedule leaves nothing carrying the tenant's marker.
    #[test]
    fn any_fault_schedule_converges_and_deprovisions_clean(faults in fault_strategy(), delete_after in 0usize..4) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let world = World::new();
            for (step, op, kind) in &faults {
                let op = [Op::Get, Op::Find, Op::Create, Op::Remove][*op];
                let upstream = &world.upstreams[*step];
                match kind {
                    0 => upstream.fail_next(op, unavailable()),
                    1 => upstream.fail_next(op, PortError {
                        retry_after_ms: Some(1000),
                        ..PortError::new(FailureKind::RateLimited, "DEZKY_RATE_LIMITED", "429")
                    }),
                    _ => upstream.lose_next_reply(
                        if op == Op::Remove { Op::Remove } else { Op::Create },
                        PortError::new(FailureKind::Unavailable, "DEZKY_TIMEOUT", "timed out"),
                    ),
                }
            }
            let mut tenant = new_tenant();
            let mut rounds = 0;
            let mut deleted_early = false;
            loop {
                if rounds == delete_after && !deleted_early && tenant.status != TenantStatus::Active {
                    // Sometimes the tenant is deleted before it ever settles.
                    deleted_early = delete_after % 2 == 1;
                    if deleted_early { break; }
                }
                let (next, r) = world.reconcile(&tenant).await;
                tenant = next;
                rounds += 1;
                if r.settled() { break; }
                prop_assert!(rounds < 30, "no convergence: {:?}", r.steps);
            }
            if !deleted_early {
                prop_assert_eq!(tenant.status, TenantStatus::Active);
                for step in Step::ALL {
                    prop_assert_eq!(world.upstream(*step).owned_by(TENANT_ID).len(), 1);
                }
            }
            for u in &world.upstreams {
                prop_assert!(u.owned_by(TENANT_ID).len() <= 1, "created twice: {:?}", u.resources());
            }
            let deleted = tenant.apply(&transition(&tenant, LifecycleAction::Delete, &change()).unwrap().patch).unwrap();
            let mut doc = deleted;
            for _ in 0..10 {
                let d = world.provisioner.deprovision(&doc, &change()).await.unwrap();
                doc = doc.apply(&d.patch).unwrap();
                if d.complete { break; }
            }
            prop_assert!(doc.extra.contains_key("deprovisionedAt"));
            for u in &world.upstreams {
                prop_assert!(u.owned_by(TENANT_ID).is_empty());
            }
            Ok(())
        })?;
    }
}

fn numbered_tenant(i: usize) -> TenantDocument {
    let Value::Object(map) = json!({
        "_id": format!("6650f1c2a9b4e3d2c1{i:06x}"), "slug": format!("tenant-{i}"),
        "name": format!("Tenant {i}"), "status": "pending", "plan": "business",
        "domains": [format!("t{i}.test")], "billingInfo": {"email": format!("b{i}@t.test")},
    }) else {
        unreachable!()
    };
    TenantDocument::from_document("tenant", &map).unwrap()
}

fn limited_world(max_in_flight: usize, latency: Duration) -> World {
    let upstreams: Vec<MemoryUpstream> = MemoryUpstream::all()
        .into_iter()
        .map(|u| u.with_latency(latency))
        .collect();
    let provisioner = upstreams
        .iter()
        .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u.clone())))
        .with_upstream_limits(UpstreamLimits {
            max_in_flight,
            ..UpstreamLimits::default()
        });
    World {
        upstreams,
        provisioner,
    }
}

#[tokio::test]
async fn bulk_reconcile_reports_every_tenant_and_a_summary() {
    let world = limited_world(3, Duration::from_millis(2));
    let mut input: Vec<Result<TenantDocument, Error>> =
        (0..40).map(|i| Ok(numbered_tenant(i))).collect();
    input.insert(
        7,
        Err(Error::Invalid {
            field: "tenant.status".into(),
            reason: "bad".into(),
        }),
    );
    let by = change();
    let events: Vec<BulkEvent> = world
        .provisioner
        .reconcile_all(
            futures_util::stream::iter(input),
            BulkOptions {
                concurrency: 12,
                dry_run: false,
            },
            &by,
        )
        .collect()
        .await;
    assert_eq!(events.len(), 42);
    let Some(BulkEvent::Done { summary }) = events.last() else {
        panic!("no summary last")
    };
    assert_eq!(
        (
            summary.tenants,
            summary.settled,
            summary.refused,
            summary.activated
        ),
        (41, 40, 1, 40)
    );
    assert!(events.iter().any(|e| matches!(e, BulkEvent::Refused { index: 7, code, .. } if code == "DEZKY_INVALID_ARGUMENT")));
    for u in &world.upstreams {
        assert_eq!(u.resources().len(), 40);
        assert!(u.peak_in_flight() <= 3, "peak {}", u.peak_in_flight());
    }
    // The concurrency was used: more than one call at a time reached an upstream.
    assert!(world.upstreams.iter().any(|u| u.peak_in_flight() > 1));
}

#[tokio::test]
async fn a_429_pauses_the_upstream_and_the_call_is_retried() {
    let world = limited_world(4, Duration::ZERO);
    world.upstream(Step::Ocis).fail_next(
        Op::Create,
        PortError {
            retry_after_ms: Some(40),
            ..PortError::new(FailureKind::RateLimited, "DEZKY_RATE_LIMITED", "429")
        },
    );
    let started = std::time::Instant::now();
    let (tenant, r) = world.reconcile(&new_tenant()).await;
    assert!(started.elapsed() >= Duration::from_millis(40));
    assert!(r.settled(), "{:?}", r.steps);
    assert_eq!(world.upstream(Step::Ocis).calls(Op::Create), 2);
    assert_eq!(world.upstream(Step::Ocis).owned_by(TENANT_ID).len(), 1);
    assert_eq!(tenant.status, TenantStatus::Active);

    // A wait longer than allowed is not sat out: the step fails with it.
    world
        .upstream(Step::Ocis)
        .delete(tenant.handles.ocis_space_id.as_deref().unwrap());
    world.upstream(Step::Ocis).fail_next(
        Op::Create,
        PortError {
            retry_after_ms: Some(120_000),
            ..PortError::new(FailureKind::RateLimited, "DEZKY_RATE_LIMITED", "429")
        },
    );
    let (_, r) = world.reconcile(&tenant).await;
    let ocis = r.steps.iter().find(|s| s.step == Step::Ocis).unwrap();
    assert_eq!(
        (ocis.state, ocis.retry_after_ms),
        (StepState::Error, Some(120_000))
    );
}

#[tokio::test]
async fn dropping_the_bulk_stream_stops_the_run() {
    let world = limited_world(2, Duration::from_millis(5));
    let by = change();
    let input = futures_util::stream::iter((0..200).map(|i| Ok(numbered_tenant(i))));
    let first: Vec<BulkEvent> = world
        .provisioner
        .reconcile_all(
            input,
            BulkOptions {
                concurrency: 4,
                dry_run: false,
            },
            &by,
        )
        .take(3)
        .collect()
        .await;
    assert_eq!(first.len(), 3);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let made = world.upstream(Step::Authentik).resources().len();
    assert!(made < 20, "{made} groups made after the stream was dropped");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_upstream_call() {
    let world = World::new();
    let mut bad_slug = new_tenant();
    bad_slug.slug = "acme.io".into();
    let mut bad_id = new_tenant();
    bad_id.id = "tenant-1".into();
    for (tenant, field) in [(bad_slug, "tenant.slug"), (bad_id, "tenant.id")] {
        match world
            .provisioner
            .reconcile(&tenant, ReconcileOptions::default(), &change())
            .await
        {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }
    for u in &world.upstreams {
        assert_eq!(
            u.calls(Op::Get) + u.calls(Op::Find) + u.calls(Op::Create),
            0
        );
    }
    for (id, slug, name, plan, field) in [
        (
            "6650f1c2a9b4e3d2c1b0a998",
            "dezky-platform-admins",
            "X",
            "business",
            "tenant.slug",
        ),
        (
            "6650f1c2a9b4e3d2c1b0a998",
            "Acme",
            "X",
            "business",
            "tenant.slug",
        ),
        ("not-an-id", "acme", "X", "business", "tenant.id"),
        (
            "6650f1c2a9b4e3d2c1b0a998",
            "acme",
            " ",
            "business",
            "tenant.name",
        ),
        (
            "6650f1c2a9b4e3d2c1b0a998",
            "acme",
            "Acme",
            "",
            "tenant.plan",
        ),
    ] {
        match TenantDocument::new_pending(id, slug, name, plan) {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn provision_is_for_new_tenants_only() {
    let world = World::new();
    let tenant = TenantDocument::new_pending(TENANT_ID, "acme", "Acme Co", "business").unwrap();
    let run = world
        .provisioner
        .provision(&tenant, &change())
        .await
        .unwrap();
    assert_eq!(run.events[0].action, "tenant.provision");
    // No domain and no contact: mail and onboarding are skipped, the rest made.
    let active = tenant.apply(&run.patch).unwrap();
    assert_eq!(active.status, TenantStatus::Active);
    assert_eq!(
        active.provisioning_status[&Step::Stalwart],
        StepState::Skipped
    );
    assert!(matches!(
        world.provisioner.provision(&active, &change()).await,
        Err(Error::IllegalTransition { .. })
    ));
}
