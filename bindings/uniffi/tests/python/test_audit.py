"""Audit log queries and the CSV export through the UniFFI Python output: the
portal's filters as a MongoDB query, paging by cursor, the log's time form,
events as CSV (docs/audit.md). Mirrors audit() in tests/kotlin/Main.kt."""

import datetime
import json

import pytest

from dezky_ffi.dezky_uniffi import AuditQuery, DezkyError, audit_csv_columns, audit_events_to_csv, parse_audit_time

TENANT = "6650f1c2a9b4e3d2c1b0a998"
UTC = datetime.timezone.utc


def event(i, **fields):
    return {"_id": {"$oid": f"{i:024x}"}, "action": "tenant.suspend", "outcome": "success", "actorEmail": "ops@dezky.eu",
            "at": f"2026-01-01T00:00:{59 - i:02d}.000Z", "targetType": "tenant", "targetId": "acme", **fields}


def test_filters_become_one_query_newest_first():
    query = AuditQuery.build(json.dumps({"q": "a.b", "action": ["tenant.*", "flag.create"], "outcome": "denied",
                                         "actorEmail": "Ops@Dezky.eu", "since": "2026-01-01", "before": "2026-02-01T00:00:00+01:00",
                                         "limit": 20}), TENANT)
    assert (query.page_size(), query.limit()) == (20, 21)
    assert json.loads(query.sort_json()) == {"at": -1, "_id": -1}
    parts = json.loads(query.filter_json())["$and"]
    assert parts[0] == {"tenantId": TENANT}
    assert parts[1]["$or"][0] == {"action": {"$regex": "a\\.b", "$options": "i"}}
    assert parts[2] == {"$or": [{"action": {"$regex": "^tenant\\."}}, {"action": {"$in": ["flag.create"]}}]}
    assert parts[3] == {"outcome": "denied"}
    assert parts[4] == {"actorEmail": {"$regex": "^Ops@Dezky\\.eu$", "$options": "i"}}
    assert parts[5] == {"at": {"$gte": "2026-01-01T00:00:00.000Z", "$lt": "2026-01-31T23:00:00.000Z"}}


def test_an_empty_filter_is_the_whole_log():
    query = AuditQuery.build("{}", None)
    assert json.loads(query.filter_json()) == {}
    assert (query.page_size(), query.limit()) == (50, 51)


def test_pages_follow_by_cursor():
    query = AuditQuery.build('{"limit": 2}', TENANT)
    page = [event(1), event(2), event(3)]
    cursor = query.next_cursor(json.dumps(page))
    assert cursor
    assert query.next_cursor(json.dumps(page[:2])) is None
    following = AuditQuery.build(json.dumps({"limit": 2, "cursor": cursor}), TENANT)
    bound = json.loads(following.filter_json())["$and"][1]
    assert bound == {"$or": [{"at": {"$lt": page[1]["at"]}},
                             {"at": page[1]["at"], "_id": {"$lt": {"$oid": page[1]["_id"]["$oid"]}}}]}


def test_times_are_read_with_offsets_and_dates():
    assert parse_audit_time("since", "2026-12-03") == datetime.datetime(2026, 12, 3, tzinfo=UTC)
    assert parse_audit_time("since", "2026-12-03T14:00:00.250+02:00") == datetime.datetime(2026, 12, 3, 12, 0, 0, 250000, tzinfo=UTC)


def test_events_export_as_csv():
    rows = [event(1, tenantId=TENANT, metadata={"from": "active", "to": "suspended"}),
            event(2, actorEmail="=HYPERLINK(\"x\")", targetId="a,b")]
    csv = audit_events_to_csv(json.dumps(rows))
    lines = csv.split("\r\n")
    assert lines[0] == ",".join(audit_csv_columns())
    assert audit_csv_columns() == ["at", "action", "outcome", "actorEmail", "targetType", "targetId", "tenantId", "metadata"]
    assert lines[1] == f'2026-01-01T00:00:58.000Z,tenant.suspend,success,ops@dezky.eu,tenant,acme,{TENANT},"{{""from"":""active"",""to"":""suspended""}}"'
    assert lines[2] == '2026-01-01T00:00:57.000Z,tenant.suspend,success,"\'=HYPERLINK(""x"")",tenant,"a,b",,'
    assert lines[3:] == [""]
    assert audit_events_to_csv("[]") == ",".join(audit_csv_columns()) + "\r\n"


INVALID = [
    ("limit", lambda: AuditQuery.build('{"limit": 0}', None)),
    ("limit", lambda: AuditQuery.build('{"limit": "ten"}', None)),
    ("where", lambda: AuditQuery.build('{"where": {"$where": "1"}}', None)),
    ("action", lambda: AuditQuery.build('{"action": 5}', None)),
    ("action[1]", lambda: AuditQuery.build('{"action": ["tenant.*", "$where"]}', None)),
    ("outcome", lambda: AuditQuery.build('{"outcome": "ok"}', None)),
    ("since", lambda: AuditQuery.build('{"since": "yesterday"}', None)),
    ("before", lambda: AuditQuery.build('{"since": "2026-02-01", "before": "2026-01-01"}', None)),
    ("cursor", lambda: AuditQuery.build('{"cursor": "bm90IGEgY3Vyc29y"}', None)),
    ("tenantId", lambda: AuditQuery.build("{}", "acme")),
    ("filter", lambda: AuditQuery.build("[]", None)),
    ("documents[0]._id", lambda: AuditQuery.build('{"limit": 1}', None).next_cursor(json.dumps([{**event(1), "_id": 7}, event(2)]))),
    ("documents[0].at", lambda: AuditQuery.build('{"limit": 1}', None).next_cursor(json.dumps([{**event(1), "at": "soon"}, event(2)]))),
    ("documents", lambda: AuditQuery.build("{}", None).next_cursor("{}")),
    ("until", lambda: parse_audit_time("until", "1969-12-31")),
    ("events[1]", lambda: audit_events_to_csv(json.dumps([event(1), {"action": "x"}]))),
    ("events[0]", lambda: audit_events_to_csv(json.dumps([{**event(1), "outcome": "maybe"}]))),
    ("events", lambda: audit_events_to_csv("{}")),
]


@pytest.mark.parametrize(("field", "call"), INVALID, ids=[f"{i}-{f}" for i, (f, _) in enumerate(INVALID)])
def test_bad_input_is_invalid_naming_the_field(field, call):
    with pytest.raises(DezkyError.Invalid) as info:
        call()
    error = info.value
    assert error.code() == "DEZKY_INVALID_ARGUMENT"
    assert error.field == field
    assert error.reason and error.reason in str(error)


def test_text_that_is_not_json_is_malformed():
    for call in (lambda: AuditQuery.build("{", None),
                 lambda: AuditQuery.build("{}", None).next_cursor("["),
                 lambda: audit_events_to_csv("")):
        with pytest.raises(DezkyError.MalformedJson) as info:
            call()
        assert info.value.code() == "DEZKY_MALFORMED_JSON"
