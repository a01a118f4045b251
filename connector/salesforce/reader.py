"""Incremental reads of Salesforce objects by ``SystemModstamp``.

Each read selects records with ``SystemModstamp`` from the cursor minus an overlap up to the
start of the second in which the run started (the signpost), ordered by
``SystemModstamp, Id``. ``SystemModstamp`` has whole-second resolution, so a record changed
twice within one second keeps one value; reading only seconds that are over means the second
change cannot hide behind an ``(Id, SystemModstamp)`` pair already seen. The overlap catches
same-second ties and late-committing transactions; the ``(Id, SystemModstamp)`` pairs already
seen inside the overlap are dropped, so a record is delivered once per change. The caller
stores the returned cursor in the same ledger transaction that applies the records.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from simple_salesforce.format import format_soql

from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient, parse_salesforce_time
from connector.salesforce.progress import SILENT, ProgressBar

DEFAULT_OVERLAP = timedelta(seconds=5)
CHUNK = 5000  # records applied and committed per ledger transaction
IDS_PER_QUERY = 300
"""Ids per ``WHERE Id IN (...)`` query: a REST query is a GET, and its URL must stay well
under Salesforce's 16 KB (300 quoted, URL-encoded 18-character ids take about 7.5 KB)."""
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Stream:
    """One Salesforce object read incrementally.

    Attributes:
        sobject: API name, e.g. ``Opportunity``.
        fields: fields and relationship paths to select (``Id`` and ``SystemModstamp`` added).
        where: an extra SOQL condition, already formatted with ``format_soql``.
    """

    sobject: str
    fields: tuple[str, ...]
    where: str | None = None

    @property
    def name(self) -> str:
        """The cursor name of this stream."""
        return f"salesforce.{self.sobject}"

    def select_list(self) -> str:
        """The SELECT list: Id, SystemModstamp, then the fields, without duplicates."""
        return ", ".join(dict.fromkeys(("Id", "SystemModstamp", *self.fields)))


@dataclass(frozen=True)
class Cursor:
    """Where a stream got to: the newest ``SystemModstamp`` read and the pairs inside the overlap.

    Attributes:
        modstamp: the newest SystemModstamp delivered; None before the first read.
        seen: ``(Id, SystemModstamp)`` pairs delivered within the overlap before ``modstamp``.
    """

    modstamp: datetime | None = None
    seen: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def dumps(self) -> str:
        """Serialise for the ledger's cursors table."""
        stamp = self.modstamp.isoformat() if self.modstamp else None
        return json.dumps({"modstamp": stamp, "seen": sorted(self.seen)})

    @classmethod
    def loads(cls, text: str | None) -> Cursor:
        """Parse what :meth:`dumps` wrote; None or empty gives the initial cursor."""
        if not text:
            return cls()
        raw = json.loads(text)
        stamp = datetime.fromisoformat(raw["modstamp"]) if raw["modstamp"] else None
        return cls(stamp, frozenset((i, s) for i, s in raw["seen"]))


@dataclass
class Batch:
    """The records of one read and the cursor to store once they are applied."""

    records: list[dict[str, Any]]
    cursor: Cursor


def read_changes(client: SalesforceClient, stream: Stream, cursor: Cursor, signpost: datetime,
                 overlap: timedelta = DEFAULT_OVERLAP) -> Batch:
    """Read every record of ``stream`` changed since ``cursor``, before ``signpost``'s second."""
    soql = _soql(stream, cursor, signpost, overlap)
    fresh = [r for r in client.query(soql) if _pair(r) not in cursor.seen]
    return Batch(fresh, _advance(cursor, fresh, overlap))


