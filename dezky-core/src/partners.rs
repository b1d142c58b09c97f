//! Partners (resellers) as pure operations (`docs/partners.md`): create,
//! terminate (a soft status: a partner is never deleted, tenants may still
//! name it), attach a tenant (refused for a terminated partner), detach
//! (clears the tenant's `partnerId`). Each returns the write and the audit
//! events; every one needs an operator (`authz::require_operator`: an
//! operator-app token and `platformAdmin`), as the control plane's
//! `OperatorGuard` does.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::audit::{AuditEvent, Outcome};
use crate::authz;
use crate::domains::check_domain_name;
use crate::error::{Error, Result};
use crate::lifecycle::{PartnerDocument, PartnerStatus, TenantDocument, TenantPatch, TenantSlug};
use crate::members::Caller;

/// A partner to create.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPartner {
    /// The slug (the tenant slug rules).
    pub slug: String,
    /// The display name.
    pub name: String,
    /// The partner's own domain, when it has one.
    #[serde(default)]
    pub domain: Option<String>,
    /// The margin on its tenants' subscriptions, in percent (0 to 100).
    #[serde(default)]
    pub margin_pct: Option<f64>,
}

/// A write to one document, with its audit events.
#[derive(Debug, Clone)]
pub struct PartnerChange {
    /// The audit action (`partner.terminate`, `tenant.partner_attach`, ...).
    pub action: String,
    /// The write (to the partner document for `terminate`, to the tenant
    /// document for `attach`/`detach`); empty when nothing changes.
    pub patch: TenantPatch,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// A created partner.
#[derive(Debug, Clone)]
pub struct CreatedPartner {
    /// The partner document to insert (no `_id`), status `active`.
    pub document: Map<String, Value>,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Checks a new partner and returns the document to insert.
pub fn create_partner(new: &NewPartner, caller: Caller<'_>) -> Result<CreatedPartner> {
    authz::require_operator(caller.actor, caller.user)?;
    let slug = TenantSlug::parse("partner.slug", &new.slug)?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 150 || name.chars().any(char::is_control) {
        return Err(invalid(
            "partner.name",
            "must be 1 to 150 characters, without control characters",
        ));
    }
    let domain = new
        .domain
        .as_deref()
        .map(|d| check_domain_name("partner.domain", d))
        .transpose()?;
    if let Some(m) = new.margin_pct
        && !(0.0..=100.0).contains(&m)
    {
        return Err(invalid("partner.marginPct", "must be between 0 and 100"));
    }
    let mut document = Map::new();
    document.insert("slug".into(), json!(slug.as_str()));
    document.insert("name".into(), json!(name));
    if let Some(d) = &domain {
        document.insert("domain".into(), json!(d));
    }
    document.insert("status".into(), json!(PartnerStatus::Active.as_str()));
    if let Some(m) = new.margin_pct {
        document.insert("marginPct".into(), json!(m));
    }
    let event = AuditEvent::new(
        "partner.create",
        Outcome::Success,
        caller.change,
        "partner",
        slug.as_str(),
    )
    .with("name", name);
    Ok(CreatedPartner {
        document,
        events: vec![event],
    })
}

/// Terminates `partner`: `status: terminated` and `terminatedAt`, never a
/// delete (tenants may still name it; its staff lose partner access). A
/// terminated partner changes nothing.
pub fn terminate_partner(partner: &PartnerDocument, caller: Caller<'_>) -> Result<PartnerChange> {
    const ACTION: &str = "partner.terminate";
    authz::require_operator(caller.actor, caller.user)?;
    // The version the document was read at (`__v`, kept among the other fields).
    let version = partner.extra.get("__v").and_then(Value::as_u64);
    let mut patch = TenantPatch::for_document(&partner.id, version);
    let mut event = AuditEvent::new(
        ACTION,
        Outcome::Success,
        caller.change,
        "partner",
        &partner.slug,
    )
    .with("before", partner.status.as_str());
    if partner.status == PartnerStatus::Terminated {
        event = event.with("alreadyTerminated", true);
    } else {
        patch.set("status", PartnerStatus::Terminated.as_str());
        patch.set("terminatedAt", caller.change.timestamp());
        event = event.with("after", PartnerStatus::Terminated.as_str());
    }
    Ok(PartnerChange {
        action: ACTION.into(),
        patch,
        events: vec![event],
    })
}

/// Attaches `tenant` to `partner` (`partnerId`). A terminated partner is
/// refused (`DEZKY_INVALID_ARGUMENT` naming `partner.status`); attaching to
/// the partner the tenant has changes nothing.
pub fn attach_tenant(
    tenant: &TenantDocument,
    partner: &PartnerDocument,
    caller: Caller<'_>,
) -> Result<PartnerChange> {
    const ACTION: &str = "tenant.partner_attach";
    authz::require_operator(caller.actor, caller.user)?;
    if partner.status == PartnerStatus::Terminated {
        return Err(invalid(
            "partner.status",
            "the partner is terminated: no tenant can be attached to it",
        ));
    }
    let mut patch = TenantPatch::new(tenant);
    let event = AuditEvent::new(
        ACTION,
        Outcome::Success,
        caller.change,
        "tenant",
        &tenant.slug,
    )
    .for_tenant(&tenant.id)
    .with("before", json!(tenant.partner_id))
    .with("after", partner.id.as_str())
    .with("partner", partner.slug.as_str());
    if tenant.partner_id.as_deref() != Some(partner.id.as_str()) {
        patch.set("partnerId", json!({ "$oid": partner.id }));
    }
    Ok(PartnerChange {
        action: ACTION.into(),
        patch,
        events: vec![event],
    })
}

/// Detaches `tenant` from its partner: the `partnerId` field is removed
/// (`$unset`, not set to null). A tenant without a partner changes nothing.
pub fn detach_tenant(tenant: &TenantDocument, caller: Caller<'_>) -> Result<PartnerChange> {
    const ACTION: &str = "tenant.partner_detach";
    authz::require_operator(caller.actor, caller.user)?;
    let mut patch = TenantPatch::new(tenant);
    let event = AuditEvent::new(
        ACTION,
        Outcome::Success,
        caller.change,
        "tenant",
        &tenant.slug,
    )
    .for_tenant(&tenant.id)
    .with("before", json!(tenant.partner_id));
    if tenant.partner_id.is_some() {
        patch.unset("partnerId");
    }
    Ok(PartnerChange {
        action: ACTION.into(),
        patch,
        events: vec![event],
    })
}
