//! The tenant lifecycle: which status changes are allowed, and what each
//! writes and records.
//!
//! ```text
//!   pending --activate (automatic: every step ok or skipped)--> active
//!   active  --suspend (operator)--> suspended --resume (operator)--> active
//!   pending | active | suspended --delete (soft)--> deleted --deprovision--> deleted, deprovisionedAt set
//! ```
//!
//! Anything else is [`Error::IllegalTransition`]. Each allowed change gives
//! the patch that writes it (guarded by the document's version) and one
//! [`AuditEvent`]; a refused one gives the `denied` event to record with
//! [`denied_event`].

use std::fmt;
use std::str::FromStr;

use dezky_flags::Change;

use super::patch::TenantPatch;
use super::record::{Step, TenantDocument, TenantStatus};
use crate::audit::{AuditEvent, Outcome};
use crate::error::{Error, Result};

/// A lifecycle action on a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

impl LifecycleAction {
    /// Every action.
    pub const ALL: [LifecycleAction; 5] = [
        LifecycleAction::Activate,
        LifecycleAction::Suspend,
        LifecycleAction::Resume,
        LifecycleAction::Delete,
        LifecycleAction::Deprovision,
    ];

    /// The action's name, as in the audit action `tenant.<name>`.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleAction::Activate => "activate",
            LifecycleAction::Suspend => "suspend",
            LifecycleAction::Resume => "resume",
            LifecycleAction::Delete => "delete",
            LifecycleAction::Deprovision => "deprovision",
        }
    }

    /// The status the action leads to from `from`, or `None` when not allowed.
    pub fn target(self, from: TenantStatus) -> Option<TenantStatus> {
        use TenantStatus::*;
        match (self, from) {
            (LifecycleAction::Activate, Pending) => Some(Active),
            (LifecycleAction::Suspend, Active) => Some(Suspended),
            (LifecycleAction::Resume, Suspended) => Some(Active),
            (LifecycleAction::Delete, Pending | Active | Suspended) => Some(Deleted),
            (LifecycleAction::Deprovision, Deleted) => Some(Deleted),
            _ => None,
        }
    }
}

impl fmt::Display for LifecycleAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LifecycleAction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        LifecycleAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| Error::Invalid {
                field: "action".into(),
                reason: format!(
                    "unknown lifecycle action {s:?} (expected activate, suspend, resume, delete or deprovision)"
                ),
            })
    }
}

/// An allowed status change: what to write and what to record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Transition {
    /// The action.
    pub action: LifecycleAction,
    /// The status before.
    #[serde(rename = "fromStatus")]
    pub from: TenantStatus,
    /// The status after.
    #[serde(rename = "toStatus")]
    pub to: TenantStatus,
    /// The write, guarded by the document's version.
    pub patch: TenantPatch,
    /// The audit log entry.
    pub event: AuditEvent,
}

/// Applies `action` to `tenant` by `change`'s actor: the transition, or
/// [`Error::IllegalTransition`]. Activation also needs every step settled
/// (see [`ready_to_activate`]; otherwise [`Error::Invalid`] naming
/// `tenant.provisioningStatus` and the unsettled steps). Rights (operator only for suspend and
/// resume) are checked by the caller with [`crate::authz`].
pub fn transition(
    tenant: &TenantDocument,
    action: LifecycleAction,
    change: &Change,
) -> Result<Transition> {
    let from = tenant.status;
    let to = action
        .target(from)
        .ok_or_else(|| Error::IllegalTransition {
            from_status: from.as_str().into(),
            action: action.as_str().into(),
        })?;
    if action == LifecycleAction::Activate && !ready_to_activate(tenant) {
        let unsettled: Vec<&str> = Step::ALL
            .iter()
            .filter(|step| {
                !tenant
                    .provisioning_status
                    .get(step)
                    .is_some_and(|s| s.is_settled())
            })
            .map(|step| step.as_str())
            .collect();
        return Err(Error::Invalid {
            field: "tenant.provisioningStatus".into(),
            reason: format!("not every step is ok or skipped: {}", unsettled.join(", ")),
        });
    }
    let mut patch = TenantPatch::new(tenant);
    patch.set("status", to.as_str());
    match action {
        LifecycleAction::Delete => {
            patch.set("deletedAt", change.timestamp());
        }
        LifecycleAction::Deprovision => {
            patch.set("deprovisionedAt", change.timestamp());
        }
        LifecycleAction::Suspend => {
            patch.set("suspendedAt", change.timestamp());
        }
        LifecycleAction::Resume => {
            patch.unset("suspendedAt");
        }
        LifecycleAction::Activate => {}
    }
    let event = AuditEvent::new(
        format!("tenant.{action}"),
        Outcome::Success,
        change,
        "tenant",
        &tenant.slug,
    )
    .for_tenant(&tenant.id)
    .with("from", from.as_str())
    .with("to", to.as_str());
    Ok(Transition {
        action,
        from,
        to,
        patch,
        event,
    })
}

/// Whether a pending tenant may become active: every step of
/// [`Step::ALL`] is `ok` or `skipped`.
pub fn ready_to_activate(tenant: &TenantDocument) -> bool {
    tenant.status == TenantStatus::Pending
        && Step::ALL.iter().all(|step| {
            tenant
                .provisioning_status
                .get(step)
                .is_some_and(|s| s.is_settled())
        })
}

