//! Changing flags: updates, the kill switch, history and audit events.

// `#[napi(object)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::{
    Flag, FlagLevel, FlagState, HISTORY_CAP, HistoryEntry, Scope, level_field, pct_field,
    state_field, string_field, type_name,
};
use crate::set::FlagSet;

/// History action of a flag's creation.
pub const CREATE: &str = "create";
/// History action of an ordinary change.
pub const UPDATE: &str = "update";
/// History action of the kill switch.
pub const KILL_SWITCH: &str = "kill_switch";

/// Who changes a flag, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    actor: String,
    at: SystemTime,
}

impl Change {
    /// A change by `actor` (an email) at `at`. The actor must not be blank, and
    /// `at` must be one RFC 3339 can write (from 1970 to the end of 9999, UTC).
    pub fn new(actor: impl Into<String>, at: SystemTime) -> Result<Self> {
        let actor = actor.into();
        if actor.trim().is_empty() {
            return Err(Error::invalid_argument(
                "actor",
                "must name who makes the change",
            ));
        }
        // 10000-01-01T00:00:00Z: the first instant RFC 3339's four-digit year cannot write.
        const YEAR_10000: u64 = 253_402_300_800;
        match at.duration_since(UNIX_EPOCH) {
            Ok(since) if since.as_secs() < YEAR_10000 => Ok(Change { actor, at }),
            _ => Err(Error::invalid_argument(
                "at",
                "must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
            )),
        }
    }

    /// A change by `actor` now.
    pub fn now(actor: impl Into<String>) -> Result<Self> {
        Change::new(actor, SystemTime::now())
    }

    /// The actor's email.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The change's time as RFC 3339 with milliseconds, in UTC.
    pub fn timestamp(&self) -> String {
        humantime::format_rfc3339_millis(self.at).to_string()
    }
}

/// A partial update of a flag's configuration; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlagUpdate {
    /// New description.
    pub description: Option<String>,
    /// New state.
    pub state: Option<FlagState>,
    /// New rollout percentage (0..=100).
    pub pct: Option<u8>,
    /// New scope, replacing the whole scope.
    pub scope: Option<Scope>,
    /// New level.
    pub level: Option<FlagLevel>,
}

impl FlagUpdate {
    /// Reads an update from a JSON object with the flag document's field names
    /// (`description`, `state`, `pct`, `scope`, `level`). Other fields are an error:
    /// `key` and `history` are not changed through an update.
    pub fn from_value(flag_key: &str, value: &Value) -> Result<Self> {
        let Value::Object(map) = value else {
            return Err(Error::invalid_flag(
                flag_key,
                "",
                format!("an update must be a JSON object, got {}", type_name(value)),
            ));
        };
        const FIELDS: [&str; 5] = ["description", "state", "pct", "scope", "level"];
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(Error::invalid_flag(
                flag_key,
                unknown.as_str(),
                "cannot be changed by an update (expected description, state, pct, scope or level)",
            ));
        }
        let mut update = FlagUpdate::default();
        for (field, value) in map {
            match field.as_str() {
                "description" => update.description = Some(string_field(flag_key, field, value)?),
                "state" => update.state = Some(state_field(flag_key, value)?),
                "pct" => update.pct = Some(pct_field(flag_key, value)?),
                "scope" => update.scope = Some(Scope::from_value(flag_key, value.clone())?),
                _ => update.level = Some(level_field(flag_key, value)?),
            }
        }
        Ok(update)
    }
}

/// A record for the platform audit log, one per flag change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "napi", napi_derive::napi(object, object_from_js = false))]
pub struct FlagAuditEvent {
    /// `flag.create`, `flag.update`, `flag.kill_switch` or `flag.delete`.
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
    /// The configuration before (`null` for a creation).
    #[cfg_attr(feature = "napi", napi(ts_type = "Record<string, unknown> | null"))]
    pub before: Value,
    /// The configuration after (`null` for a deletion).
    #[cfg_attr(feature = "napi", napi(ts_type = "Record<string, unknown> | null"))]
    pub after: Value,
}

impl FlagAuditEvent {
    fn new(action: &str, key: &str, change: &Change, before: Value, after: Value) -> Self {
        FlagAuditEvent {
            action: format!("flag.{action}"),
            outcome: "success".into(),
            actor_email: change.actor.clone(),
            at: change.timestamp(),
            target_type: "flag".into(),
            target_id: key.into(),
            before,
            after,
        }
    }
}

