//! Audit log queries: the portal's filters (`q`, `action`, `outcome`,
//! `actorEmail`, `since`, `before`) as a MongoDB filter document for the
//! control plane's `platform_audit` collection, newest first, paged by an
//! opaque cursor that stays stable while events are inserted.
//!
//! The SDK builds the query; the control plane runs it with its driver
//! (`collection.find(query.filter).sort(query.sort).limit(query.limit)`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Outcome;
use crate::error::{Error, Result};

/// The largest page.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The longest free-text search.
const MAX_Q_CHARS: usize = 200;
/// The most actions one query may name.
const MAX_ACTIONS: usize = 50;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The filters of `GET /tenants/:slug/audit` (and the operator's global log),
/// as the portal sends them. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditFilter {
    /// Free text, matched literally (case-insensitive) in the action, the
    /// actor's email, the target's type and id.
    #[serde(default)]
    pub q: Option<String>,
    /// Actions to keep: exact names (`tenant.suspend`), or a family written
    /// `tenant.*`. Any of them matches.
    #[serde(default)]
    pub action: Vec<String>,
    /// `success`, `failure` or `denied`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The actor's email, compared case-insensitively.
    #[serde(default)]
    pub actor_email: Option<String>,
    /// Events at or after this time (RFC 3339, or a date `YYYY-MM-DD` for its
    /// start in UTC).
    #[serde(default)]
    pub since: Option<String>,
    /// Events strictly before this time (same forms).
    #[serde(default)]
    pub before: Option<String>,
    /// The page size, 1 to 500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl AuditFilter {
    /// Reads a filter object (as the portal sends it); an unknown key or a
    /// value of the wrong type is `DEZKY_INVALID_ARGUMENT` naming that key
    /// (`limit`, `action[2]`).
    pub fn from_value(value: &Value) -> Result<AuditFilter> {
        let Value::Object(map) = value else {
            return Err(invalid("filter", "must be an object"));
        };
        let text = |key: &str, v: &Value| match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(invalid(key, "must be a string")),
        };
        let mut filter = AuditFilter::default();
        for (key, v) in map {
            match key.as_str() {
                "q" => filter.q = text(key, v)?,
                "outcome" => filter.outcome = text(key, v)?,
                "actorEmail" => filter.actor_email = text(key, v)?,
                "since" => filter.since = text(key, v)?,
                "before" => filter.before = text(key, v)?,
                "cursor" => filter.cursor = text(key, v)?,
                "limit" => {
                    filter.limit = match v {
                        Value::Null => None,
                        v => Some(
                            v.as_u64()
                                .and_then(|n| u32::try_from(n).ok())
                                .ok_or_else(|| invalid("limit", "must be a whole number"))?,
                        ),
                    }
                }
                "action" => {
                    filter.action = match v {
                        Value::Null => Vec::new(),
                        // One action, as a query string carries it.
                        Value::String(s) => vec![s.clone()],
                        Value::Array(items) => items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| {
                                item.as_str().map(str::to_owned).ok_or_else(|| {
                                    invalid(format!("action[{i}]"), "must be a string")
                                })
                            })
                            .collect::<Result<_>>()?,
                        _ => {
                            return Err(invalid("action", "must be a string or a list of strings"));
                        }
                    }
                }
                _ => {
                    return Err(invalid(
                        key.clone(),
                        "is not an audit filter (q, action, outcome, actorEmail, since, before, limit, cursor)",
                    ));
                }
            }
        }
        Ok(filter)
    }
}

/// A query ready for the driver.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditQuery {
    /// The filter document (MongoDB Extended JSON: `_id` bounds are `{"$oid": ...}`).
    pub filter: Value,
    /// Newest first: `{"at": -1, "_id": -1}`.
    pub sort: Value,
    /// How many documents to ask for: the page size plus one, so that the
    /// caller knows whether another page follows.
    pub limit: u32,
    /// The page size.
    pub page_size: u32,
}

/// Where the previous page ended: its last event's time and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    at: String,
    id: String,
}

