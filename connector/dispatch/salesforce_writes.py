"""Delivering queued Salesforce writes in batches.

All due ``upsert:<Object>`` operations are gathered, merged per record (later operations
override earlier fields of the same record), renamed to the org's field names
(``subscription_fields.toml``), and sent with sObject Collections, 200 records
per API call, or with one Bulk API 2.0 ingest job when an object has more than
``bulk_write_threshold`` records pending. Writes of entities deleted in Salesforce are
withdrawn instead of sent (an upsert would recreate the record).

Each record's result is handled on its own: success marks its operations done
and links the Salesforce id; a rejection dead-letters them with Salesforce's error code while
the rest of the batch lands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connector import crashpoints
from connector.dispatch import outbox
from connector.errors import BudgetExhaustedError, RetriableError, ValidationRejectedError
from connector.inbound.salesforce.deletions import withdraw_writes
from connector.ledger.models import (
    Opportunity,
    OutboxOperation,
    OutboxStatus,
    Subscription,
    System,
)
from connector.ledger.unit_of_work import PREFETCH_CHUNK, Ledger, UnitOfWork
from connector.mapping.licence_object import ACCOUNT, AccountFields
from connector.mapping.subscription_fields import ROLES, SubscriptionFields
from connector.salesforce.bulk_ingest import BulkUpserts
from connector.salesforce.client import SalesforceClient, WriteResult
from connector.salesforce.org import OrgSchema

CURRENCY = ROLES["currency"].shipped
RECORD_CURRENCY = "CurrencyIsoCode"  # exists only in multi-currency orgs
EXTERNAL_ID = ROLES["ledger_id"].shipped
"""The ledger id in a queued write (the org may call the field otherwise: ``key_field``)."""
RECORD_ID = "Id"
"""Writes of records the daemon does not own (the Account summary) match on the record's Id."""
BATCH = 10_000  # operations claimed per round; a round is one Bulk job or up to 50 calls
DELETABLE: dict[str, type[Opportunity] | type[Subscription]] = {
    "opportunity": Opportunity, "subscription": Subscription}


@dataclass
class Written:
    """What one dispatch of Salesforce writes did."""

    records: int = 0
    calls: int = 0
    dead_letters: int = 0
    deferred: int = 0


