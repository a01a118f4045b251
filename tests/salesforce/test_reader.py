"""Incremental reads: the SOQL sent, same-second ties, overlap dedupe and the cursor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.salesforce.reader import Cursor, Stream, parse_modstamp, read_changes

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
SIGNPOST = T0 + timedelta(minutes=5)


class FakeClient:
    """Answers queries from a fixed record list, filtering by the SOQL's window like SF would."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.soql: list[str] = []

    def query(self, soql: str, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        self.soql.append(soql)
        since = None
        if "SystemModstamp >= " in soql:
            literal = soql.split("SystemModstamp >= ")[1].split(" ", maxsplit=1)[0]
            since = datetime.fromisoformat(literal)
        for record in sorted(self.records, key=lambda r: (r["SystemModstamp"], r["Id"])):
            if since is None or parse_modstamp(record["SystemModstamp"]) >= since:
                yield record


def _rec(record_id: str, second: int) -> dict[str, Any]:
    stamp = (T0 + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {"Id": record_id, "SystemModstamp": stamp}


STREAM = Stream("Opportunity", ("Name", "Account.CSM__c", "Id"))


def test_the_running_second_is_left_for_the_next_read() -> None:
    client = FakeClient([])
    read_changes(client, STREAM, Cursor(), SIGNPOST + timedelta(microseconds=400_000))  # type: ignore[arg-type]
    assert "WHERE SystemModstamp < 2026-11-22T10:05:00+00:00 " in client.soql[0]


def test_first_read_takes_everything_before_the_signpost_in_order() -> None:
    client = FakeClient([_rec("006B", 1), _rec("006A", 1)])
    batch = read_changes(client, STREAM, Cursor(), SIGNPOST)  # type: ignore[arg-type]
    assert [r["Id"] for r in batch.records] == ["006A", "006B"]
    assert client.soql == [
        "SELECT Id, SystemModstamp, Name, Account.CSM__c FROM Opportunity "
        "WHERE SystemModstamp < 2026-11-22T10:05:00+00:00 ORDER BY SystemModstamp, Id"
    ]
    assert batch.cursor.modstamp == T0 + timedelta(seconds=1)


def test_same_second_tie_arriving_later_is_read_and_seen_ones_are_not_repeated() -> None:
    client = FakeClient([_rec("006A", 1)])
    first = read_changes(client, STREAM, Cursor(), SIGNPOST)  # type: ignore[arg-type]
    client.records.append(_rec("006B", 1))  # committed in the same second, seen only now
    second = read_changes(client, STREAM, first.cursor, SIGNPOST)  # type: ignore[arg-type]
    assert [r["Id"] for r in second.records] == ["006B"]
    assert "SystemModstamp >= 2026-11-22T09:59:56+00:00" in client.soql[-1]


def test_a_new_change_to_a_seen_record_is_delivered_again() -> None:
    client = FakeClient([_rec("006A", 1)])
    first = read_changes(client, STREAM, Cursor(), SIGNPOST)  # type: ignore[arg-type]
    client.records = [_rec("006A", 2)]
    second = read_changes(client, STREAM, first.cursor, SIGNPOST)  # type: ignore[arg-type]
    assert [r["SystemModstamp"] for r in second.records] == [_rec("006A", 2)["SystemModstamp"]]


def test_nothing_new_keeps_the_cursor() -> None:
    client = FakeClient([_rec("006A", 1)])
    first = read_changes(client, STREAM, Cursor(), SIGNPOST)  # type: ignore[arg-type]
    again = read_changes(client, STREAM, first.cursor, SIGNPOST)  # type: ignore[arg-type]
    assert again.records == []
    assert again.cursor == first.cursor


def test_seen_pairs_older_than_the_overlap_are_forgotten() -> None:
    client = FakeClient([_rec("006A", 1), _rec("006B", 60)])
    batch = read_changes(client, STREAM, Cursor(), SIGNPOST)  # type: ignore[arg-type]
    assert {i for i, _ in batch.cursor.seen} == {"006B"}


def test_cursor_round_trips_through_text() -> None:
    cursor = Cursor(T0, frozenset({("006A", "2026-11-22T10:00:00.000+0000")}))
    assert Cursor.loads(cursor.dumps()) == cursor
    assert Cursor.loads(None) == Cursor()
