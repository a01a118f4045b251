"""Delivering queued Salesforce writes in batches.

All due ``upsert:<Object>`` operations are gathered, merged per record (later operations
override earlier fields of the same record), and sent with sObject Collections, 200 records
per API call. Each record's result is handled on its own: success marks its operations done
and links the Salesforce id; a rejection dead-letters them with Salesforce's error code while
the rest of the batch lands.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from connector.errors import BudgetExhaustedError, RetriableError, ValidationRejectedError
from connector.ledger.models import OutboxOperation, System
from connector.salesforce.client import SalesforceClient, WriteResult
from connector.sync import outbox
from connector.sync.unit_of_work import Ledger, UnitOfWork

EXTERNAL_ID = "Ledger_Id__c"


@dataclass
class Written:
    """What one dispatch of Salesforce writes did."""

    records: int = 0
    calls: int = 0
    dead_letters: int = 0
    deferred: int = 0


class SalesforceWrites:
    """Sends the pending Salesforce upserts."""

    def __init__(self, ledger: Ledger, client: SalesforceClient) -> None:
        self._ledger = ledger
        self._client = client

    def dispatch(self) -> Written:
        """Deliver every due Salesforce upsert, grouped by object."""
        result = Written()
        with self._ledger.unit() as uow:
            ops = outbox.due(uow, "salesforce")
            groups: dict[str, list[OutboxOperation]] = defaultdict(list)
            for op in ops:
                groups[op.operation.removeprefix("upsert:")].append(op)
            plans = {sobject: _merge(group) for sobject, group in groups.items()}
        for sobject, records in plans.items():
            self._send(sobject, records, result)
        return result

    def _send(self, sobject: str, records: dict[str, _Record], result: Written) -> None:
        payloads = [r.fields for r in records.values()]
        calls_before = self._client.meter.total_calls
        try:
            outcomes = self._client.upsert(sobject, EXTERNAL_ID, payloads)
        except (RetriableError, BudgetExhaustedError) as exc:
            self._defer(records, exc, result)
            return
        finally:
            result.calls += self._client.meter.total_calls - calls_before
        with self._ledger.unit() as uow:
            for record, outcome in zip(records.values(), outcomes, strict=True):
                _settle(uow, sobject, record, outcome, result)

    def _defer(self, records: dict[str, _Record], exc: RetriableError,
               result: Written) -> None:
        with self._ledger.unit() as uow:
            for record in records.values():
                for op_id in record.op_ids:
                    outbox.mark_retry(uow, uow.session.get_one(OutboxOperation, op_id), exc)
                result.deferred += 1


@dataclass
class _Record:
    entity: tuple[str, str] | None
    fields: dict[str, Any]
    op_ids: list[int]


def _merge(ops: list[OutboxOperation]) -> dict[str, _Record]:
    merged: dict[str, _Record] = {}
    for op in ops:
        key = str(op.payload[EXTERNAL_ID])
        entity = (op.entity_type, op.entity_id) if op.entity_type and op.entity_id else None
        record = merged.setdefault(key, _Record(entity, {}, []))
        record.fields.update(op.payload)
        record.op_ids.append(op.id)
    return merged


def _settle(uow: UnitOfWork, sobject: str, record: _Record, outcome: WriteResult,
            result: Written) -> None:
    ops = [uow.session.get_one(OutboxOperation, op_id) for op_id in record.op_ids]
    if not outcome.success:
        error = ValidationRejectedError(
            f"Salesforce rejected {sobject} {record.fields[EXTERNAL_ID]}: "
            f"{outcome.error_summary}", code=outcome.errors[0].code if outcome.errors else "")
        for op in ops:
            outbox.mark_dead(uow, op, error)
        result.dead_letters += 1
        return
    if record.entity and outcome.id:
        uow.link(record.entity[0], record.entity[1], System.SALESFORCE, sobject, outcome.id)
    for op in ops:
        outbox.mark_done(uow, op, {"id": outcome.id, "created": outcome.created})
    result.records += 1

