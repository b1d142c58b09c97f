//! The flag document as the control plane stores it and serves it from `GET /flags`.
//!
//! Parsing is done by hand over [`serde_json::Value`] so that every rule broken
//! yields an [`Error::InvalidFlag`] naming the flag and the field, and so that
//! fields this SDK does not know (`_id`, `createdAt`, future additions) survive
//! a read-modify-write round trip unchanged.

use std::fmt;
use std::str::FromStr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The longest key accepted. Keys longer than 30 bytes still work; they only
/// make the rollout hash input span two SHA-256 blocks.
pub const MAX_KEY_LEN: usize = 64;

/// How many history entries a flag keeps, newest first.
pub const HISTORY_CAP: usize = 20;

/// The four states of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagState {
    /// Disabled for everybody.
    Off,
    /// Enabled for everybody.
    On,
    /// Enabled for contexts matching every non-empty scope axis; an empty scope matches nobody.
    Targeted,
    /// Enabled for contexts matching the scope (empty matches everybody) whose bucket is below `pct`.
    Rollout,
}

impl FlagState {
    /// The wire name (`"off"`, `"on"`, `"targeted"`, `"rollout"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FlagState::Off => "off",
            FlagState::On => "on",
            FlagState::Targeted => "targeted",
            FlagState::Rollout => "rollout",
        }
    }
}

impl fmt::Display for FlagState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FlagState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "off" => Ok(FlagState::Off),
            "on" => Ok(FlagState::On),
            "targeted" => Ok(FlagState::Targeted),
            "rollout" => Ok(FlagState::Rollout),
            other => Err(Error::invalid_argument(
                "state",
                format!("unknown state {other:?} (expected off, on, targeted or rollout)"),
            )),
        }
    }
}

/// Whose identity a flag targets and rolls out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FlagLevel {
    /// The tenant: rollout buckets on `tenantId` (the control plane's original behaviour).
    #[default]
    Tenant,
    /// A user inside a tenant: rollout buckets on `userId`, and `scope.userIds` can target users.
    User,
}

impl FlagLevel {
    /// The wire name (`"tenant"`, `"user"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FlagLevel::Tenant => "tenant",
            FlagLevel::User => "user",
        }
    }
}

impl FromStr for FlagLevel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "tenant" => Ok(FlagLevel::Tenant),
            "user" => Ok(FlagLevel::User),
            other => Err(Error::invalid_argument(
                "level",
                format!("unknown level {other:?} (expected tenant or user)"),
            )),
        }
    }
}

/// The allowlists a flag is scoped by. An empty axis places no constraint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    /// Plan names (`starter`, `business`, ...).
    pub plans: Vec<String>,
    /// Tenant slugs.
    pub tenant_slugs: Vec<String>,
    /// Partner slugs; a tenant without a partner never matches a non-empty axis.
    pub partner_slugs: Vec<String>,
    /// Environments (`prod`, `staging`, `dev`, ...).
    pub environments: Vec<String>,
    /// User ids, for user-level flags only.
    pub user_ids: Vec<String>,
    /// Fields of the scope object this SDK does not know, kept for round trips.
    pub extra: Map<String, Value>,
}

/// The scope axes in a fixed order, with their wire names.
pub(crate) const AXES: [&str; 5] = [
    "plans",
    "tenantSlugs",
    "partnerSlugs",
    "environments",
    "userIds",
];

impl Scope {
    /// The axes in the order of [`AXES`].
    pub(crate) fn axes(&self) -> [&[String]; 5] {
        [
            &self.plans,
            &self.tenant_slugs,
            &self.partner_slugs,
            &self.environments,
            &self.user_ids,
        ]
    }

    fn axes_mut(&mut self) -> [&mut Vec<String>; 5] {
        [
            &mut self.plans,
            &mut self.tenant_slugs,
            &mut self.partner_slugs,
            &mut self.environments,
            &mut self.user_ids,
        ]
    }

    /// Whether every axis is empty.
    pub fn is_empty(&self) -> bool {
        self.axes().iter().all(|axis| axis.is_empty())
    }

