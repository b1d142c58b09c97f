//! The audit log (`dezky_core::audit`, docs/audit.md): the portal's filters
//! as a MongoDB query with its paging cursor (`AuditQuery`), the log's time
//! form (`parseAuditTime`), and the native half of the streaming CSV export
//! (`AuditCsvEncoder`, driven by `auditCsv` in `lib/index.cjs`). Conversion
//! only: every rule (escaping, formula cells, the cursor) is in the core.
//!
//! Filters and events arrive as plain objects (driver `ObjectId`s as their
//! hex strings, `Date`s as RFC 3339); errors name the field (`since`,
//! `action[1]`, `documents[49]._id`, `events[3]`).

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use dezky_core::Error;
use dezky_core::audit::{self, AuditEvent, AuditFilter, CsvWriter};
use napi::Env;
use napi::bindgen_prelude::{FromNapiValue, Function, JsObjectValue, JsValue, Object, Unknown};
use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;

use crate::convert::Serde;
use crate::error::IntoJs;
use crate::policy::millis;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A query of the audit log, ready for the driver:
/// `collection.find(query.filter).sort(query.sort).limit(query.limit)`.
#[napi]
pub struct AuditQuery {
    inner: audit::AuditQuery,
}

/// The query's plain form (`toJSON`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryForm<'a> {
    filter: &'a Value,
    sort: &'a Value,
    limit: u32,
    page_size: u32,
}

#[napi]
impl AuditQuery {
    /// The query of the portal's filters (`{q, action, outcome, actorEmail,
    /// since, before, limit, cursor}`, every field optional), within the
    /// tenant `tenantId`'s events (an ObjectId) or, without one, across all.
    /// Errors name the filter's field (`since`, `action[1]`, `cursor`,
    /// `tenantId`); an unknown field or a wrong type names that field.
    #[napi(
        factory,
        ts_args_type = "filter?: AuditFilter | null, tenantId?: string | null"
    )]
    pub fn build(
        env: Env,
        filter: Option<Unknown<'_>>,
        tenant_id: Option<String>,
    ) -> napi::Result<AuditQuery> {
        (|| {
            let filter = match filter {
                None => AuditFilter::default(),
                Some(value) => match crate::auth::json(&value, "filter")? {
                    Value::Null => AuditFilter::default(),
                    value => AuditFilter::from_value(&value)?,
                },
            };
            audit::AuditQuery::build(&filter, tenant_id.as_deref())
        })()
        .map(|inner| AuditQuery { inner })
        .js(&env)
    }

    /// The filter document, MongoDB Extended JSON: a cursor's `_id` bound is
    /// `{$oid: hex}` (`EJSON.deserialize(query.filter)` of the driver's
    /// `bson` makes it an `ObjectId`).
    #[napi(getter, ts_return_type = "Record<string, unknown>")]
    pub fn filter(&self) -> Serde<Value> {
        Serde(self.inner.filter.clone())
    }

    /// Newest first: `{at: -1, _id: -1}`.
    #[napi(getter, ts_return_type = "{ at: -1; _id: -1 }")]
    pub fn sort(&self) -> Serde<Value> {
        Serde(self.inner.sort.clone())
    }

    /// How many documents to ask for: the page size plus one.
    #[napi(getter)]
    pub fn limit(&self) -> u32 {
        self.inner.limit
    }

    /// The page size.
    #[napi(getter)]
    pub fn page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// `{filter, sort, limit, pageSize}`.
    #[napi(
        js_name = "toJSON",
        ts_return_type = "{ filter: Record<string, unknown>; sort: { at: -1; _id: -1 }; limit: number; pageSize: number }"
    )]
    pub fn to_json(&self) -> Serde<Value> {
        let q = &self.inner;
        let form = QueryForm {
            filter: &q.filter,
            sort: &q.sort,
            limit: q.limit,
            page_size: q.page_size,
        };
        Serde(serde_json::to_value(form).unwrap_or(Value::Null))
    }

    /// The cursor of the page after `documents` (what the query returned,
    /// `_id` an `ObjectId`, a hex string or `{$oid}`), or `null` when no page
    /// follows. Only the page's last document is read; errors name its field
    /// (`documents[49]._id`).
    #[napi(ts_args_type = "documents: Array<{ at: string | Date; _id: ObjectIdLike }>")]
    pub fn next_cursor(&self, env: Env, documents: Unknown<'_>) -> napi::Result<Option<String>> {
        (|| {
            let Value::Array(documents) = crate::auth::json(&documents, "documents")? else {
                return Err(invalid("documents", "must be an array of documents"));
            };
            self.inner.next_cursor(&documents)
        })()
        .js(&env)
    }
}

/// Reads a time as the audit filters take it: RFC 3339 with `Z` or an offset,
/// or a date (`2026-12-03`, its start in UTC), years 1970 to 9999; in
/// milliseconds since the epoch. Errors are `DEZKY_INVALID_ARGUMENT` naming
/// `field` (default `time`).
#[napi]
pub fn parse_audit_time(env: Env, text: String, field: Option<String>) -> napi::Result<f64> {
    audit::parse_time(field.as_deref().unwrap_or("time"), &text)
        .map(millis)
        .js(&env)
}

/// The CSV export's columns, in order (its header row).
#[napi]
pub fn audit_csv_columns() -> Vec<String> {
    audit::CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect()
}

