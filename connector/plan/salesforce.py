"""The queued Salesforce upserts, compared field by field with the records as they are now.

Operations are merged per record the way the dispatcher merges them (later operations win
per field). The records' current values are read from Salesforce by external id, one query
per 200 records, so ``old`` is what the org holds, not what the ledger believes. Field names
are the org's (``subscription_fields.toml``, ``license.toml``'s ``[account_fields]``), as
the dispatcher sends them. Writes of records the daemon does not own (the Account summary)
match on the record's ``Id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simple_salesforce.format import format_soql
from sqlalchemy import select

from connector.errors import ConnectorError
from connector.ledger.models import OutboxOperation, OutboxStatus, OutboxTarget
from connector.ledger.unit_of_work import Ledger
from connector.mapping.licence_object import ACCOUNT, AccountFields
from connector.mapping.subscription_fields import ROLES, SubscriptionFields
from connector.plan.records import Change, FieldChange
from connector.salesforce.client import SalesforceClient

EXTERNAL_ID = ROLES["ledger_id"].shipped
RECORD_ID = "Id"
UPSERT = "upsert:"
IN_CHUNK = 200


@dataclass
class Upsert:
    """The merged upsert of one record, as the dispatcher would send it."""

    sobject: str
    external_id: str
    key_field: str = EXTERNAL_ID
    fields: dict[str, Any] = field(default_factory=dict)
    due: bool = True
    next_attempt_at: datetime | None = None
    queued_now: bool = True


def salesforce_changes(ledger: Ledger, client: SalesforceClient, queued_before: int,
                       names: SubscriptionFields | None = None,
                       account_names: AccountFields | None = None) -> list[Change]:
    """Every pending Salesforce operation as a change, with old → new per field.

    Args:
        ledger: the dry run's ledger.
        client: the Salesforce adapter (only queried).
        queued_before: the highest outbox id before the dry run; operations above it were
            queued by the dry run, so their ledger ids are not the ones the sync will assign.
        names: the org's names of the ``Subscription__c`` fields.
        account_names: the org's names of the Account summary fields.
    """
    with ledger.unit() as uow:
        pending = list(uow.session.scalars(select(OutboxOperation).where(
            OutboxOperation.target == OutboxTarget.SALESFORCE,
            OutboxOperation.status == OutboxStatus.PENDING).order_by(OutboxOperation.id)))
        upserts, others = _merge(pending, uow.now, queued_before, names or SubscriptionFields(),
                                 account_names or AccountFields())
    current, error = _current(client, upserts)
    note = f"current values unknown: {error}" if error else ""
    return [_change(u, current.get((u.sobject, u.external_id)), note) for u in upserts] + others


def _merge(ops: Iterable[OutboxOperation], now: datetime, queued_before: int,
           names: SubscriptionFields,
           account_names: AccountFields) -> tuple[list[Upsert], list[Change]]:
    merged: dict[tuple[str, str], Upsert] = {}
    others: list[Change] = []
    for op in ops:
        due = op.next_attempt_at <= now
        sobject = op.operation.removeprefix(UPSERT)
        by_id = sobject == ACCOUNT and RECORD_ID in op.payload
        if not op.operation.startswith(UPSERT) or not (EXTERNAL_ID in op.payload or by_id):
            others.append(_other(op, due))
            continue
        key_field = RECORD_ID if by_id else names.key_field(sobject)
        key = str(op.payload[RECORD_ID if by_id else EXTERNAL_ID])
        upsert = merged.setdefault((sobject, key), Upsert(sobject, key, key_field))
        outbound = account_names.outbound(op.payload) if by_id \
            else names.outbound(sobject, op.payload)
        upsert.fields.update({k: v for k, v in outbound.items() if k != upsert.key_field})
        upsert.queued_now = upsert.queued_now and op.id > queued_before
        if not due:
            upsert.due, upsert.next_attempt_at = False, op.next_attempt_at
    return list(merged.values()), others


def _other(op: OutboxOperation, due: bool) -> Change:
    fields = tuple(FieldChange(k, None, v) for k, v in op.payload.items())
    return Change("salesforce", op.operation if due else "wait", op.entity_type or "",
                  op.key, fields, "" if due else f"next attempt at {op.next_attempt_at}")


def _current(client: SalesforceClient,
             upserts: list[Upsert]) -> tuple[dict[tuple[str, str], dict[str, Any]], str]:
    by_object: dict[str, list[Upsert]] = {}
    for upsert in upserts:
        by_object.setdefault(upsert.sobject, []).append(upsert)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for sobject, group in by_object.items():
            for record in _query(client, sobject, group):
                found[(sobject, str(record[group[0].key_field]))] = record
    except ConnectorError as exc:
        return found, str(exc)
    return found, ""


def _query(client: SalesforceClient, sobject: str,
           group: list[Upsert]) -> Iterable[dict[str, Any]]:
    key_field = group[0].key_field
    names = dict.fromkeys(["Id", key_field, *(n for u in group for n in u.fields)])
    select_list = ", ".join(names)
    for start in range(0, len(group), IN_CHUNK):
        keys = [u.external_id for u in group[start:start + IN_CHUNK]]
        soql = format_soql(f"SELECT {select_list} FROM {sobject} "  # noqa: S608 (mapped names)
                           f"WHERE {key_field} IN {{}}", keys)
        yield from client.query(soql)


def _change(upsert: Upsert, current: Mapping[str, Any] | None, note: str) -> Change:
    key = f"{upsert.key_field}={upsert.external_id}"
    if current is None and upsert.queued_now:
        key = f"{upsert.key_field}=(new; the sync assigns it)"
    if current is None:
        fields = tuple(FieldChange(k, None, v) for k, v in upsert.fields.items())
        action = "create" if not note else "upsert"
    else:
        fields = tuple(FieldChange(k, current.get(k), v) for k, v in upsert.fields.items())
        action = "update" if any(f.changed for f in fields) else "leave"
        key += f" (Id {current['Id']})"
    if not upsert.due:
        action, note = "wait", f"next attempt at {upsert.next_attempt_at}; " + note
    return Change("salesforce", action, upsert.sobject, key, fields, note.strip("; "))