    pub(crate) fn from_value(flag: &str, value: Value) -> Result<Self> {
        let Value::Object(mut map) = value else {
            return Err(Error::invalid_flag(flag, "scope", "must be an object"));
        };
        let mut scope = Scope::default();
        for (name, axis) in AXES.iter().zip(scope.axes_mut()) {
            match map.shift_remove(*name) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for (i, item) in items.into_iter().enumerate() {
                        match item {
                            Value::String(s) => axis.push(s),
                            other => {
                                return Err(Error::invalid_flag(
                                    flag,
                                    format!("scope.{name}[{i}]"),
                                    format!("must be a string, got {}", type_name(&other)),
                                ));
                            }
                        }
                    }
                }
                Some(other) => {
                    return Err(Error::invalid_flag(
                        flag,
                        format!("scope.{name}"),
                        format!("must be an array of strings, got {}", type_name(&other)),
                    ));
                }
            }
        }
        scope.extra = compact(map);
        Ok(scope)
    }

    /// The scope as the control plane's JSON. `userIds` is written only when used,
    /// so a tenant-level flag round-trips to exactly the control plane's shape.
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        for (name, axis) in AXES.iter().zip(self.axes()) {
            if *name == "userIds" && axis.is_empty() {
                continue;
            }
            map.insert((*name).to_owned(), Value::from(axis.to_vec()));
        }
        for (k, v) in &self.extra {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(map)
    }
}

/// One entry of a flag's embedded change history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryEntry {
    /// When, as an RFC 3339 timestamp.
    pub at: Option<String>,
    /// Who: the actor's email.
    pub actor: Option<String>,
    /// What kind of change (`create`, `update`, `kill_switch`).
    pub action: Option<String>,
    /// The flag's configuration before the change.
    pub before: Option<Value>,
    /// The flag's configuration after the change.
    pub after: Option<Value>,
    /// Fields this SDK does not know, kept for round trips.
    pub extra: Map<String, Value>,
}

impl HistoryEntry {
    fn from_value(flag: &str, index: usize, value: Value) -> Result<Self> {
        let Value::Object(mut map) = value else {
            return Err(Error::invalid_flag(
                flag,
                format!("history[{index}]"),
                "must be an object",
            ));
        };
        let mut text = |name: &str| -> Result<Option<String>> {
            match map.shift_remove(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(Error::invalid_flag(
                    flag,
                    format!("history[{index}].{name}"),
                    format!("must be a string, got {}", type_name(&other)),
                )),
            }
        };
        let at = text("at")?;
        let actor = text("actor")?;
        let action = text("action")?;
        let before = map.shift_remove("before");
        let after = map.shift_remove("after");
        Ok(HistoryEntry {
            at,
            actor,
            action,
            before,
            after,
            extra: compact(map),
        })
    }

    /// The entry as JSON.
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        let fields = [
            ("at", self.at.clone().map(Value::String)),
            ("actor", self.actor.clone().map(Value::String)),
            ("action", self.action.clone().map(Value::String)),
            ("before", self.before.clone()),
            ("after", self.after.clone()),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                map.insert(name.to_owned(), value);
            }
        }
        for (k, v) in &self.extra {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(map)
    }
}

/// One feature flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// Unique lowercase snake_case key starting with a letter.
    pub key: String,
    /// Free text for operators.
    pub description: String,
    /// The state that decides how the flag evaluates.
    pub state: FlagState,
    /// Rollout percentage, 0..=100; used by [`FlagState::Rollout`].
    pub pct: u8,
    /// The scope allowlists.
    pub scope: Scope,
    /// Whether the flag targets tenants or users.
    pub level: FlagLevel,
    /// Change history, newest first, at most [`HISTORY_CAP`] entries.
    pub history: Vec<HistoryEntry>,
    /// Fields this SDK does not know, kept for round trips.
    pub extra: Map<String, Value>,
}

