"""Records deleted in Salesforce are soft-deleted in the ledger, journaled, and not recreated.

One step per polled object (``Opportunity``, ``Subscription__c``), run before the object's
read. It checks getDeleted (or reconciles the full id set, see
:mod:`connector.salesforce.deletes`) at most every ``deletes_interval`` seconds, and in one
transaction: sets ``deleted_at`` on each ledger entity linked to a deleted record (an
opportunity's line items with it, as Salesforce cascades them), journals a ``delete``,
withdraws the entity's pending Salesforce writes (an upsert by ``Ledger_Id__c`` would create
the record again), and stores the object's delete cursor. A potential subscription whose
``Subscription__c`` was deleted stays in the ledger as deleted, so generation never makes it
again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from connector.ledger.models import (
    ChangeKind,
    LineItem,
    Link,
    Opportunity,
    OutboxOperation,
    OutboxStatus,
    OutboxTarget,
    Subscription,
    System,
)
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient
from connector.salesforce.deletes import DeleteCursor, Deletions, read_deletions

# Salesforce object → (ledger model, entity type) of the objects whose deletions are applied.
SOFT_DELETED: dict[str, tuple[type[Any], str]] = {
    "Opportunity": (Opportunity, "opportunity"),
    "Subscription__c": (Subscription, "subscription"),
}
WITHDRAWN = "withdrawn: the record was deleted in Salesforce"


def cursor_name(sobject: str) -> str:
    """The ledger cursor of ``sobject``'s delete checks."""
    return f"salesforce.{sobject}.deleted"


@dataclass
class Deleted:
    """What one delete check did."""

    checked: bool = False
    reconciled: bool = False
    deleted: int = 0


class DeleteChecks:
    """The delete check of one Salesforce object.

    Args:
        client: the Salesforce adapter.
        sobject: a key of :data:`SOFT_DELETED`, or any object when ``entity`` is given.
        interval: the least time between two checks.
        bulk: Bulk API 2.0 for a large reconciliation.
        entity: the ledger model and entity type of ``sobject``'s records, for an object
            named by a mapping file (the licence object of ``license.toml``).
    """

    def __init__(self, client: SalesforceClient, sobject: str, interval: timedelta,
                 bulk: BulkQueries | None = None,
                 entity: tuple[type[Any], str] | None = None) -> None:
        self._client = client
        self._sobject = sobject
        self._entity = entity
        self._interval = interval
        self._bulk = bulk

    def run(self, ledger: Ledger, now: datetime) -> Deleted:
        """Check for deletions if due and apply them; commit with the cursor."""
        name = cursor_name(self._sobject)
        with ledger.unit() as uow:
            cursor = DeleteCursor.loads(uow.cursor(name))
            if cursor.covered is None and not _knows_any(uow, self._sobject):
                uow.set_cursor(name, DeleteCursor(now).dumps())  # nothing to lose yet
                return Deleted()
        if cursor.covered is not None and now - cursor.covered < self._interval:
            return Deleted()
        found = read_deletions(self._client, self._sobject, cursor, now, self._bulk)
        with ledger.unit() as uow:
            count = apply_deletions(uow, self._sobject, found, self._entity)
            uow.set_cursor(name, found.cursor.dumps())
        return Deleted(True, found.reconciled, count)


def apply_deletions(uow: UnitOfWork, sobject: str, found: Deletions,
                    entity: tuple[type[Any], str] | None = None) -> int:
    """Soft-delete the ledger entities of ``found``; return how many were deleted now.

    ``entity``: the model and entity type of ``sobject`` (default: :data:`SOFT_DELETED`'s).
    """
    gone = set(found.deleted)
    if found.live is not None:
        gone |= _known_ids(uow, sobject) - found.live
    model, entity_type = entity or SOFT_DELETED[sobject]
    return sum(_delete(uow, sobject, salesforce_id, model, entity_type)
               for salesforce_id in sorted(gone))


def _knows_any(uow: UnitOfWork, sobject: str) -> bool:
    query = select(Link.id).where(Link.system == System.SALESFORCE, Link.object_type == sobject)
    return uow.session.scalar(query.limit(1)) is not None


def _known_ids(uow: UnitOfWork, sobject: str) -> set[str]:
    query = select(Link.external_id).where(Link.system == System.SALESFORCE,
                                           Link.object_type == sobject)
    return set(uow.session.scalars(query))


def _delete(uow: UnitOfWork, sobject: str, salesforce_id: str, model: type[Any],
            entity_type: str) -> bool:
    entity_id = uow.entity_for(System.SALESFORCE, sobject, salesforce_id)
    row = uow.session.get(model, entity_id) if entity_id else None
    if row is None or row.deleted_at is not None:
        return False
    _soft_delete(uow, entity_type, row, salesforce_id)
    if sobject == "Opportunity":
        items = select(LineItem).where(LineItem.opportunity_id == row.id,
                                       LineItem.deleted_at.is_(None))
        for item in uow.session.scalars(items):
            _soft_delete(uow, "line_item", item, None)
    return True


def _soft_delete(uow: UnitOfWork, entity_type: str, row: Any,
                 salesforce_id: str | None) -> None:
    row.deleted_at = row.updated_at = uow.now
    uow.record(entity_type, row.id, "salesforce", ChangeKind.DELETE,
               {"deleted_at": [None, uow.now.isoformat()],
                **({"salesforce_id": [salesforce_id, None]} if salesforce_id else {})})
    withdraw_writes(uow, entity_type, [row.id])


def withdraw_writes(uow: UnitOfWork, entity_type: str, entity_ids: Iterable[str]) -> int:
    """Take back the pending Salesforce writes of deleted entities; return how many."""
    pending = select(OutboxOperation).where(
        OutboxOperation.target == OutboxTarget.SALESFORCE,
        OutboxOperation.status == OutboxStatus.PENDING,
        OutboxOperation.entity_type == entity_type,
        OutboxOperation.entity_id.in_(list(entity_ids)))
    ops = list(uow.session.scalars(pending))
    for op in ops:
        op.status, op.last_error = OutboxStatus.FAILED, WITHDRAWN
    return len(ops)
