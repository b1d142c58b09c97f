//! The pure part of the tenant lifecycle (`dezky_core::lifecycle`,
//! `docs/lifecycle.md`): slug rules, a new tenant's document, the status
//! machine and version-guarded patches. No provisioning: nothing here calls an
//! upstream.
//!
//! Documents and patches cross the boundary as the control plane's JSON text,
//! like every other record of these bindings; the statuses and actions are the
//! core's enums, exported as remote enums.

use std::time::SystemTime;

use dezky_core::lifecycle::{self, TenantDocument, TenantPatch, TenantSlug};
use dezky_flags::Change;
use serde_json::Value;

use crate::domain::document;
use crate::error::DezkyError;

pub use dezky_core::lifecycle::{LifecycleAction, TenantStatus};

/// `Tenant.status`: `dezky_core::lifecycle::TenantStatus` itself, exported as an enum.
#[uniffi::remote(Enum)]
pub enum TenantStatus {
    /// Created; provisioning has not settled every step yet.
    Pending,
    /// In use.
    Active,
    /// Stopped by an operator: members cannot sign in, data is kept.
    Suspended,
    /// Soft-deleted; deprovisioning removes its upstream resources.
    Deleted,
}

/// A lifecycle action: `dezky_core::lifecycle::LifecycleAction` itself, exported as an enum.
#[uniffi::remote(Enum)]
pub enum LifecycleAction {
    /// `pending -> active`, once provisioning has settled every step.
    Activate,
    /// `active -> suspended` (operator only).
    Suspend,
    /// `suspended -> active` (operator only).
    Resume,
    /// Soft delete: `pending | active | suspended -> deleted`.
    Delete,
    /// Marks a deleted tenant's upstream resources as removed.
    Deprovision,
}

/// An allowed status change: what to write and what to record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TenantTransition {
    /// The action.
    pub action: LifecycleAction,
    /// The status before.
    pub from_status: TenantStatus,
    /// The status after.
    pub to_status: TenantStatus,
    /// The write as JSON text, `{tenantId, expectedVersion, filter, update}`:
    /// the control plane sends `updateOne(filter, update)`; [`apply_tenant_patch`]
    /// applies it in memory.
    pub patch_json: String,
    /// The audit log entry as JSON text (`action: "tenant.<action>"`,
    /// `outcome: "success"`, `metadata.from`/`to`).
    pub event_json: String,
}

/// The tenant document `json`, read whole; errors name `tenant.<field>`.
pub(crate) fn tenant(json: &str) -> Result<TenantDocument, DezkyError> {
    Ok(TenantDocument::from_document(
        "tenant",
        &document(json, "tenant")?,
    )?)
}

/// The document in the control plane's field names, as JSON text.
fn document_json(tenant: &TenantDocument) -> String {
    Value::Object(tenant.to_document()).to_string()
}

/// Checks `slug` against the rules for a new tenant (a lowercase DNS label,
/// not reserved for the platform) and returns it; `Invalid` on `slug` otherwise.
#[uniffi::export]
pub fn parse_tenant_slug(slug: String) -> Result<String, DezkyError> {
    Ok(TenantSlug::parse("slug", &slug)?.as_str().to_owned())
}

/// A new tenant's document as JSON text, as `POST /tenants` stores it before
/// provisioning: `pending`, version 0, no handles. `id` must be an ObjectId,
/// `slug` pass [`parse_tenant_slug`]'s rules, `name` and `plan` not be blank.
#[uniffi::export]
pub fn new_pending_tenant(
    id: String,
    slug: String,
    name: String,
    plan: String,
) -> Result<String, DezkyError> {
    Ok(document_json(&TenantDocument::new_pending(
        &id, &slug, &name, &plan,
    )?))
}

/// Applies `action` to the tenant document `tenant_json`, by `actor` (an email)
/// at `at`: the status change with its patch and audit event, or
/// `IllegalTransition` for an action the status does not allow. Activation also
/// needs every provisioning step `ok` or `skipped` (`Invalid` on
/// `tenant.provisioningStatus` otherwise). Who may act is checked by the caller.
#[uniffi::export]
pub fn transition_tenant(
    tenant_json: String,
    action: LifecycleAction,
    actor: String,
    at: SystemTime,
) -> Result<TenantTransition, DezkyError> {
    let change = Change::new(actor, at)?;
    let tenant = tenant(&tenant_json)?;
    let transition = lifecycle::transition(&tenant, action, &change)?;
    Ok(TenantTransition {
        action: transition.action,
        from_status: transition.from,
        to_status: transition.to,
        // The core's patch and event serialize to plain JSON (string keys, no
        // non-finite numbers): serializing them cannot fail.
        patch_json: serde_json::to_string(&transition.patch).unwrap_or_default(),
        event_json: serde_json::to_string(&transition.event).unwrap_or_default(),
    })
}

