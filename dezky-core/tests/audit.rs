//! Audit log queries (the MongoDB filter, the cursor) and the CSV export.

#![allow(clippy::expect_used)]

use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

use dezky_core::Error;
use dezky_core::audit::{
    AuditEvent, AuditFilter, AuditQuery, CSV_COLUMNS, CsvWriter, Outcome, parse_time,
};
use dezky_flags::Change;
use proptest::prelude::*;
use serde_json::{Value, json};

const TENANT: &str = "65f1c0ffee0000000000abcd";

fn field_of(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn query(filter: Value) -> Result<AuditQuery, Error> {
    let filter: AuditFilter = serde_json::from_value(filter).expect("a filter");
    AuditQuery::build(&filter, Some(TENANT))
}

#[test]
fn an_empty_filter_is_the_tenants_newest_events() {
    let q = query(json!({})).expect("a query");
    assert_eq!(q.filter, json!({"tenantId": TENANT}));
    assert_eq!(q.sort, json!({"at": -1, "_id": -1}));
    assert_eq!((q.page_size, q.limit), (50, 51));
    let all = AuditQuery::build(&AuditFilter::default(), None).expect("a query");
    assert_eq!(all.filter, json!({}));
}

#[test]
fn every_filter_becomes_a_clause() {
    let q = query(json!({
        "q": "acme.test (x)*",
        "action": ["tenant.suspend", "flag.*"],
        "outcome": "denied",
        "actorEmail": "Ann@Acme.test",
        "since": "2026-12-01",
        "before": "2026-12-03T10:00:00+02:00",
        "limit": 20,
    }))
    .expect("a query");
    let and = q.filter["$and"].as_array().expect("clauses");
    assert_eq!(and[0], json!({"tenantId": TENANT}));
    // Free text is a literal: every metacharacter escaped.
    let pattern = r"acme\.test\ \(x\)\*";
    assert_eq!(
        and[1]["$or"][0],
        json!({"action": {"$regex": pattern, "$options": "i"}})
    );
    assert_eq!(and[1]["$or"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        and[2],
        json!({"$or": [{"action": {"$regex": r"^flag\."}}, {"action": {"$in": ["tenant.suspend"]}}]})
    );
    assert_eq!(and[3], json!({"outcome": "denied"}));
    assert_eq!(
        and[4],
        json!({"actorEmail": {"$regex": r"^Ann@Acme\.test$", "$options": "i"}})
    );
    assert_eq!(
        and[5],
        json!({"at": {"$gte": "2026-12-01T00:00:00.000Z", "$lt": "2026-12-03T08:00:00.000Z"}})
    );
    assert_eq!((q.page_size, q.limit), (20, 21));
}

#[test]
fn bad_filters_name_their_field() {
    assert_eq!(field_of(query(json!({"outcome": "ok"}))), "outcome");
    assert_eq!(
        field_of(query(json!({"action": ["tenant.suspend", "Tenant"]}))),
        "action[1]"
    );
    assert_eq!(
        field_of(query(json!({"action": ["tenant..x"]}))),
        "action[0]"
    );
    assert_eq!(field_of(query(json!({"action": ["$where"]}))), "action[0]");
    assert_eq!(field_of(query(json!({"since": "yesterday"}))), "since");
    assert_eq!(field_of(query(json!({"before": "2026-13-01"}))), "before");
    assert_eq!(
        field_of(query(
            json!({"since": "2026-12-02", "before": "2026-12-01"})
        )),
        "before"
    );
    assert_eq!(field_of(query(json!({"limit": 0}))), "limit");
    assert_eq!(field_of(query(json!({"limit": 501}))), "limit");
    assert_eq!(field_of(query(json!({"q": "x".repeat(201)}))), "q");
    assert_eq!(field_of(query(json!({"actorEmail": " "}))), "actorEmail");
    assert_eq!(field_of(query(json!({"cursor": "not-a-cursor"}))), "cursor");
    assert_eq!(
        field_of(AuditQuery::build(&AuditFilter::default(), Some("acme"))),
        "tenantId"
    );
    // Unknown filter keys are refused when the filter is read.
    assert!(serde_json::from_value::<AuditFilter>(json!({"where": "1"})).is_err());
    let read = |v: Value| field_of(AuditFilter::from_value(&v));
    assert_eq!(read(json!({"where": "1"})), "where");
    assert_eq!(read(json!({"limit": "20"})), "limit");
    assert_eq!(read(json!({"limit": -1})), "limit");
    assert_eq!(read(json!({"q": 5})), "q");
    assert_eq!(read(json!({"action": ["a.b", 3]})), "action[1]");
    assert_eq!(read(json!({"action": {"x": 1}})), "action");
    assert_eq!(read(json!([])), "filter");
    let f = AuditFilter::from_value(&json!({"action": "tenant.suspend", "limit": 5, "q": null}))
        .expect("a filter");
    assert_eq!(f.action, ["tenant.suspend"]);
    assert_eq!((f.limit, f.q), (Some(5), None));
    // A page size of zero (a hand-made query) has no next page rather than a crash.
    let mut q = query(json!({})).expect("a query");
    q.page_size = 0;
    assert_eq!(q.next_cursor(&[json!({})]), Ok(None));
}

fn document(at: &str, id: &str) -> Value {
    json!({"_id": {"$oid": id}, "at": at, "action": "tenant.suspend"})
}

#[test]
fn the_cursor_pages_strictly_older_events() {
    let q = query(json!({"limit": 2})).expect("a query");
    let page = [
        document("2026-12-03T10:00:00.000Z", "65f1c0ffee0000000000000c"),
        document("2026-12-03T09:00:00.000Z", "65f1c0ffee0000000000000b"),
        document("2026-12-03T09:00:00.000Z", "65f1c0ffee0000000000000a"),
    ];
    // Two asked, three came back: another page follows, after the second.
    let cursor = q
        .next_cursor(&page)
        .expect("readable")
        .expect("a next page");
    assert_eq!(q.next_cursor(&page[..2]).expect("readable"), None);
    let next = query(json!({"limit": 2, "cursor": cursor})).expect("a query");
    assert_eq!(
        next.filter["$and"][1],
        json!({"$or": [
            {"at": {"$lt": "2026-12-03T09:00:00.000Z"}},
            {"at": "2026-12-03T09:00:00.000Z", "_id": {"$lt": {"$oid": "65f1c0ffee0000000000000b"}}},
        ]})
    );
    // A document the driver returned without an ObjectId cannot make a cursor.
    let broken = [
        page[0].clone(),
        json!({"at": "2026-12-03T09:00:00.000Z"}),
        page[2].clone(),
    ];
    assert_eq!(field_of(q.next_cursor(&broken)), "documents[1]._id");
}

/// Applies the filter the query would run to an in-memory "collection", the
/// way MongoDB does for the operators the query uses on these fields.
fn older_than(doc: &Value, cursor_clause: &Value) -> bool {
    let or = cursor_clause["$or"].as_array().expect("or");
    let at = doc["at"].as_str().unwrap_or_default();
    let id = doc["_id"]["$oid"].as_str().unwrap_or_default();
    let lt_at = or[0]["at"]["$lt"].as_str().unwrap_or_default();
    let eq_at = or[1]["at"].as_str().unwrap_or_default();
    let lt_id = or[1]["_id"]["$lt"]["$oid"].as_str().unwrap_or_default();
    at < lt_at || (at == eq_at && id < lt_id)
}

proptest! {
    /// Paging through a collection that grows between pages (new events are
    /// newer) shows every original event exactly once, in order.
    #[test]
    fn paging_is_stable_under_inserts(
        times in proptest::collection::vec(0u32..50, 1..60),
        page in 1u32..7,
        inserts in 0usize..5,
    ) {
        let doc = |i: usize, t: u32| {
            let at = humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + u64::from(t))).to_string();
            document(&at, &format!("{:024x}", i + 1))
        };
        let mut collection: Vec<Value> = times.iter().enumerate().map(|(i, t)| doc(i, *t)).collect();
        let originals = collection.clone();
        let sorted = |c: &[Value]| {
            let mut c = c.to_vec();
            c.sort_by(|a, b| (b["at"].as_str(), b["_id"]["$oid"].as_str()).cmp(&(a["at"].as_str(), a["_id"]["$oid"].as_str())));
            c
        };
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        for round in 0..200 {
            let q = query(json!({"limit": page, "cursor": cursor})).expect("a query");
            let rows: Vec<Value> = sorted(&collection)
                .into_iter()
                .filter(|d| cursor.is_none() || older_than(d, &q.filter["$and"][1]))
                .take(q.limit as usize)
                .collect();
            seen.extend(rows.iter().take(page as usize).cloned());
            cursor = q.next_cursor(&rows).expect("readable");
            // Newer events arrive between pages.
            for k in 0..inserts {
                collection.push(doc(10_000 + round * 10 + k, 100 + round as u32));
            }
            if cursor.is_none() {
                break;
            }
        }
        let seen_originals: Vec<&Value> = seen.iter().filter(|d| originals.contains(d)).collect();
        let expected = sorted(&originals);
        prop_assert_eq!(seen_originals.len(), expected.len());
        for (a, b) in seen_originals.iter().zip(&expected) {
            prop_assert_eq!(*a, b);
        }
    }

    /// Whatever text is searched, the pattern matches exactly that text (no
    /// metacharacter survives unescaped), checked with an independent engine.
    #[test]
    fn search_text_is_a_literal(q in "[ -~]{1,30}") {
        // Blank text is no filter at all.
        prop_assume!(!q.trim().is_empty());
        let built = query(json!({"q": q.clone()})).expect("a query");
        let pattern = built.filter["$and"][1]["$or"][0]["action"]["$regex"].as_str().expect("pattern").to_owned();
        let re = regex_lite::Regex::new(&format!("^{pattern}$")).expect("a valid pattern");
        prop_assert!(re.is_match(q.trim()));
    }
}

