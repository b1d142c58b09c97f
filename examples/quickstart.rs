//! The quickstart: the flag engine on the ten flags the control plane seeds.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use dezky::flags::{Change, EvaluationContext, FlagSet, FlagStore, preview};

const SEED_FLAGS: &str = include_str!("data/seed-flags.json");
const CONTEXTS: &str = include_str!("data/contexts.json");

fn main() -> Result<(), dezky::flags::Error> {
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
