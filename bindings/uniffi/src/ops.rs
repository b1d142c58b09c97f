//! Changing flags (create, update, kill switch) and the rollout preview.

use dezky_flags::{Change, EvaluationContext, Flag};
use serde_json::Value;

use crate::error::DezkyError;

/// A record for the platform audit log, one per flag change.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlagAuditEvent {
    /// `flag.create`, `flag.update` or `flag.kill_switch`.
    pub action: String,
    /// Always `success`: events are made only for changes that were applied.
    pub outcome: String,
    /// Who made the change.
    pub actor_email: String,
    /// When, RFC 3339.
    pub at: String,
    /// Always `flag`.
    pub target_type: String,
    /// The flag's key.
    pub target_id: String,
    /// The configuration before, as JSON text; `None` for a creation.
    pub before_json: Option<String>,
    /// The configuration after, as JSON text.
    pub after_json: Option<String>,
}

impl From<dezky_flags::FlagAuditEvent> for FlagAuditEvent {
    fn from(event: dezky_flags::FlagAuditEvent) -> Self {
        let json = |value: Value| (!value.is_null()).then(|| value.to_string());
        FlagAuditEvent {
            action: event.action,
            outcome: event.outcome,
            actor_email: event.actor_email,
            at: event.at,
            target_type: event.target_type,
            target_id: event.target_id,
            before_json: json(event.before),
            after_json: json(event.after),
        }
    }
}

/// An applied change: the flag document after it, and its audit event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlagChange {
    /// The changed flag document as JSON text, history included.
    pub flag_json: String,
    /// The event for the platform audit log.
    pub event: FlagAuditEvent,
}

impl FlagChange {
    fn new(flag: &Flag, event: dezky_flags::FlagAuditEvent) -> Self {
        FlagChange {
            flag_json: flag.to_json(),
            event: event.into(),
        }
    }
}

/// The operator UI's "N of M tenants" for a proposed flag configuration.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RolloutPreview {
    /// How many contexts were given (M).
    pub total: u64,
    /// How many the configuration enables (N).
    pub enabled_count: u64,
    /// The positions, in the given list, of the enabled contexts, ascending.
    pub enabled: Vec<u64>,
}

/// Creates a flag in state `off`, by `actor` (an email) now, with its creation in history.
#[uniffi::export]
pub fn create_flag(
    key: String,
    description: String,
    actor: String,
) -> Result<FlagChange, DezkyError> {
    let change = Change::now(actor)?;
    let (flag, event) = Flag::create(&key, &description, &change)?;
    Ok(FlagChange::new(&flag, event))
}

/// The kill switch on the flag document `flag_json`: `state = off`, `pct = 0`,
/// recorded in history by `actor` now, even when the flag was already off.
#[uniffi::export]
pub fn kill_switch(flag_json: String, actor: String) -> Result<FlagChange, DezkyError> {
    let change = Change::now(actor)?;
    let mut flag = Flag::from_json(&flag_json)?;
    let event = flag.kill(&change);
    Ok(FlagChange::new(&flag, event))
}

/// Applies `update_json` (an object with any of `description`, `state`, `pct`,
/// `scope`, `level`) to the flag document `flag_json`, by `actor` now.
/// `None` when the update changes nothing (nothing is recorded then).
#[uniffi::export]
pub fn update_flag(
    flag_json: String,
    update_json: String,
    actor: String,
) -> Result<Option<FlagChange>, DezkyError> {
    let change = Change::now(actor)?;
    let mut flag = Flag::from_json(&flag_json)?;
    let update_value: Value = serde_json::from_str(&update_json).map_err(|err| {
        DezkyError::malformed_json(&err, format!("malformed JSON in the update: {err}"))
    })?;
    let update = dezky_flags::FlagUpdate::from_value(&flag.key, &update_value)?;
    Ok(flag
        .apply(update, &change)?
        .map(|event| FlagChange::new(&flag, event)))
}

/// Evaluates the proposed flag document `flag_json` for each context, exactly
/// as evaluation would: which of them it enables.
#[uniffi::export]
pub fn preview_rollout(
    flag_json: String,
    contexts: Vec<EvaluationContext>,
) -> Result<RolloutPreview, DezkyError> {
    let flag = Flag::from_json(&flag_json)?;
    let preview = dezky_flags::preview(&flag, &contexts);
    Ok(RolloutPreview {
        total: preview.total as u64,
        enabled_count: preview.enabled_count as u64,
        enabled: preview.enabled.into_iter().map(|i| i as u64).collect(),
    })
}