/// The tenant document `tenant_json` after the patch `patch_json` (the form
/// [`transition_tenant`] returns), as the control plane would store it, its
/// version incremented. `VersionConflict` when the patch was made from another
/// version (the document is then unchanged); `Invalid` on `patch.<field>` for a
/// patch that is not of that form.
#[uniffi::export]
pub fn apply_tenant_patch(tenant_json: String, patch_json: String) -> Result<String, DezkyError> {
    let tenant = tenant(&tenant_json)?;
    let patch: Value = serde_json::from_str(&patch_json).map_err(|err| {
        DezkyError::malformed_json(&err, format!("malformed JSON in `patch`: {err}"))
    })?;
    let patch = TenantPatch::from_value(&patch)?;
    Ok(document_json(&tenant.apply(&patch)?))
}

/// Whether the tenant document `tenant_json` is `pending` with every
/// provisioning step `ok` or `skipped`, so that `activate` is allowed.
#[uniffi::export]
pub fn ready_to_activate(tenant_json: String) -> Result<bool, DezkyError> {
    Ok(lifecycle::ready_to_activate(&tenant(&tenant_json)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const ID: &str = "6650f1c2a9b4e3d2c1b0a998";

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn a_new_tenant_goes_through_its_life_and_a_stale_patch_loses() {
        let mut doc =
            new_pending_tenant(ID.into(), "acme".into(), "Acme".into(), "pro".into()).unwrap();
        let settled = r#"{"authentik":"ok","stalwart":"ok","ocis":"ok","stripe":"ok","onboarding":"skipped"}"#;
        let mut value: Value = serde_json::from_str(&doc).unwrap();
        value["provisioningStatus"] = serde_json::from_str(settled).unwrap();
        doc = value.to_string();
        assert!(ready_to_activate(doc.clone()).unwrap());
        let steps = [
            (LifecycleAction::Activate, TenantStatus::Active),
            (LifecycleAction::Suspend, TenantStatus::Suspended),
            (LifecycleAction::Resume, TenantStatus::Active),
            (LifecycleAction::Delete, TenantStatus::Deleted),
        ];
        let mut stale = None;
        for (action, to) in steps {
            let t = transition_tenant(doc.clone(), action, "ops@dezky.eu".into(), at()).unwrap();
            assert_eq!((t.action, t.to_status), (action, to));
            stale.get_or_insert(t.patch_json.clone());
            doc = apply_tenant_patch(doc, t.patch_json).unwrap();
            let value: Value = serde_json::from_str(&doc).unwrap();
            assert_eq!(value["status"], to.as_str());
        }
        match apply_tenant_patch(doc, stale.unwrap()) {
            Err(DezkyError::VersionConflict {
                tenant,
                expected_version,
                ..
            }) => assert_eq!((tenant.as_str(), expected_version), (ID, Some(0))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refusals_are_typed() {
        let doc =
            new_pending_tenant(ID.into(), "acme".into(), "Acme".into(), "pro".into()).unwrap();
        match transition_tenant(doc.clone(), LifecycleAction::Resume, "a@b.c".into(), at()) {
            Err(DezkyError::IllegalTransition {
                from_status,
                action,
                ..
            }) => assert_eq!(
                (from_status.as_str(), action.as_str()),
                ("pending", "resume")
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_tenant_slug("dezky-admins".into()),
            Err(DezkyError::Invalid { ref field, .. }) if field == "slug"
        ));
        assert!(matches!(
            ready_to_activate("{".into()),
            Err(DezkyError::MalformedJson { .. })
        ));
        assert!(matches!(
            apply_tenant_patch(doc, r#"{"tenantId": 1}"#.into()),
            Err(DezkyError::Invalid { ref field, .. }) if field == "patch.tenantId"
        ));
    }
}