#[test]
fn times_in_their_forms() {
    let t = |s: &str| parse_time("t", s).map(|t| humantime::format_rfc3339_millis(t).to_string());
    assert_eq!(t("2026-12-03").as_deref(), Ok("2026-12-03T00:00:00.000Z"));
    assert_eq!(
        t("2026-12-03T10:00:00Z").as_deref(),
        Ok("2026-12-03T10:00:00.000Z")
    );
    assert_eq!(
        t("2026-12-03T10:00:00.250Z").as_deref(),
        Ok("2026-12-03T10:00:00.250Z")
    );
    assert_eq!(
        t("2026-12-03T10:00:00-05:30").as_deref(),
        Ok("2026-12-03T15:30:00.000Z")
    );
    assert_eq!(
        t("2026-12-03T01:00:00+02:00").as_deref(),
        Ok("2026-12-02T23:00:00.000Z")
    );
    for bad in [
        "",
        "2026-12-3",
        "2026-12-03T10:00",
        "2026-12-03T10:00:00+2",
        "1969-12-31T23:00:00Z",
        "x",
    ] {
        assert!(t(bad).is_err(), "{bad:?}");
    }
}

fn event(action: &str, actor: &str, metadata: Value) -> AuditEvent {
    let change =
        Change::new(actor, UNIX_EPOCH + Duration::from_secs(1_800_000_000)).expect("change");
    let mut e =
        AuditEvent::new(action, Outcome::Success, &change, "tenant", "acme").for_tenant(TENANT);
    if let Value::Object(map) = metadata {
        e.metadata = map;
    }
    e
}

