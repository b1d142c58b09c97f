//! The platform audit log's one event type.
//!
//! Every change the SDK makes or decides on (a tenant transition, a
//! provisioning step, a flag change) becomes an [`AuditEvent`] in the control
//! plane's field names, so one collection and one query serve them all.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod csv;
mod query;

pub use csv::{CSV_COLUMNS, CsvWriter};
pub use query::{AuditFilter, AuditQuery, MAX_PAGE_SIZE, parse_time};

use dezky_flags::{Change, FlagAuditEvent};

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Outcome {
    /// The action was carried out.
    Success,
    /// The action was attempted and failed (an upstream refused, a step errored).
    Failure,
    /// The action was refused before anything was attempted (a rule, an illegal transition).
    Denied,
}

impl Outcome {
    /// The control plane's name: `success`, `failure` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// One entry of the platform audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEvent {
    /// What was done, `<object>.<verb>`: `tenant.suspend`, `flag.kill_switch`, ...
    pub action: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Who did it (an email, or `system` for automatic transitions).
    pub actor_email: String,
    /// When, RFC 3339 with milliseconds in UTC.
    pub at: String,
    /// The kind of object acted on: `tenant`, `flag`, `member`, ...
    pub target_type: String,
    /// The object's id (a tenant's slug, a flag's key).
    pub target_id: String,
    /// The tenant the event belongs to, when it belongs to one (its ObjectId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Facts of the action: states before and after, step results, reasons.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

impl AuditEvent {
    /// An event by `change`'s actor at its time.
    pub fn new(
        action: impl Into<String>,
        outcome: Outcome,
        change: &Change,
        target_type: impl Into<String>,
        target_id: impl Into<String>,
    ) -> Self {
        AuditEvent {
            action: action.into(),
            outcome,
            actor_email: change.actor().to_owned(),
            at: change.timestamp(),
            target_type: target_type.into(),
            target_id: target_id.into(),
            tenant_id: None,
            metadata: Map::new(),
        }
    }

    /// The event with `tenant_id` set.
    pub fn for_tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The event with one more metadata entry.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.to_owned(), value.into());
        self
    }
}

/// A flag change is one kind of audit event: its configuration before and
/// after become `metadata.before` and `metadata.after`.
impl From<FlagAuditEvent> for AuditEvent {
    fn from(event: FlagAuditEvent) -> Self {
        let outcome = match event.outcome.as_str() {
            "failure" => Outcome::Failure,
            "denied" => Outcome::Denied,
            _ => Outcome::Success,
        };
        let mut metadata = Map::new();
        metadata.insert("before".into(), event.before);
        metadata.insert("after".into(), event.after);
        AuditEvent {
            action: event.action,
            outcome,
            actor_email: event.actor_email,
            at: event.at,
            target_type: event.target_type,
            target_id: event.target_id,
            tenant_id: None,
            metadata,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dezky_flags::Flag;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    fn change() -> Change {
        Change::new(
            "ops@dezky.eu",
            UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap()
    }

    #[test]
    fn serializes_in_the_control_planes_names() {
        let event = AuditEvent::new(
            "tenant.suspend",
            Outcome::Success,
            &change(),
            "tenant",
            "acme",
        )
        .for_tenant("6650f1c2a9b4e3d2c1b0a998")
        .with("from", "active");
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({
                "action": "tenant.suspend",
                "outcome": "success",
                "actorEmail": "ops@dezky.eu",
                "at": "2023-11-14T22:13:20.000Z",
                "targetType": "tenant",
                "targetId": "acme",
                "tenantId": "6650f1c2a9b4e3d2c1b0a998",
                "metadata": {"from": "active"},
            })
        );
    }

    #[test]
    fn a_flag_change_converts_with_its_before_and_after() {
        let (_, flag_event) = Flag::create("beta_x", "Beta", &change()).unwrap();
        let event = AuditEvent::from(flag_event);
        assert_eq!(event.action, "flag.create");
        assert_eq!(event.outcome, Outcome::Success);
        assert_eq!(event.target_type, "flag");
        assert_eq!(event.target_id, "beta_x");
        assert_eq!(event.metadata["before"], Value::Null);
        assert_eq!(event.metadata["after"]["state"], "off");
    }
}
