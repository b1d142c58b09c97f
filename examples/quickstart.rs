//! The quickstart, on the embedded defaults (no server needed):
//!
//! 1. a tenant's life on the in-memory upstreams: provisioned (group, mail
//!    domain with its DKIM key and the DNS records to publish, files space,
//!    billing customer, onboarding mail), suspended and resumed, a drift
//!    injected and reconciled, deleted and deprovisioned;
//! 2. the flag engine on the ten flags the control plane seeds.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::sync::Arc;

use dezky::core::dns::ExpectedRecords;
use dezky::core::lifecycle::{LifecycleAction, Step, TenantDocument, TenantSlug, transition};
use dezky::core::provisioning::memory::MemoryUpstream;
use dezky::core::provisioning::{Provisioner, ReconcileOptions, StepReport};
use dezky::flags::{Change, EvaluationContext, FlagSet, FlagStore, preview};

const SEED_FLAGS: &str = include_str!("data/seed-flags.json");
const CONTEXTS: &str = include_str!("data/contexts.json");

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn print_steps(title: &str, steps: &[StepReport]) {
    println!("\n{title}");
    println!(
        "  {:<11} {:<8} {:<9} handle / message",
        "step", "state", "drift"
    );
    for s in steps {
        let drift = serde_json::to_value(s.drift).unwrap_or_default();
        println!(
            "  {:<11} {:<8} {:<9} {}",
            s.step.as_str(),
            s.state.as_str(),
            drift.as_str().unwrap_or("?"),
            s.message.as_deref().or(s.handle.as_deref()).unwrap_or("")
        );
    }
}

/// A tenant's life, from `POST /tenants` to deprovisioning, on in-memory upstreams.
async fn tenant_lifecycle() -> Result<()> {
    let upstreams = MemoryUpstream::all();
    let provisioner = upstreams
        .iter()
        .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u.clone())));
    let upstream = |step: Step| &upstreams[Step::ALL.iter().position(|s| *s == step).unwrap_or(0)];
    let ops = Change::now("ops@dezky.example")?;

    // The control plane's new tenant document, its slug checked first.
    let slug = TenantSlug::parse("slug", "acme")?;
    let tenant = TenantDocument::from_json(&format!(
        r#"{{"_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "{slug}", "name": "Acme Co",
            "status": "pending", "plan": "business", "seats": 12, "domains": ["acme.test"],
            "billingInfo": {{"email": "billing@acme.test"}}, "__v": 0}}"#
    ))?;

    let run = provisioner
        .reconcile(&tenant, ReconcileOptions::default(), &ops)
        .await?;
    print_steps(&format!("Provisioning {slug}"), &run.steps);
    let tenant = tenant.apply(&run.patch)?;
    println!(
        "  -> status {}, version {:?}",
        tenant.status, tenant.version
    );

    let domain = tenant.primary_domain().unwrap_or_default();
    if let Some(zone) = upstream(Step::Stalwart).zone_file(domain) {
        println!("\nDNS records for {domain} to publish:");
        for row in ExpectedRecords::new(domain, &zone, None)?.table() {
            let mut value: String = row.value.chars().take(60).collect();
            if value.len() < row.value.len() {
                value.push('…');
            }
            println!(
                "  {:<22} {:<4} {:<5} {value}",
                row.host, row.rtype, row.purpose
            );
        }
    }

    let suspended = provisioner.suspend(&tenant, &ops).await?;
    let tenant = tenant.apply(&suspended.patch)?;
    println!(
        "\nSuspended: {} (members cannot sign in, mailboxes cannot authenticate: {})",
        tenant.status,
        suspended
            .steps
            .iter()
            .map(|s| format!("{} {}", s.step, s.state))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let resumed = provisioner.resume(&tenant, &ops).await?;
    let tenant = tenant.apply(&resumed.patch)?;
    println!("Resumed: {}", tenant.status);

    // Someone deletes the files space by hand; reconcile notices and repairs it.
    if let Some(space) = &tenant.handles.ocis_space_id {
        upstream(Step::Ocis).delete(space);
    }
    let dry = provisioner
        .reconcile(&tenant, ReconcileOptions { dry_run: true }, &ops)
        .await?;
    print_steps("Drift (dry run)", &dry.steps);
    let repaired = provisioner
        .reconcile(&tenant, ReconcileOptions::default(), &ops)
        .await?;
    print_steps("Reconciled", &repaired.steps);
    let tenant = tenant.apply(&repaired.patch)?;

    let deleted = transition(&tenant, LifecycleAction::Delete, &ops)?;
    let tenant = tenant.apply(&deleted.patch)?;
    let gone = provisioner.deprovision(&tenant, &ops).await?;
    println!("\nDeprovisioned (complete: {}):", gone.complete);
    for r in &gone.steps {
        let removal = serde_json::to_value(r.removal).unwrap_or_default();
        println!(
            "  {:<11} {:<8} {}",
            r.step.as_str(),
            removal.as_str().unwrap_or("?"),
            r.handle.as_deref().unwrap_or("")
        );
    }
    println!(
        "Audit: {}",
        gone.events
            .iter()
            .map(|e| format!("{} {}", e.action, e.outcome.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    tenant_lifecycle().await?;
    flags()
}

/// The flag engine on the ten flags the control plane seeds.
fn flags() -> Result<()> {
    println!();
    let set = FlagSet::from_json(SEED_FLAGS)?;
    println!(
        "Loaded {} flags: {}",
        set.len(),
        set.keys().collect::<Vec<_>>().join(", ")
    );

    let contexts: Vec<EvaluationContext> =
        serde_json::from_str(CONTEXTS).map_err(|e| dezky::flags::Error::MalformedJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    for ctx in &contexts {
        let all = set.evaluate_all(ctx);
        let on: Vec<&str> = all.enabled().collect();
        println!(
            "\n{} ({}, partner {}, {}): {} of {} flags on",
            ctx.tenant_slug.as_deref().unwrap_or("?"),
            ctx.plan.as_deref().unwrap_or("?"),
            ctx.partner_slug.as_deref().unwrap_or("none"),
            ctx.environment.as_deref().unwrap_or("?"),
            on.len(),
            all.len()
        );
        for key in [
            "jmap_native_v2",
            "gdpr_export_v2",
            "new_billing_engine",
            "partner_billing_view",
        ] {
            let eval = set.evaluate(key, ctx);
            let bucket = eval
                .bucket
                .map(|b| format!(" (bucket {b})"))
                .unwrap_or_default();
            println!("  {key:<22} {:<5} {}{bucket}", eval.value, eval.reason);
        }
    }

    // An operator proposes widening a rollout: how many tenants would it reach?
    let mut proposal =
        set.get("gdpr_export_v2")
            .cloned()
            .ok_or(dezky::flags::Error::FlagNotFound {
                key: "gdpr_export_v2".into(),
            })?;
    proposal.pct = 100;
    let result = preview(&proposal, &contexts);
    println!(
        "\nRaising gdpr_export_v2 to 100%: {} of {} tenants",
        result.enabled_count, result.total
    );

    // The kill switch, with its history entry and audit event, served through a store.
    let store = FlagStore::new(set.clone());
    let mut flag = proposal;
    let event = flag.kill(&Change::now("ops@dezky.example")?);
    store.replace(set.with_flag(flag)?);
    println!(
        "Kill switch: {} by {} -> gdpr_export_v2 is now {} for {}",
        event.action,
        event.actor_email,
        store.evaluate("gdpr_export_v2", &contexts[0]).value,
        contexts[0].tenant_slug.as_deref().unwrap_or("?")
    );
    Ok(())
}
