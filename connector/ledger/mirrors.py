"""Upserting ledger entities that mirror a record in another system, with their journal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from connector.ledger.journal import diff
from connector.ledger.models import ChangeKind, System, new_ledger_id
from connector.ledger.unit_of_work import UnitOfWork


class Mirrored(Protocol):
    """A ledger entity row: a string ledger id and an update timestamp."""

    id: str
    updated_at: datetime


E = TypeVar("E", bound=Mirrored)

ENTITY_TYPES: dict[str, str] = {
    "Account": "account",
    "Opportunity": "opportunity",
    "OpportunityLineItem": "line_item",
    "Product2": "product",
    "Subscription__c": "subscription",
}

# The ledger id prefix of each mirrored entity type (as the models' defaults use them).
ID_PREFIXES = {"account": "acc", "opportunity": "opp", "line_item": "oli", "product": "prod",
               "subscription": "sub"}


def upsert_mirror(uow: UnitOfWork, model: type[E], sobject: str, salesforce_id: str,
                  values: Mapping[str, Any], *, source_ts: datetime | None = None,
                  kept: Mapping[str, Any] | None = None) -> E:
    """Create or update the ledger row linked to ``salesforce_id``; journal what changed.

    A row soft-deleted earlier comes back (``deleted_at`` cleared): the record was read, so
    it was restored from Salesforce's recycle bin.

    Args:
        uow: the open transaction.
        model: the ledger model (Account, Opportunity, ...).
        sobject: the Salesforce object the row mirrors.
        salesforce_id: the record's Salesforce id.
        values: column → new value; columns not given are left as they are.
        source_ts: the record's SystemModstamp.
        kept: columns set as given but not journaled (the record as read: the journal
            already has the columns that matter).
    """
    entity_type = ENTITY_TYPES[sobject]
    existing_id = uow.entity_for(System.SALESFORCE, sobject, salesforce_id)
    row = uow.get(model, existing_id) if existing_id else None
    if row is None:
        row = uow.add(model(**{**values, **(kept or {}),
                               "id": new_ledger_id(ID_PREFIXES[entity_type]),
                               "created_at": uow.now, "updated_at": uow.now}))
        uow.link(entity_type, str(row.id), System.SALESFORCE, sobject, salesforce_id)
        uow.record(entity_type, str(row.id), "salesforce", ChangeKind.CREATE,
                   diff({}, values), source_ts=source_ts)
        return row
    _update(uow, row, entity_type, values, source_ts=source_ts, kept=kept)
    return row


def _update(uow: UnitOfWork, row: Any, entity_type: str, values: Mapping[str, Any], *,
            source_ts: datetime | None, kept: Mapping[str, Any] | None) -> None:
    """Set ``values`` and ``kept`` on ``row``; journal what changed (a restore too)."""
    changes = diff({k: getattr(row, k) for k in values}, values)
    if getattr(row, "deleted_at", None) is not None:  # read again, so restored from the bin
        changes["deleted_at"] = [row.deleted_at, None]
    for column, (_, new) in changes.items():
        setattr(row, column, new)
    for column, value in (kept or {}).items():
        setattr(row, column, value)
    if changes:
        row.updated_at = uow.now
        uow.record(entity_type, str(row.id), "salesforce", ChangeKind.UPDATE,
                   changes, source_ts=source_ts)


def salesforce_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the Salesforce REST API takes them: ISO dates, numbers for decimals."""
    return {key: _json_value(value) for key, value in values.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