/// The fields of an audit event, in the control plane's names.
const EVENT_FIELDS: [&str; 8] = [
    "at",
    "action",
    "outcome",
    "actorEmail",
    "targetType",
    "targetId",
    "tenantId",
    "metadata",
];

/// JavaScript's own `JSON.stringify`.
type Stringify<'e> = Function<'e, Unknown<'e>, Unknown<'e>>;

/// Whether `value` is an object that is neither an array nor a `Date`.
fn plain_object(value: &Unknown<'_>) -> bool {
    matches!(value.get_type(), Ok(napi::ValueType::Object))
        && !value.is_array().unwrap_or(false)
        && !value.is_date().unwrap_or(false)
}

/// An event's `metadata` as JSON. A plain object is written by V8's
/// `JSON.stringify` and read back (several times faster than reading its
/// properties one by one; `ObjectId`s and `Date`s write their `toJSON()`, the
/// hex and ISO text); anything else is converted as it is, so that serde
/// names what it got.
fn metadata_json(
    value: &Unknown<'_>,
    field: &str,
    stringify: &Stringify<'_>,
) -> Result<Value, Error> {
    if !plain_object(value) {
        return crate::auth::json(value, field);
    }
    let text = stringify
        .call(*value)
        .and_then(String::from_unknown)
        .map_err(|e| invalid(field, format!("is not JSON-compatible: {}", e.reason)))?;
    serde_json::from_str(&text).map_err(|e| invalid(field, e.to_string()))
}

/// An event document as JSON for the core's serde form: only the event's
/// fields are read, by name (a driver document's `_id` and other fields are
/// not converted); anything but a plain object is converted whole, so that
/// serde names what it got.
fn event_json(item: &Unknown<'_>, field: &str, stringify: &Stringify<'_>) -> Result<Value, Error> {
    if !plain_object(item) {
        return crate::auth::json(item, field);
    }
    let object = Object::from_unknown(*item).map_err(|e| invalid(field, e.reason))?;
    let mut map = serde_json::Map::new();
    for name in EVENT_FIELDS {
        let value: Unknown<'_> = object
            .get_named_property(name)
            .map_err(|e| invalid(format!("{field}.{name}"), e.reason))?;
        if !matches!(value.get_type(), Ok(napi::ValueType::Undefined)) {
            let path = format!("{field}.{name}");
            let json = if name == "metadata" {
                metadata_json(&value, &path, stringify)?
            } else {
                crate::auth::json(&value, &path)?
            };
            map.insert(name.to_owned(), json);
        }
    }
    Ok(Value::Object(map))
}

/// The output the core's writer fills, drained after every batch.
#[derive(Clone, Default)]
struct Pending(Rc<RefCell<Vec<u8>>>);

impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The native half of `auditCsv` (lib/index.cjs): the core's CSV writer,
/// fed a batch of events at a time, holding nothing but the text of the
/// batch being written. Use `auditCsv` or `auditCsvStream`.
#[napi]
pub struct AuditCsvEncoder {
    writer: CsvWriter<Pending>,
    pending: Pending,
}

#[napi]
impl AuditCsvEncoder {
    /// An encoder whose first text is the header row.
    #[napi(constructor)]
    pub fn new(env: Env) -> napi::Result<AuditCsvEncoder> {
        let pending = Pending::default();
        let writer = CsvWriter::new(pending.clone())
            .map_err(|e| invalid("events", e.to_string()))
            .js(&env)?;
        Ok(AuditCsvEncoder { writer, pending })
    }

    /// The CSV text of `events` (their rows, after the header row if it was
    /// not returned yet). An event that is not one is refused naming its
    /// place in the whole export (`events[3]`) with serde's reason.
    #[napi(ts_args_type = "events: AuditEvent[]")]
    pub fn encode(&mut self, env: Env, events: Object<'_>) -> napi::Result<String> {
        let result = (|| {
            let stringify: Stringify<'_> = env
                .get_global()
                .and_then(|global| global.get_named_property::<Object<'_>>("JSON"))
                .and_then(|json| json.get_named_property("stringify"))
                .map_err(|e| {
                    invalid(
                        "events",
                        format!("JSON.stringify is not available: {}", e.reason),
                    )
                })?;
            let count = events
                .get_array_length()
                .map_err(|_| invalid("events", "must be an array"))?;
            for i in 0..count {
                let field = format!("events[{}]", self.writer.rows());
                let item: Unknown<'_> = events
                    .get_element(i)
                    .map_err(|e| invalid(&field, e.reason))?;
                let event: AuditEvent =
                    serde_json::from_value(event_json(&item, &field, &stringify)?)
                        .map_err(|e| invalid(&field, e.to_string()))?;
                self.writer
                    .write(&event)
                    .map_err(|e| invalid(&field, e.to_string()))?;
            }
            let bytes = std::mem::take(&mut *self.pending.0.borrow_mut());
            // The writer writes the events' own strings and ASCII: always UTF-8.
            String::from_utf8(bytes).map_err(|e| invalid("events", e.to_string()))
        })();
        if result.is_err() {
            // Rows of a refused batch are not handed out later.
            self.pending.0.borrow_mut().clear();
        }
        result.js(&env)
    }

    /// The event rows written so far (the header not counted).
    #[napi(getter)]
    pub fn rows(&self) -> f64 {
        self.writer.rows() as f64
    }
}