def read_batches(client: SalesforceClient, stream: Stream, cursor: Cursor, signpost: datetime,
                 *, bulk: BulkQueries | None = None, chunk: int = CHUNK,
                 overlap: timedelta = DEFAULT_OVERLAP) -> Iterator[Batch]:
    """Like :func:`read_changes`, but in chunks of ``chunk`` records, each with the cursor that
    covers it, so the caller can apply and commit chunk by chunk with flat memory.

    When the first REST page says the result holds more than ``bulk.threshold`` records, the
    rest is read with a Bulk API 2.0 query job instead of REST pages. At least one batch is
    yielded, empty when nothing changed.
    """
    soql = _soql(stream, cursor, signpost, overlap)
    first = client.first_page(soql)
    # The overlap reads again records already delivered; they do not make a read large.
    large = bulk is not None and first.total_size - len(cursor.seen) > bulk.threshold
    if bulk is not None and large:
        log.info("reading through Bulk API 2.0", sobject=stream.sobject,
                 records=first.total_size)
        records: Iterator[dict[str, Any]] = bulk.records(stream.sobject, soql)
    else:
        records = itertools.chain(first.records, client.rest_of(first))
    bar = bulk.progress.start(stream.sobject, first.total_size, bulk=large) if bulk else SILENT
    try:
        yield from _batches(records, cursor, chunk, overlap, bar)
    finally:
        bar.close()


def _batches(records: Iterator[dict[str, Any]], cursor: Cursor, chunk: int,
             overlap: timedelta, bar: ProgressBar) -> Iterator[Batch]:
    yielded = False
    for rows in _chunks(records, chunk):
        fresh = [r for r in rows if _pair(r) not in cursor.seen]
        cursor = _advance(cursor, fresh, overlap)
        yielded = True
        bar.advance(len(rows))
        yield Batch(fresh, cursor)
    if not yielded:
        yield Batch([], cursor)


def read_all(client: SalesforceClient, stream: Stream) -> Iterator[dict[str, Any]]:
    """Every live record of ``stream``, regardless of cursor (backfill, reconciliation)."""
    where = f" WHERE {stream.where}" if stream.where else ""
    # Identifiers come from validated mappings; values are formatted with format_soql.
    yield from client.query(f"SELECT {stream.select_list()} FROM {stream.sobject}{where}")  # noqa: S608


def read_by_ids(client: SalesforceClient, sobject: str, fields: tuple[str, ...],
                ids: list[str], chunk: int | None = None) -> Iterator[dict[str, Any]]:
    """The records of ``sobject`` with these ``ids`` (deleted ones are simply absent), read
    ``chunk`` (default :data:`IDS_PER_QUERY`) ids per query (``WHERE Id IN (...)``):
    ``ceil(len(ids) / chunk)`` calls while a chunk fits one result page (<= 2,000).

    ``fields`` are identifiers from our own code; the ids are formatted with ``format_soql``.
    """
    select_list = ", ".join(dict.fromkeys(("Id", *fields)))
    size = chunk or IDS_PER_QUERY
    for start in range(0, len(ids), size):
        soql = format_soql(f"SELECT {select_list} FROM {sobject} WHERE Id IN {{ids}}",  # noqa: S608
                           ids=ids[start:start + size])
        yield from client.query(soql)


def parse_modstamp(value: str) -> datetime:
    """Parse a Salesforce datetime (``2026-11-22T10:00:00.000+0000``) as aware UTC."""
    return parse_salesforce_time(value)


def _soql(stream: Stream, cursor: Cursor, signpost: datetime, overlap: timedelta) -> str:
    settled = signpost.astimezone(UTC).replace(microsecond=0)
    conditions = [format_soql("SystemModstamp < {}", settled)]
    if cursor.modstamp is not None:
        since = (cursor.modstamp - overlap).astimezone(UTC)
        conditions.append(format_soql("SystemModstamp >= {}", since))
    if stream.where:
        conditions.append(f"({stream.where})")
    return (f"SELECT {stream.select_list()} FROM {stream.sobject} "  # noqa: S608 (see read_all)
            f"WHERE {' AND '.join(conditions)} ORDER BY SystemModstamp, Id")


def _chunks(records: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while rows := list(itertools.islice(records, size)):
        yield rows


def _pair(record: dict[str, Any]) -> tuple[str, str]:
    return str(record["Id"]), str(record["SystemModstamp"])


def _advance(cursor: Cursor, fresh: list[dict[str, Any]], overlap: timedelta) -> Cursor:
    if not fresh:
        return cursor
    newest = max(parse_modstamp(r["SystemModstamp"]) for r in fresh)
    floor = newest - overlap
    pairs = cursor.seen | {_pair(r) for r in fresh}
    kept = frozenset(p for p in pairs if parse_modstamp(p[1]) >= floor)
    return Cursor(newest, kept)