impl AuditQuery {
    /// The query of `filter`, within one tenant's events when `tenant_id` is
    /// given (the tenant-scoped log) or across all (the operator's). Errors
    /// name the filter's field (`since`, `action[1]`, `cursor`).
    pub fn build(filter: &AuditFilter, tenant_id: Option<&str>) -> Result<AuditQuery> {
        let mut and: Vec<Value> = Vec::new();
        if let Some(tenant) = tenant_id {
            if !is_object_id(tenant) {
                return Err(invalid("tenantId", "must be an ObjectId (24 hex digits)"));
            }
            and.push(json!({"tenantId": tenant}));
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            if q.chars().count() > MAX_Q_CHARS {
                return Err(invalid(
                    "q",
                    format!("is longer than {MAX_Q_CHARS} characters"),
                ));
            }
            let pattern = regex_literal(q);
            let any: Vec<Value> = ["action", "actorEmail", "targetType", "targetId"]
                .iter()
                .map(|field| json!({*field: {"$regex": pattern, "$options": "i"}}))
                .collect();
            and.push(json!({"$or": any}));
        }
        if !filter.action.is_empty() {
            and.push(actions(&filter.action)?);
        }
        if let Some(outcome) = &filter.outcome {
            let known = [Outcome::Success, Outcome::Failure, Outcome::Denied];
            if !known.iter().any(|o| o.as_str() == outcome) {
                return Err(invalid("outcome", "must be success, failure or denied"));
            }
            and.push(json!({"outcome": outcome}));
        }
        if let Some(email) = filter.actor_email.as_deref().map(str::trim) {
            if email.is_empty() || email.chars().count() > 320 {
                return Err(invalid("actorEmail", "must be 1 to 320 characters"));
            }
            let exact = format!("^{}$", regex_literal(email));
            and.push(json!({"actorEmail": {"$regex": exact, "$options": "i"}}));
        }
        let mut at = Map::new();
        let since = filter
            .since
            .as_deref()
            .map(|t| parse_time("since", t))
            .transpose()?;
        let before = filter
            .before
            .as_deref()
            .map(|t| parse_time("before", t))
            .transpose()?;
        if let (Some(s), Some(b)) = (since, before)
            && s >= b
        {
            return Err(invalid("before", "must be later than `since`"));
        }
        if let Some(s) = since {
            at.insert("$gte".into(), Value::String(timestamp(s)));
        }
        if let Some(b) = before {
            at.insert("$lt".into(), Value::String(timestamp(b)));
        }
        if !at.is_empty() {
            and.push(json!({"at": at}));
        }
        if let Some(cursor) = &filter.cursor {
            let c = decode_cursor(cursor)?;
            // Strictly older than the last event shown: later inserts (newer
            // events) never shift a page, and ties on `at` are broken by `_id`.
            and.push(json!({"$or": [
                {"at": {"$lt": c.at}},
                {"at": c.at, "_id": {"$lt": {"$oid": c.id}}},
            ]}));
        }
        let page_size = match filter.limit {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            Some(_) => {
                return Err(invalid(
                    "limit",
                    format!("must be from 1 to {MAX_PAGE_SIZE}"),
                ));
            }
        };
        let filter = match and.len() {
            0 => json!({}),
            1 => and.remove(0),
            _ => json!({"$and": and}),
        };
        Ok(AuditQuery {
            filter,
            sort: json!({"at": -1, "_id": -1}),
            limit: page_size + 1,
            page_size,
        })
    }

    /// The cursor of the page after `documents` (the documents the query
    /// returned, as the driver gives them: `_id` an ObjectId string or
    /// `{"$oid"}`), or `None` when no page follows. Only the page's last
    /// document is read; errors name its field (`documents[49]._id`).
    pub fn next_cursor(&self, documents: &[Value]) -> Result<Option<String>> {
        let page = usize::try_from(self.page_size).unwrap_or(usize::MAX);
        if page == 0 || documents.len() <= page {
            return Ok(None);
        }
        let index = page - 1;
        let last = &documents[index];
        let field = |name: &str| format!("documents[{index}].{name}");
        let at = last
            .get("at")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(field("at"), "must be a timestamp string"))?;
        parse_time(&field("at"), at)?;
        let id = match last.get("_id") {
            Some(Value::String(id)) => id.as_str(),
            Some(Value::Object(o)) => o.get("$oid").and_then(Value::as_str).unwrap_or_default(),
            _ => "",
        };
        if !is_object_id(id) {
            return Err(invalid(field("_id"), "must be an ObjectId"));
        }
        let cursor = Cursor {
            at: at.to_owned(),
            id: id.to_ascii_lowercase(),
        };
        let json = serde_json::to_vec(&cursor).map_err(|e| invalid("cursor", e.to_string()))?;
        Ok(Some(URL_SAFE_NO_PAD.encode(json)))
    }
}