#[test]
fn csv_round_trips_and_neutralises_formulas() {
    let events = [
        event(
            "tenant.suspend",
            "ann@acme.test",
            json!({"reason": "unpaid, \"final\"\nnotice"}),
        ),
        event("tenant.resume", "=HYPERLINK(\"http://x\")", json!({})),
        event("member.create", "+1@acme.test", json!({"note": "-2"})),
        event("member.delete", "@sum", json!({})),
    ];
    let mut writer = CsvWriter::new(Vec::new()).expect("header");
    for e in &events {
        writer.write(e).expect("row");
    }
    assert_eq!(writer.rows(), 4);
    let bytes = writer.finish().expect("flushed");
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(
        text.starts_with("at,action,outcome,actorEmail,targetType,targetId,tenantId,metadata\r\n")
    );
    let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[..]);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][1], "tenant.suspend");
    assert_eq!(&rows[0][6], TENANT);
    let metadata: Value = serde_json::from_str(&rows[0][7]).expect("metadata JSON");
    assert_eq!(metadata["reason"], "unpaid, \"final\"\nnotice");
    // Formula-like cells open as text.
    assert_eq!(&rows[1][3], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[2][3], "'+1@acme.test");
    assert_eq!(&rows[3][3], "'@sum");
    assert_eq!(&rows[1][7], "");
}

/// Counts bytes without keeping them.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn csv_streams_without_keeping_rows() {
    // 200,000 events through an output that keeps nothing: rows go out as
    // they are written (benches/audit_csv.rs measures the memory).
    let e = event("tenant.suspend", "ann@acme.test", json!({"from": "active"}));
    let mut writer = CsvWriter::new(Counter(0)).expect("header");
    for _ in 0..200_000 {
        writer.write(&e).expect("row");
    }
    assert_eq!(writer.rows(), 200_000);
    let out = writer.finish().expect("flushed");
    assert!(out.0 > 200_000 * 50);
}
