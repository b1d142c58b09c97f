//! The audit log (`dezky_core::audit`, `docs/audit.md`): the portal's filters
//! as a MongoDB query with its paging cursor, the log's time form, and the
//! CSV export.
//!
//! The filter and the events cross as the control plane's JSON text (camelCase
//! fields); `AuditQuery` is an object holding the core's query, so that the
//! cursor of a page is computed with the page size it was built with.

use std::sync::Arc;
use std::time::SystemTime;

use dezky_core::audit::{self, AuditEvent, AuditFilter, CsvWriter};
use serde_json::Value;

use crate::error::DezkyError;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> DezkyError {
    dezky_core::Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
    .into()
}

/// serde's message without the position it appends (`... at line 1 column 9`).
fn reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The JSON text `json`, the argument `name`: `MalformedJson` when it is not JSON.
fn parse(json: &str, name: &str) -> Result<Value, DezkyError> {
    serde_json::from_str(json).map_err(|err| {
        DezkyError::malformed_json(&err, format!("malformed JSON in `{name}`: {err}"))
    })
}

/// The filter object `json`, read by the core (errors name the field).
fn filter(json: &str) -> Result<AuditFilter, DezkyError> {
    Ok(AuditFilter::from_value(&parse(json, "filter")?)?)
}

/// A query of the audit log, ready for the driver
/// (`dezky_core::audit::AuditQuery`):
/// `find(filter).sort(sort).limit(limit)`.
#[derive(Debug, PartialEq, uniffi::Object)]
pub struct AuditQuery {
    inner: audit::AuditQuery,
}

#[uniffi::export]
impl AuditQuery {
    /// The query of the portal's filters `filter_json` (`{q, action, outcome,
    /// actorEmail, since, before, limit, cursor}`, every field optional),
    /// within the tenant `tenant_id`'s events (an ObjectId) or, when `None`,
    /// across all. Errors name the filter's field (`since`, `action[1]`,
    /// `cursor`, `tenantId`).
    #[uniffi::constructor]
    pub fn build(filter_json: String, tenant_id: Option<String>) -> Result<Arc<Self>, DezkyError> {
        let filter = filter(&filter_json)?;
        Ok(Arc::new(AuditQuery {
            inner: audit::AuditQuery::build(&filter, tenant_id.as_deref())?,
        }))
    }

    /// The filter document as MongoDB Extended JSON text.
    pub fn filter_json(&self) -> String {
        self.inner.filter.to_string()
    }

    /// The order, newest first: `{"at": -1, "_id": -1}` as JSON text.
    pub fn sort_json(&self) -> String {
        self.inner.sort.to_string()
    }

    /// How many documents to ask for: the page size plus one.
    pub fn limit(&self) -> u32 {
        self.inner.limit
    }

    /// The page size.
    pub fn page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// The cursor of the page after `documents_json` (the JSON array of the
    /// documents the query returned, `_id` a string or `{"$oid"}`), or `None`
    /// when no page follows. Errors name the last document's field
    /// (`documents[49]._id`).
    pub fn next_cursor(&self, documents_json: String) -> Result<Option<String>, DezkyError> {
        let Value::Array(documents) = parse(&documents_json, "documents")? else {
            return Err(invalid("documents", "must be a JSON array of documents"));
        };
        Ok(self.inner.next_cursor(&documents)?)
    }
}

/// Reads a time as the audit filters take it: RFC 3339 with `Z` or an offset,
/// or a date (`2026-12-03`, its start in UTC), years 1970 to 9999. Errors are
/// `Invalid` on `field`.
#[uniffi::export]
pub fn parse_audit_time(field: String, text: String) -> Result<SystemTime, DezkyError> {
    Ok(audit::parse_time(&field, &text)?)
}

/// The CSV export's columns, in order (its header row).
#[uniffi::export]
pub fn audit_csv_columns() -> Vec<String> {
    audit::CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect()
}

/// The JSON array `events_json` of audit events (the control plane's
/// documents) as CSV text: RFC 4180 with CRLF line ends, the header row first,
/// cells a spreadsheet would run as formulas prefixed with `'`. An event that
/// is not one is `Invalid` on `events[i]`, with serde's reason.
#[uniffi::export]
pub fn audit_events_to_csv(events_json: String) -> Result<String, DezkyError> {
    let Value::Array(items) = parse(&events_json, "events")? else {
        return Err(invalid("events", "must be a JSON array of audit events"));
    };
    // Writing to memory cannot fail; the error is mapped rather than unwrapped.
    let io = |err: std::io::Error| invalid("events", err.to_string());
    let mut writer = CsvWriter::new(Vec::new()).map_err(io)?;
    for (i, item) in items.into_iter().enumerate() {
        let event: AuditEvent = serde_json::from_value(item)
            .map_err(|err| invalid(format!("events[{i}]"), reason(&err)))?;
        writer.write(&event).map_err(io)?;
    }
    let bytes = writer.finish().map_err(io)?;
    // Every cell is a Rust string, so the output is UTF-8.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(result: Result<impl std::fmt::Debug, DezkyError>) -> String {
        match result {
            Err(DezkyError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_query_pages() {
        let q = AuditQuery::build(r#"{"limit": 1, "outcome": "denied"}"#.into(), None).unwrap();
        assert_eq!((q.limit(), q.page_size()), (2, 1));
        assert_eq!(q.filter_json(), r#"{"outcome":"denied"}"#);
        let docs = r#"[{"_id": "6650f1c2a9b4e3d2c1b0a998", "at": "2026-01-01T00:00:00.000Z"}, {}]"#;
        let cursor = q.next_cursor(docs.into()).unwrap().unwrap();
        let next = AuditQuery::build(format!(r#"{{"cursor": "{cursor}"}}"#), None).unwrap();
        assert!(next.filter_json().contains("$lt"));
        assert_eq!(q.next_cursor("[{}]".into()).unwrap(), None);
    }

    #[test]
    fn bad_filters_name_the_field() {
        assert_eq!(
            field(AuditQuery::build(r#"{"limit": "x"}"#.into(), None)),
            "limit"
        );
        assert_eq!(
            field(AuditQuery::build(r#"{"where": 1}"#.into(), None)),
            "where"
        );
        assert_eq!(
            field(AuditQuery::build(
                r#"{"action": ["ok", "$where"]}"#.into(),
                None
            )),
            "action[1]"
        );
        assert_eq!(field(AuditQuery::build("[]".into(), None)), "filter");
        assert_eq!(
            field(AuditQuery::build("{}".into(), Some("x".into()))),
            "tenantId"
        );
        assert!(matches!(
            AuditQuery::build("{".into(), None),
            Err(DezkyError::MalformedJson { .. })
        ));
        assert_eq!(
            field(parse_audit_time("since".into(), "soon".into())),
            "since"
        );
    }

    #[test]
    fn events_export_as_csv() {
        let csv = audit_events_to_csv(
            r#"[{"action": "tenant.suspend", "outcome": "success", "actorEmail": "=cmd",
                 "at": "2026-01-01T00:00:00.000Z", "targetType": "tenant", "targetId": "acme"}]"#
                .into(),
        )
        .unwrap();
        assert_eq!(
            csv,
            "at,action,outcome,actorEmail,targetType,targetId,tenantId,metadata\r\n\
             2026-01-01T00:00:00.000Z,tenant.suspend,success,\"'=cmd\",tenant,acme,,\r\n"
        );
        assert_eq!(field(audit_events_to_csv("[{}]".into())), "events[0]");
    }
}