impl Flag {
    /// A new flag in state `off` with an empty scope and no history.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        validate_key(&key).map_err(|reason| Error::invalid_flag(key.clone(), "key", reason))?;
        Ok(Flag {
            key,
            description: String::new(),
            state: FlagState::Off,
            pct: 0,
            scope: Scope::default(),
            level: FlagLevel::Tenant,
            history: Vec::new(),
            extra: Map::new(),
        })
    }

    /// Parses one flag from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::from_json(&e))?;
        Flag::from_value(value)
    }

    /// Parses and validates one flag document.
    pub fn from_value(value: Value) -> Result<Self> {
        Flag::from_value_at(value, None)
    }

    /// Parses a flag; `position` names it in errors when its key is unusable.
    pub(crate) fn from_value_at(value: Value, position: Option<usize>) -> Result<Self> {
        let unnamed = || position.map_or_else(|| "#?".to_owned(), |i| format!("#{i}"));
        let Value::Object(mut map) = value else {
            return Err(Error::invalid_flag(
                unnamed(),
                "",
                format!("a flag must be a JSON object, got {}", type_name(&value)),
            ));
        };
        let key = match map.shift_remove("key") {
            Some(Value::String(key)) => key,
            None => return Err(Error::invalid_flag(unnamed(), "key", "is required")),
            Some(other) => {
                return Err(Error::invalid_flag(
                    unnamed(),
                    "key",
                    format!("must be a string, got {}", type_name(&other)),
                ));
            }
        };
        validate_key(&key)
            .map_err(|reason| Error::invalid_flag(display_key(&key), "key", reason))?;
        let description = match map.shift_remove("description") {
            None | Some(Value::Null) => String::new(),
            Some(value) => string_field(&key, "description", &value)?,
        };
        let state = match map.shift_remove("state") {
            None => return Err(Error::invalid_flag(&key, "state", "is required")),
            Some(value) => state_field(&key, &value)?,
        };
        let pct = match map.shift_remove("pct") {
            // The control plane's schema defaults pct to 0.
            None | Some(Value::Null) => 0,
            Some(value) => pct_field(&key, &value)?,
        };
        let scope = match map.shift_remove("scope") {
            None | Some(Value::Null) => Scope::default(),
            Some(value) => Scope::from_value(&key, value)?,
        };
        let level = match map.shift_remove("level") {
            None | Some(Value::Null) => FlagLevel::Tenant,
            Some(value) => level_field(&key, &value)?,
        };
        if level == FlagLevel::Tenant && !scope.user_ids.is_empty() {
            return Err(Error::invalid_flag(
                &key,
                "scope.userIds",
                "targets users, which needs \"level\": \"user\"",
            ));
        }
        let history = match map.shift_remove("history") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| HistoryEntry::from_value(&key, i, v))
                .collect::<Result<Vec<_>>>()?,
            Some(other) => {
                return Err(Error::invalid_flag(
                    &key,
                    "history",
                    format!("must be an array, got {}", type_name(&other)),
                ));
            }
        };
        Ok(Flag {
            key,
            description,
            state,
            pct,
            scope,
            level,
            history,
            extra: compact(map),
        })
    }

    /// Checks the invariants a flag built in code could break: the key rule,
    /// `pct` in 0..=100, and `scope.userIds` only on user-level flags.
    /// History longer than [`HISTORY_CAP`] is accepted (it does not affect
    /// evaluation) and trimmed at the next recorded change.
    pub fn validate(&self) -> Result<()> {
        validate_key(&self.key)
            .map_err(|reason| Error::invalid_flag(display_key(&self.key), "key", reason))?;
        if self.pct > 100 {
            return Err(Error::invalid_flag(
                &self.key,
                "pct",
                format!("must be an integer in 0..=100, got {}", self.pct),
            ));
        }
        if self.level == FlagLevel::Tenant && !self.scope.user_ids.is_empty() {
            return Err(Error::invalid_flag(
                &self.key,
                "scope.userIds",
                "targets users, which needs \"level\": \"user\"",
            ));
        }
        Ok(())
    }

    /// Whether the flag is off because of the kill switch (its newest history
    /// entry is a kill switch and it has not been switched back on since).
    pub fn is_killed(&self) -> bool {
        self.state == FlagState::Off
            && self
                .history
                .first()
                .is_some_and(|h| h.action.as_deref() == Some(crate::ops::KILL_SWITCH))
    }

    /// The flag as the control plane's JSON, unknown fields included.
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("key".into(), Value::String(self.key.clone()));
        map.insert(
            "description".into(),
            Value::String(self.description.clone()),
        );
        map.insert("state".into(), Value::String(self.state.as_str().into()));
        map.insert("pct".into(), Value::from(self.pct));
        map.insert("scope".into(), self.scope.to_value());
        if self.level != FlagLevel::Tenant {
            map.insert("level".into(), Value::String(self.level.as_str().into()));
        }
        map.insert(
            "history".into(),
            Value::Array(self.history.iter().map(HistoryEntry::to_value).collect()),
        );
        for (k, v) in &self.extra {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(map)
    }

    /// The flag as JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The fields that decide evaluation, as recorded in history and audit events.
    pub fn configuration(&self) -> Value {
        let mut map = Map::new();
        map.insert(
            "description".into(),
            Value::String(self.description.clone()),
        );
        map.insert("state".into(), Value::String(self.state.as_str().into()));
        map.insert("pct".into(), Value::from(self.pct));
        map.insert("scope".into(), self.scope.to_value());
        if self.level != FlagLevel::Tenant {
            map.insert("level".into(), Value::String(self.level.as_str().into()));
        }
        Value::Object(map)
    }
}

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Flag::from_value(value).map_err(D::Error::custom)
    }
}