fn decode_cursor(text: &str) -> Result<Cursor> {
    let bad = || {
        invalid(
            "cursor",
            "is not a cursor of this log (use `nextCursor` as given)",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if !is_object_id(&cursor.id) || parse_time("cursor", &cursor.at).is_err() {
        return Err(bad());
    }
    Ok(cursor)
}

fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The action filter: exact names with `$in`, families (`tenant.*`) as
/// anchored prefixes.
fn actions(list: &[String]) -> Result<Value> {
    if list.len() > MAX_ACTIONS {
        return Err(invalid(
            "action",
            format!("names more than {MAX_ACTIONS} actions"),
        ));
    }
    let mut exact = Vec::new();
    let mut any: Vec<Value> = Vec::new();
    for (i, action) in list.iter().enumerate() {
        let action = action.trim();
        let (name, family) = match action.strip_suffix(".*") {
            Some(prefix) => (prefix, true),
            None => (action, false),
        };
        let valid = !name.is_empty()
            && name.len() <= 100
            && name.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            });
        if !valid {
            return Err(invalid(
                format!("action[{i}]"),
                "must be an action (`tenant.suspend`) or a family (`tenant.*`)",
            ));
        }
        if family {
            let prefix = format!("^{}\\.", regex_literal(name));
            any.push(json!({"action": {"$regex": prefix}}));
        } else {
            exact.push(Value::String(name.to_owned()));
        }
    }
    if !exact.is_empty() {
        any.push(json!({"action": {"$in": exact}}));
    }
    Ok(if any.len() == 1 {
        any.remove(0)
    } else {
        json!({"$or": any})
    })
}

/// `text` as a regular expression that matches exactly it: every character
/// with a meaning in PCRE is escaped, so user input is never a pattern.
fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if "\\^$.|?*+()[]{}-/#&~ ".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The audit log's timestamp form: RFC 3339 in UTC with milliseconds
/// (`2026-12-03T14:00:00.000Z`), which sorts as text in time order.
fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Reads a time: RFC 3339 with `Z` or an offset (`+02:00`), with or without
/// fractions, or a date (`2026-12-03`, its start in UTC). Years 1970 to 9999.
/// Errors name `field`.
pub fn parse_time(field: &str, text: &str) -> Result<SystemTime> {
    let bad = || {
        invalid(
            field,
            format!("{text:?} is not an RFC 3339 time or a YYYY-MM-DD date"),
        )
    };
    let text = text.trim();
    if text.len() == 10 {
        return humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).map_err(|_| bad());
    }
    // humantime reads UTC only: an offset is taken off by hand.
    let (local, offset_secs) = match text
        .char_indices()
        .rev()
        .find(|(_, c)| *c == '+' || *c == '-')
    {
        Some((i, sign))
            if i >= 19
                && text
                    .as_bytes()
                    .get(10)
                    .is_some_and(|b| *b == b'T' || *b == b't') =>
        {
            let offset = &text[i + 1..];
            let (h, m) = offset.split_once(':').ok_or_else(bad)?;
            let (h, m): (u64, u64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h > 23 || m > 59 || offset.len() != 5 {
                return Err(bad());
            }
            let secs = i64::try_from(h * 3600 + m * 60).map_err(|_| bad())?;
            (&text[..i], if sign == '+' { secs } else { -secs })
        }
        _ => (text, 0),
    };
    let local = local.strip_suffix(['Z', 'z']).unwrap_or(local);
    let utc = humantime::parse_rfc3339(&format!("{local}Z")).map_err(|_| bad())?;
    let shifted = if offset_secs >= 0 {
        utc.checked_sub(Duration::from_secs(offset_secs.unsigned_abs()))
    } else {
        utc.checked_add(Duration::from_secs(offset_secs.unsigned_abs()))
    };
    shifted.filter(|t| *t >= UNIX_EPOCH).ok_or_else(bad)
}