class SalesforceWrites:
    """Sends the pending Salesforce upserts."""

    def __init__(self, ledger: Ledger, client: SalesforceClient,
                 bulk: BulkUpserts | None = None, names: SubscriptionFields | None = None,
                 org: OrgSchema | None = None, *,
                 account_names: AccountFields | None = None) -> None:
        self._ledger = ledger
        self._account_names = account_names or AccountFields()
        self._org = org
        self._client = client
        self._bulk = bulk
        self._names = names or SubscriptionFields()

    def dispatch(self) -> Written:
        """Deliver every due Salesforce upsert, grouped by object, ``BATCH`` at a time."""
        result = Written()
        while self._dispatch_batch(result) == BATCH:
            pass
        return result

    def _dispatch_batch(self, result: Written) -> int:
        """Deliver up to ``BATCH`` due operations; return how many were due."""
        with self._ledger.unit() as uow:
            due = outbox.due(uow, "salesforce", limit=BATCH)
            claimed = _with_waiting(uow, due)
            deleted = _deleted_entities(uow, claimed)
            ops = [op for op in claimed if not _withdrawn(uow, op, deleted)]
            groups: dict[str, list[OutboxOperation]] = defaultdict(list)
            for op in ops:
                groups[op.operation.removeprefix("upsert:")].append(op)
            plans = {sobject: _merge(group) for sobject, group in groups.items()}
        for sobject, records in plans.items():
            self._send(sobject, records, result)
        return len(due)

    def _send(self, sobject: str, records: dict[str, _Record], result: Written) -> None:
        payloads = [self._with_record_currency(sobject, self._outbound(sobject, r.fields))
                    for r in records.values()]
        calls_before = self._client.meter.total_calls
        bulk = self._bulk is not None and len(payloads) > self._bulk.threshold
        writer = self._bulk.upsert if bulk and self._bulk else self._client.upsert
        try:
            outcomes = writer(sobject, self._key_field(sobject), payloads)
        except (RetriableError, BudgetExhaustedError) as exc:
            self._defer(records, exc, result)
            return
        finally:
            result.calls += self._client.meter.total_calls - calls_before
        crashpoints.reached("salesforce.write_answered")
        with self._ledger.unit() as uow:
            operations = _operations(uow, records.values())
            linked: list[tuple[str, str, str]] = []
            for record, outcome in zip(records.values(), outcomes, strict=True):
                ops = [operations[op_id] for op_id in record.op_ids]
                _settle(uow, sobject, record, ops, outcome, result=result, linked=linked)
            _link_written(uow, sobject, linked)

    def _outbound(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        if sobject == ACCOUNT:
            return self._account_names.outbound(fields)
        return self._names.outbound(sobject, fields)

    def _key_field(self, sobject: str) -> str:
        return RECORD_ID if sobject == ACCOUNT else self._names.key_field(sobject)

    def _with_record_currency(self, sobject: str, payload: dict[str, Any]) -> dict[str, Any]:
        """In a multi-currency org a record's own ``CurrencyIsoCode`` says which currency its
        amounts are in; it follows ``Currency__c`` so Salesforce shows and converts them right
        (without it a subscription takes the integration user's currency)."""
        currency = payload.get(self._names.org(CURRENCY))
        if sobject != "Subscription__c" or not currency or self._org is None \
                or not self._org.has_path(sobject, RECORD_CURRENCY):
            return payload
        return {**payload, RECORD_CURRENCY: str(currency).upper()}

    def _defer(self, records: dict[str, _Record], exc: RetriableError,
               result: Written) -> None:
        with self._ledger.unit() as uow:
            for record in records.values():
                for op_id in record.op_ids:
                    outbox.mark_retry(uow, uow.session.get_one(OutboxOperation, op_id), exc)
                result.deferred += 1


def _with_waiting(uow: UnitOfWork, due: list[OutboxOperation]) -> list[OutboxOperation]:
    """``due`` plus the pending writes of the same records still waiting out a backoff, in
    queue order: a record's writes go together, so a later one never overtakes an earlier
    one (a payment that failed after one that was paid must end ``Failed``)."""
    keys = {record_key(op.payload) for op in due}
    if not keys:
        return due
    waiting = uow.session.scalars(select(OutboxOperation).where(
        OutboxOperation.target == "salesforce", OutboxOperation.status == OutboxStatus.PENDING,
        OutboxOperation.next_attempt_at > uow.now,
        OutboxOperation.entity_id.in_(sorted({str(op.entity_id) for op in due
                                              if op.entity_id}))))
    more = [op for op in waiting if record_key(op.payload) in keys]
    return sorted({op.id: op for op in [*due, *more]}.values(), key=lambda op: op.id)


def _deleted_entities(uow: UnitOfWork, ops: list[OutboxOperation]) -> set[tuple[str, str]]:
    """The ``(entity type, id)`` of the entities ``ops`` write that are deleted in
    Salesforce, in a few queries."""
    deleted: set[tuple[str, str]] = set()
    for entity_type, model in DELETABLE.items():
        ids = list({str(op.entity_id) for op in ops
                    if op.entity_type == entity_type and op.entity_id})
        for start in range(0, len(ids), PREFETCH_CHUNK):
            deleted.update((entity_type, i) for i in uow.session.scalars(select(model.id).where(
                model.id.in_(ids[start:start + PREFETCH_CHUNK]), model.deleted_at.is_not(None))))
    return deleted


def _withdrawn(uow: UnitOfWork, op: OutboxOperation, deleted: set[tuple[str, str]]) -> bool:
    """Withdraw (and say so) a write of an entity deleted in Salesforce (one of
    ``deleted``): an upsert by ``Ledger_Id__c`` would bring the record back."""
    if (op.entity_type, op.entity_id) not in deleted:
        return False
    withdraw_writes(uow, str(op.entity_type), [str(op.entity_id)])
    return True


def record_key(payload: dict[str, Any]) -> str:
    """The record a queued write is for: its ledger id, else its Salesforce Id."""
    return str(payload.get(EXTERNAL_ID) or payload.get(RECORD_ID))


@dataclass
class _Record:
    entity: tuple[str, str] | None
    fields: dict[str, Any]
    op_ids: list[int]


def _merge(ops: list[OutboxOperation]) -> dict[str, _Record]:
    merged: dict[str, _Record] = {}
    for op in ops:
        key = record_key(op.payload)
        entity = (op.entity_type, op.entity_id) if op.entity_type and op.entity_id else None
        record = merged.setdefault(key, _Record(entity, {}, []))
        record.fields.update(op.payload)
        record.op_ids.append(op.id)
    return merged


def _operations(uow: UnitOfWork, records: Iterable[_Record]) -> dict[int, OutboxOperation]:
    """The operations of ``records`` by id, read in a few queries."""
    op_ids = [op_id for record in records for op_id in record.op_ids]
    found: dict[int, OutboxOperation] = {}
    for start in range(0, len(op_ids), PREFETCH_CHUNK):
        found.update((op.id, op) for op in uow.session.scalars(select(OutboxOperation).where(
            OutboxOperation.id.in_(op_ids[start:start + PREFETCH_CHUNK]))))
    return found


def _link_written(uow: UnitOfWork, sobject: str, linked: list[tuple[str, str, str]]) -> None:
    """Link each written entity to the id Salesforce gave its record, entity type by type."""
    by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entity_type, entity_id, salesforce_id in linked:
        by_type[entity_type].append((entity_id, salesforce_id))
    for entity_type, pairs in by_type.items():
        uow.link_many(entity_type, System.SALESFORCE, sobject, pairs)


def _settle(uow: UnitOfWork, sobject: str, record: _Record, ops: list[OutboxOperation],
            outcome: WriteResult, *, result: Written,
            linked: list[tuple[str, str, str]]) -> None:
    """Mark the record's operations ``ops`` done or dead; a written entity's ``(entity type,
    entity id, Salesforce id)`` goes to ``linked``."""
    if not outcome.success:
        error = ValidationRejectedError(
            f"Salesforce rejected {sobject} {record_key(record.fields)}: "
            f"{outcome.error_summary}", code=outcome.errors[0].code if outcome.errors else "")
        for op in ops:
            outbox.mark_dead(uow, op, error)
        result.dead_letters += 1
        return
    if record.entity and outcome.id:
        linked.append((*record.entity, outcome.id))
    for op in ops:
        outbox.mark_done(uow, op, {"id": outcome.id, "created": outcome.created})
    result.records += 1