/// The audit entry of a refused action (`outcome: denied`, with the reason).
pub fn denied_event(
    tenant: &TenantDocument,
    action: LifecycleAction,
    change: &Change,
    error: &Error,
) -> AuditEvent {
    AuditEvent::new(
        format!("tenant.{action}"),
        Outcome::Denied,
        change,
        "tenant",
        &tenant.slug,
    )
    .for_tenant(&tenant.id)
    .with("from", tenant.status.as_str())
    .with("code", error.code())
    .with("reason", error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::StepState;
    use serde_json::{Value, json};
    use std::time::{Duration, UNIX_EPOCH};

    fn change() -> Change {
        Change::new(
            "ops@dezky.eu",
            UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap()
    }

    fn tenant(status: TenantStatus) -> TenantDocument {
        let Value::Object(map) = json!({
            "_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "acme", "status": status.as_str(), "__v": 2,
        }) else {
            unreachable!()
        };
        TenantDocument::from_document("tenant", &map).unwrap()
    }

    fn settled(mut t: TenantDocument) -> TenantDocument {
        for step in Step::ALL {
            t.provisioning_status.insert(*step, StepState::Ok);
        }
        t.provisioning_status
            .insert(Step::Onboarding, StepState::Skipped);
        t
    }

    #[test]
    fn a_transition_serializes_in_the_names_of_a_lifecycle_report() {
        let t = transition(
            &tenant(TenantStatus::Active),
            LifecycleAction::Suspend,
            &change(),
        )
        .unwrap();
        let value = serde_json::to_value(&t).unwrap();
        assert_eq!(value["action"], json!("suspend"));
        assert_eq!(value["fromStatus"], json!("active"));
        assert_eq!(value["toStatus"], json!("suspended"));
        assert_eq!(value["patch"]["expectedVersion"], json!(2));
        assert_eq!(value["event"]["action"], json!("tenant.suspend"));
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["action", "event", "fromStatus", "patch", "toStatus"]);
    }

    #[test]
    fn every_pair_of_status_and_action_is_decided() {
        use LifecycleAction::*;
        use TenantStatus::*;
        let allowed = [
            (Pending, Activate, Active),
            (Active, Suspend, Suspended),
            (Suspended, Resume, Active),
            (Pending, Delete, Deleted),
            (Active, Delete, Deleted),
            (Suspended, Delete, Deleted),
            (Deleted, Deprovision, Deleted),
        ];
        for from in TenantStatus::ALL {
            for action in LifecycleAction::ALL {
                let t = settled(tenant(*from));
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (transition(&t, action, &change()), expected) {
                    (Ok(tr), Some(to)) => {
                        assert_eq!((tr.from, tr.to), (*from, to));
                        assert_eq!(tr.event.action, format!("tenant.{action}"));
                        assert_eq!(tr.patch.expected_version(), Some(2));
                    }
                    (
                        Err(Error::IllegalTransition {
                            from_status,
                            action: a,
                        }),
                        None,
                    ) => {
                        assert_eq!(
                            (from_status.as_str(), a.as_str()),
                            (from.as_str(), action.as_str())
                        );
                    }
                    (other, expected) => {
                        panic!("{from} {action}: {other:?}, expected {expected:?}")
                    }
                }
            }
        }
    }

    #[test]
    fn activation_waits_for_every_step() {
        let mut t = tenant(TenantStatus::Pending);
        t.provisioning_status.insert(Step::Authentik, StepState::Ok);
        assert!(!ready_to_activate(&t));
        match transition(&t, LifecycleAction::Activate, &change()) {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(field, "tenant.provisioningStatus");
                assert!(
                    reason.ends_with("stalwart, ocis, stripe, onboarding"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        let mut t = settled(t);
        t.provisioning_status.insert(Step::Ocis, StepState::Error);
        assert!(!ready_to_activate(&t));
        t.provisioning_status.insert(Step::Ocis, StepState::Skipped);
        assert!(ready_to_activate(&t));
    }

    #[test]
    fn suspend_writes_status_and_time_and_records_the_event() {
        let t = tenant(TenantStatus::Active);
        let tr = transition(&t, LifecycleAction::Suspend, &change()).unwrap();
        assert_eq!(
            tr.patch.update()["$set"],
            json!({"status": "suspended", "suspendedAt": "2023-11-14T22:13:20.000Z"})
        );
        assert_eq!(tr.event.actor_email, "ops@dezky.eu");
        assert_eq!(
            tr.event.tenant_id.as_deref(),
            Some("6650f1c2a9b4e3d2c1b0a998")
        );
        assert_eq!(tr.event.metadata["from"], "active");
        assert_eq!(tr.event.metadata["to"], "suspended");
    }

    #[test]
    fn a_refusal_has_its_denied_event() {
        let t = tenant(TenantStatus::Deleted);
        let error = transition(&t, LifecycleAction::Resume, &change()).unwrap_err();
        assert_eq!(error.code(), "DEZKY_ILLEGAL_TRANSITION");
        let event = denied_event(&t, LifecycleAction::Resume, &change(), &error);
        assert_eq!(event.outcome, Outcome::Denied);
        assert_eq!(event.metadata["code"], "DEZKY_ILLEGAL_TRANSITION");
        assert_eq!(
            "resume".parse::<LifecycleAction>().unwrap(),
            LifecycleAction::Resume
        );
        assert!("archive".parse::<LifecycleAction>().is_err());
    }
}
