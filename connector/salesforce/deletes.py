"""Which Salesforce records were deleted: getDeleted windows, or the full id set.

Normally each check asks getDeleted for the window from the last ``latestDateCovered`` to now
(whole minutes; Salesforce drops the seconds). getDeleted reaches back only 15 days, so when
the last check is older than that (a daemon that was down, a ledger restored from backup, a
backfill) the check reconciles instead: it reads every id with ``queryAll`` and reports which
of them still live; the caller treats every record it knows that is not among them as
deleted. Nothing here touches the ledger; the caller stores the returned cursor in the same
transaction that applies the deletions.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient

RETENTION = timedelta(days=15)
MIN_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class DeleteCursor:
    """Where the delete checks of one object got to.

    Attributes:
        covered: the ``latestDateCovered`` of the last check; None before the first one.
    """

    covered: datetime | None = None

    def dumps(self) -> str:
        """Serialise for the ledger's cursors table."""
        return json.dumps({"covered": self.covered.isoformat() if self.covered else None})

    @classmethod
    def loads(cls, text: str | None) -> DeleteCursor:
        """Parse what :meth:`dumps` wrote; None or empty gives the initial cursor."""
        raw = json.loads(text) if text else {}
        covered = raw.get("covered")
        return cls(datetime.fromisoformat(covered) if covered else None)


@dataclass(frozen=True)
class Deletions:
    """The outcome of one check.

    Attributes:
        deleted: ids reported deleted (getDeleted, or ``IsDeleted`` rows of queryAll).
        live: with a reconciliation, every id that still lives; None after getDeleted.
        cursor: the cursor to store once the deletions are applied.
    """

    deleted: frozenset[str]
    live: frozenset[str] | None
    cursor: DeleteCursor

    @property
    def reconciled(self) -> bool:
        """Whether this was a full id-set reconciliation."""
        return self.live is not None


def needs_reconciliation(cursor: DeleteCursor, now: datetime) -> bool:
    """Whether getDeleted can no longer cover the time since the last check."""
    return cursor.covered is None or cursor.covered < now - RETENTION


def read_deletions(client: SalesforceClient, sobject: str, cursor: DeleteCursor, now: datetime,
                   bulk: BulkQueries | None = None) -> Deletions:
    """Check ``sobject`` for records deleted since ``cursor`` (reconciling when needed)."""
    if needs_reconciliation(cursor, now):
        return reconcile(client, sobject, now, bulk)
    assert cursor.covered is not None
    if _minute(now) - _minute(cursor.covered) < MIN_WINDOW:
        return Deletions(frozenset(), None, cursor)
    window = client.get_deleted(sobject, cursor.covered, now)
    if window.earliest > cursor.covered:  # Salesforce purged part of the window already
        return reconcile(client, sobject, now, bulk)
    return Deletions(frozenset(window.ids), None, DeleteCursor(window.latest_covered))


def reconcile(client: SalesforceClient, sobject: str, now: datetime,
              bulk: BulkQueries | None = None) -> Deletions:
    """Read every id of ``sobject`` with queryAll: which live, which are in the recycle bin."""
    # An object name from validated mappings; there are no values to format.
    soql = f"SELECT Id, IsDeleted FROM {sobject}"  # noqa: S608
    live: set[str] = set()
    deleted: set[str] = set()
    for record in _all_rows(client, sobject, soql, bulk):
        (deleted if record.get("IsDeleted") else live).add(str(record["Id"]))
    return Deletions(frozenset(deleted), frozenset(live), DeleteCursor(_minute(now)))


def _all_rows(client: SalesforceClient, sobject: str, soql: str,
              bulk: BulkQueries | None) -> Iterator[dict[str, Any]]:
    first = client.first_page(soql, include_deleted=True)
    if bulk is not None and first.total_size > bulk.threshold:
        return bulk.records(sobject, soql, include_deleted=True)
    return itertools.chain(first.records, client.rest_of(first))


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)
