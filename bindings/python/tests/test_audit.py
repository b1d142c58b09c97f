"""The audit log (the core's rules, with property tests of the search escape
and of paging, are in ``dezky-core/src/audit``; these check what crosses into
Python: filters in, queries, cursors, times and field-named errors out, and
the CSV export streaming to a Python file)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dezky.audit import (
    CSV_COLUMNS,
    AuditQuery,
    parse_audit_filter,
    parse_audit_time,
    write_audit_csv,
)
from dezky.errors import ArgumentTypeError, InvalidArgumentError

TENANT = "6650f1c2a9b4e3d2c1b0a998"


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def test_a_query_of_the_portals_filters() -> None:
    query = AuditQuery.build(
        {"q": "a.b", "action": ["tenant.*"], "outcome": "denied", "since": "2026-12-01", "limit": 20},
        TENANT,
    )
    assert (query.limit, query.page_size) == (21, 20)
    assert query.sort == {"at": -1, "_id": -1}
    clauses = query.filter["$and"]
    assert clauses[0] == {"tenantId": TENANT}
    assert {"outcome": "denied"} in clauses
    assert {"at": {"$gte": "2026-12-01T00:00:00.000Z"}} in clauses
    # The search text is a literal: its dot escaped.
    assert clauses[1]["$or"][0]["action"]["$regex"] == "a\\.b"
    assert query.to_value() == {"filter": query.filter, "sort": query.sort, "limit": 21, "pageSize": 20}
    everything = AuditQuery.build()
    assert (everything.filter, everything.page_size) == ({}, 50)
    assert AuditQuery.build({"action": "tenant.suspend"}) == AuditQuery.build({"action": ["tenant.suspend"]})


def test_paging_with_the_cursor() -> None:
    query = AuditQuery.build({"limit": 2})
    page: list[dict[str, Any]] = [
        {"_id": "6650f1c2a9b4e3d2c1b0a003", "at": "2026-12-03T10:00:00.000Z"},
        {"_id": "6650f1c2a9b4e3d2c1b0a002", "at": "2026-12-03T09:00:00.000Z"},
        {"_id": {"$oid": "6650f1c2a9b4e3d2c1b0a001"}, "at": "2026-12-03T08:00:00.000Z"},
    ]
    assert query.next_cursor(page[:2]) is None
    cursor = query.next_cursor(page)
    assert isinstance(cursor, str)
    after = AuditQuery.build({"limit": 2, "cursor": cursor})
    assert after.filter["$or"] == [
        {"at": {"$lt": "2026-12-03T09:00:00.000Z"}},
        {"at": "2026-12-03T09:00:00.000Z", "_id": {"$lt": {"$oid": "6650f1c2a9b4e3d2c1b0a002"}}},
    ]


def test_the_filter_as_read_and_times() -> None:
    assert parse_audit_filter({"action": "tenant.suspend", "limit": 5}) == {
        "q": None,
        "action": ["tenant.suspend"],
        "outcome": None,
        "actorEmail": None,
        "since": None,
        "before": None,
        "limit": 5,
        "cursor": None,
    }
    utc = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    assert parse_audit_time("2026-12-03T14:00:00+02:00") == utc
    assert parse_audit_time("2026-12-03T12:00:00.000Z") == utc
    assert parse_audit_time("2026-12-03") == utc - timedelta(hours=12)
    assert parse_audit_time("2026-12-03").tzinfo is not None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: AuditQuery.build({"limit": 0}), "limit"),
        (lambda: AuditQuery.build({"limit": "ten"}), "limit"),
        (lambda: AuditQuery.build({"action": ["tenant.suspend", "$where"]}), "action[1]"),
        (lambda: AuditQuery.build({"action": ["tenant.suspend", 3]}), "action[1]"),
        (lambda: AuditQuery.build({"since": "yesterday"}), "since"),
        (lambda: AuditQuery.build({"since": "2026-12-02", "before": "2026-12-01"}), "before"),
        (lambda: AuditQuery.build({"cursor": "not-a-cursor"}), "cursor"),
        (lambda: AuditQuery.build({"outcome": "maybe"}), "outcome"),
        (lambda: AuditQuery.build({"sort": "at"}), "sort"),
        (lambda: AuditQuery.build({}, "acme"), "tenantId"),
        (lambda: AuditQuery.build({"limit": 1}).next_cursor([{"at": "x", "_id": TENANT}] * 2), "documents[0].at"),
        (
            lambda: AuditQuery.build({"limit": 1}).next_cursor([{"at": "2026-12-03", "_id": "x"}] * 2),
            "documents[0]._id",
        ),
        (lambda: parse_audit_time("12/03/2026", "since"), "since"),
        (lambda: write_audit_csv([{"action": "x"}], io.StringIO()), "events[0]"),
    ],
)
def test_bad_values_name_the_field(call: Any, field: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        call()
    assert raised.value.code == "DEZKY_INVALID_ARGUMENT"
    assert raised.value.field == field
    assert not isinstance(raised.value, ArgumentTypeError)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: AuditQuery.build(wrong(["tenant.*"])), "filter"),
        (lambda: AuditQuery.build({}, wrong(42)), "tenant_id"),
        (lambda: AuditQuery.build().next_cursor(wrong({"at": "x"})), "documents"),
        (lambda: AuditQuery.build().next_cursor(wrong(["x"])), "documents[0]"),
        (lambda: parse_audit_filter(wrong("q=x")), "filter"),
        (lambda: write_audit_csv([], wrong("out.csv")), "out"),
        (lambda: write_audit_csv(wrong(42), io.StringIO()), "events"),
        (lambda: write_audit_csv(wrong(["tenant.suspend"]), io.StringIO()), "events[0]"),
    ],
)
def test_wrong_types_are_argument_type_errors(call: Any, name: str) -> None:
    with pytest.raises(ArgumentTypeError) as raised:
        call()
    assert raised.value.argument == name


def event(i: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "action": "tenant.suspend",
        "outcome": "success",
        "actorEmail": "ops@dezky.example",
        "at": f"2026-12-03T10:{i // 60 % 60:02}:{i % 60:02}.000Z",
        "targetType": "tenant",
        "targetId": f"tenant-{i}",
    }
    return {**base, **fields}


TRICKY: list[dict[str, Any]] = [
    event(0, tenantId=TENANT, metadata={"from": "active", "to": "suspended"}),
    event(1, targetId='Acme, "the" co\r\nline two'),
    event(2, actorEmail="=HYPERLINK(\"http://evil.test\")", targetId="+1", targetType="@x"),
    event(3, targetId="-2", action="tenant.ændring", metadata={"note": "æøå ✓ 🎉"}),
    event(4, outcome="denied"),
]


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_round_trip_through_pythons_csv_module() -> None:
    out = io.StringIO(newline="")
    assert write_audit_csv(iter(TRICKY), out) == len(TRICKY)
    text = out.getvalue()
    assert text.endswith("\r\n")
    table = rows(text)
    assert tuple(table[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row)) for row in table[1:]]
    assert len(records) == len(TRICKY)
    assert records[0]["tenantId"] == TENANT
    assert json.loads(records[0]["metadata"]) == {"from": "active", "to": "suspended"}
    assert records[1]["targetId"] == 'Acme, "the" co\r\nline two'
    assert records[1]["metadata"] == "" and records[1]["tenantId"] == ""
    # Formula-like cells open as text.
    assert records[2]["actorEmail"] == "'=HYPERLINK(\"http://evil.test\")"
    assert (records[2]["targetId"], records[2]["targetType"]) == ("'+1", "'@x")
    assert records[3]["targetId"] == "'-2"
    assert records[3]["action"] == "tenant.ændring"
    assert json.loads(records[3]["metadata"]) == {"note": "æøå ✓ 🎉"}
    assert records[4]["outcome"] == "denied"
    # A binary file gets the same UTF-8 bytes.
    binary = io.BytesIO()
    assert write_audit_csv(TRICKY, binary) == len(TRICKY)
    assert binary.getvalue() == text.encode("utf-8")
    # No events: the header alone.
    empty = io.StringIO()
    assert write_audit_csv([], empty) == 0
    assert rows(empty.getvalue()) == [list(CSV_COLUMNS)]


def test_a_bad_event_stops_the_export_after_the_rows_before_it() -> None:
    out = io.StringIO(newline="")
    with pytest.raises(InvalidArgumentError) as raised:
        write_audit_csv([event(0), event(1), {**event(2), "outcome": "maybe"}], out)
    assert raised.value.field == "events[2]"
    assert "outcome" in raised.value.reason or "maybe" in raised.value.reason
    assert [r[5] for r in rows(out.getvalue())[1:]] == ["tenant-0", "tenant-1"]


def test_the_files_own_error_is_raised_as_it_is() -> None:
    class Full(io.StringIO):
        def write(self, s: str) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_audit_csv((event(i) for i in range(10_000)), Full())

    def failing() -> Iterator[dict[str, Any]]:
        yield event(0)
        raise RuntimeError("cursor lost")

    out = io.StringIO()
    with pytest.raises(RuntimeError, match="cursor lost"):
        write_audit_csv(failing(), out)
    assert len(rows(out.getvalue())) == 2


class Counting:
    """A file that counts the chunks it is handed."""

    def __init__(self) -> None:
        self.writes = 0
        self.largest = 0
        self.size = 0
        self.tail = ""

    def write(self, chunk: str) -> int:
        self.writes += 1
        self.largest = max(self.largest, len(chunk))
        self.size += len(chunk)
        self.tail = chunk[-200:]
        return len(chunk)


def test_output_is_handed_over_in_chunks_as_events_come() -> None:
    out = Counting()
    count = 20_000
    assert write_audit_csv((event(i) for i in range(count)), out) == count
    assert out.writes > 10  # not one write at the end
    assert out.largest < 80 * 1024
    assert out.tail.endswith(f"tenant-{count - 1},,\r\n")


# A million events to a file in a fresh interpreter: its peak memory (ru_maxrss)
# grows by a few MiB, while the file is ~150 MB.
MILLION = textwrap.dedent(
    """
    import json, resource, sys
    from dezky.audit import write_audit_csv

    def events(n):
        for i in range(n):
            yield {"action": "tenant.suspend", "outcome": "success", "actorEmail": "ops@dezky.example",
                   "at": "2026-12-03T10:00:00.000Z", "targetType": "tenant", "targetId": f"tenant-{i:07}",
                   "tenantId": "6650f1c2a9b4e3d2c1b0a998", "metadata": {"from": "active", "to": "suspended"}}

    write_audit_csv(events(1000), open(sys.argv[1], "w", newline=""))  # warm up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(sys.argv[1], "w", newline="", encoding="utf-8") as out:
        rows = write_audit_csv(events(int(sys.argv[2])), out)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "grown_kib": after - before}))
    """
)


def test_a_million_events_export_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    count = 1_000_000
    done = subprocess.run(
        [sys.executable, "-c", MILLION, str(path), str(count)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["rows"] == count
    size = path.stat().st_size
    assert size > 100_000_000
    # Linux reports KiB: well under a tenth of the file.
    assert result["grown_kib"] < 16 * 1024, result
    with path.open(newline="", encoding="utf-8") as written:
        reader = csv.reader(written)
        assert tuple(next(reader)) == CSV_COLUMNS
        first = next(reader)
        assert first[5] == "tenant-0000000"
        last = first
        for last in reader:
            pass
        assert last[5] == f"tenant-{count - 1:07}"