impl Flag {
    /// Creates a flag in state `off`, with its creation in history.
    pub fn create(key: &str, description: &str, change: &Change) -> Result<(Flag, FlagAuditEvent)> {
        let mut flag = Flag::new(key)?;
        flag.description = description.into();
        let after = flag.configuration();
        flag.record(CREATE, change, Value::Null, after.clone());
        let event = FlagAuditEvent::new(CREATE, key, change, Value::Null, after);
        Ok((flag, event))
    }

    /// Applies an update. Returns the audit event, or `None` (and records
    /// nothing) when the update changes nothing. On error the flag is unchanged.
    pub fn apply(&mut self, update: FlagUpdate, change: &Change) -> Result<Option<FlagAuditEvent>> {
        let mut next = self.clone();
        if let Some(description) = update.description {
            next.description = description;
        }
        if let Some(state) = update.state {
            next.state = state;
        }
        if let Some(pct) = update.pct {
            next.pct = pct;
        }
        if let Some(scope) = update.scope {
            next.scope = scope;
        }
        if let Some(level) = update.level {
            next.level = level;
        }
        next.validate()?;
        let before = self.configuration();
        let after = next.configuration();
        if before == after {
            return Ok(None);
        }
        next.record(UPDATE, change, before.clone(), after.clone());
        *self = next;
        Ok(Some(FlagAuditEvent::new(
            UPDATE, &self.key, change, before, after,
        )))
    }

    /// The kill switch: `state = off`, `pct = 0`, recorded in history even when
    /// the flag was already off, since the operator's action itself is audited.
    pub fn kill(&mut self, change: &Change) -> FlagAuditEvent {
        let before = self.configuration();
        self.state = FlagState::Off;
        self.pct = 0;
        let after = self.configuration();
        self.record(KILL_SWITCH, change, before.clone(), after.clone());
        FlagAuditEvent::new(KILL_SWITCH, &self.key, change, before, after)
    }

    /// The audit event for deleting this flag.
    pub fn deletion_event(&self, change: &Change) -> FlagAuditEvent {
        FlagAuditEvent::new(
            "delete",
            &self.key,
            change,
            self.configuration(),
            Value::Null,
        )
    }

    /// Adds a history entry at the front, keeping the newest [`HISTORY_CAP`].
    fn record(&mut self, action: &str, change: &Change, before: Value, after: Value) {
        self.history.insert(
            0,
            HistoryEntry {
                at: Some(change.timestamp()),
                actor: Some(change.actor.clone()),
                action: Some(action.into()),
                before: Some(before),
                after: Some(after),
                extra: Map::new(),
            },
        );
        self.history.truncate(HISTORY_CAP);
    }
}

/// Changes addressed by key, each returning the new set and the audit event;
/// the set itself is immutable and stays as it was.
impl FlagSet {
    /// Creates the flag `key` (state `off`). Fails with [`Error::DuplicateKey`] if it exists.
    pub fn create_flag(
        &self,
        key: &str,
        description: &str,
        change: &Change,
    ) -> Result<(FlagSet, FlagAuditEvent)> {
        if self.get(key).is_some() {
            return Err(Error::DuplicateKey { key: key.into() });
        }
        let (flag, event) = Flag::create(key, description, change)?;
        Ok((self.with_flag(flag)?, event))
    }

    /// Applies `update` to the flag `key`. The event is `None` when nothing changed
    /// (and the returned set is this one).
    pub fn update_flag(
        &self,
        key: &str,
        update: FlagUpdate,
        change: &Change,
    ) -> Result<(FlagSet, Option<FlagAuditEvent>)> {
        let mut flag = self.require(key)?.clone();
        match flag.apply(update, change)? {
            Some(event) => Ok((self.with_flag(flag)?, Some(event))),
            None => Ok((self.clone(), None)),
        }
    }

    /// The kill switch on the flag `key`.
    pub fn kill_flag(&self, key: &str, change: &Change) -> Result<(FlagSet, FlagAuditEvent)> {
        let mut flag = self.require(key)?.clone();
        let event = flag.kill(change);
        Ok((self.with_flag(flag)?, event))
    }

    /// Removes the flag `key`.
    pub fn delete_flag(&self, key: &str, change: &Change) -> Result<(FlagSet, FlagAuditEvent)> {
        let event = self.require(key)?.deletion_event(change);
        Ok((self.without_flag(key)?, event))
    }

    fn require(&self, key: &str) -> Result<&Flag> {
        self.get(key)
            .ok_or_else(|| Error::FlagNotFound { key: key.into() })
    }
}