/// Checks the key naming rule: lowercase snake_case starting with a letter.
pub fn validate_key(key: &str) -> std::result::Result<(), String> {
    if key.is_empty() {
        return Err("must not be empty".into());
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!(
            "is {} bytes long, more than {MAX_KEY_LEN}",
            key.len()
        ));
    }
    let bytes = key.as_bytes();
    if !bytes[0].is_ascii_lowercase() {
        return Err("must start with a lowercase letter (a-z)".into());
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(format!(
            "contains {c:?}; only lowercase letters, digits and underscores are allowed"
        ));
    }
    if key.ends_with('_') || key.contains("__") {
        return Err("must be snake_case: no trailing or doubled underscores".into());
    }
    Ok(())
}

pub(crate) fn string_field(flag: &str, field: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(Error::invalid_flag(
            flag,
            field,
            format!("must be a string, got {}", type_name(other)),
        )),
    }
}

pub(crate) fn state_field(flag: &str, value: &Value) -> Result<FlagState> {
    let text = string_field(flag, "state", value)?;
    text.parse().map_err(|_| {
        Error::invalid_flag(
            flag,
            "state",
            format!("unknown state {text:?} (expected off, on, targeted or rollout)"),
        )
    })
}

pub(crate) fn level_field(flag: &str, value: &Value) -> Result<FlagLevel> {
    let text = string_field(flag, "level", value)?;
    text.parse().map_err(|_| {
        Error::invalid_flag(
            flag,
            "level",
            format!("unknown level {text:?} (expected tenant or user)"),
        )
    })
}

pub(crate) fn pct_field(flag: &str, value: &Value) -> Result<u8> {
    parse_pct(value).map_err(|reason| Error::invalid_flag(flag, "pct", reason))
}

/// Reads `pct`: an integer in 0..=100. Floats, strings and out-of-range values are rejected,
/// never clamped. `25.0` is accepted as 25: JSON does not distinguish it from `25`.
fn parse_pct(value: &Value) -> std::result::Result<u8, String> {
    let Value::Number(n) = value else {
        return Err(format!(
            "must be an integer in 0..=100, got {}",
            type_name(value)
        ));
    };
    let int = if let Some(i) = n.as_i64() {
        Some(i)
    } else {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    };
    match int {
        Some(i @ 0..=100) => Ok(i as u8),
        Some(i) => Err(format!("must be an integer in 0..=100, got {i}")),
        None => Err(format!("must be an integer in 0..=100, got {n}")),
    }
}

/// Keys shown in errors are cut short so a huge bogus key cannot flood a log line.
fn display_key(key: &str) -> String {
    const SHOWN: usize = 80;
    if key.len() <= SHOWN {
        return key.to_owned();
    }
    let mut end = SHOWN;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &key[..end])
}

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The leftover of a parsed object after its known fields were taken out: an
/// empty map would still hold the capacity of the original object.
fn compact(map: Map<String, Value>) -> Map<String, Value> {
    if map.is_empty() {
        Map::new()
    } else {
        map.into_iter().collect()
    }
}
