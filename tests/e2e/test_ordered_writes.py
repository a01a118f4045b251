"""Writes to one Salesforce record keep their order and go as one record per request."""

from __future__ import annotations

from datetime import timedelta

from simple_salesforce.format import format_soql
from sqlalchemy import select

from connector.dispatch.salesforce_writes import SalesforceWrites
from connector.ledger.models import OutboxOperation, OutboxStatus, OutboxTarget, Subscription
from connector.ledger.unit_of_work import Ledger
from connector.salesforce.bulk_ingest import BulkUpserts
from e2e.world import World

UPSERTS = "/services/data/v62.0/composite/sobjects/Subscription__c/Ledger_Id__c"


def _queue(world: World, ledger_id: str, status: str, key: str, *, wait: int = 0) -> None:
    with Ledger(world.engine.sessions, world.clock, "test").unit() as uow:
        uow.enqueue(OutboxTarget.SALESFORCE, "upsert:Subscription__c", key,
                    {"Ledger_Id__c": ledger_id, "Last_Payment_Status__c": status},
                    ("subscription", ledger_id))
        if wait:
            op = uow.session.scalars(select(OutboxOperation).where(
                OutboxOperation.key == key)).one()
            op.next_attempt_at = uow.now + timedelta(seconds=wait)


def _shown(world: World, ledger_id: str) -> str:
    rows = world.admin().query(format_soql(
        "SELECT Last_Payment_Status__c FROM Subscription__c WHERE Ledger_Id__c = {}",
        ledger_id))["records"]
    return str(rows[0]["Last_Payment_Status__c"])


def _first_subscription(world: World) -> str:
    world.cycle()
    with world.engine.sessions() as session:
        return str(session.scalars(select(Subscription.id).order_by(Subscription.id)).first())


def _dispatch(world: World, bulk_threshold: int = 2000) -> None:
    salesforce = world.engine.services.salesforce
    SalesforceWrites(Ledger(world.engine.sessions, world.clock, "test"), salesforce,
                     BulkUpserts(salesforce, bulk_threshold)).dispatch()


def test_two_writes_of_one_record_go_as_one_with_the_later_value(world: World) -> None:
    ledger_id = _first_subscription(world)
    world.stack.salesforce.reset_counters()
    _queue(world, ledger_id, "Paid", "test:paid")
    _queue(world, ledger_id, "Failed", "test:failed")

    _dispatch(world)

    assert _shown(world, ledger_id) == "Failed"
    assert world.stack.salesforce.request_count("PATCH", UPSERTS) == 1


def test_a_write_waiting_out_a_backoff_is_not_overtaken_by_a_later_one(world: World) -> None:
    ledger_id = _first_subscription(world)
    _queue(world, ledger_id, "Paid", "test:paid", wait=60)  # its first attempt failed
    _queue(world, ledger_id, "Failed", "test:failed")

    _dispatch(world)
    world.clock.advance(timedelta(seconds=120))
    _dispatch(world)  # the Paid write must not land now, after Failed

    assert _shown(world, ledger_id) == "Failed"
    with world.engine.sessions() as session:
        states = set(session.scalars(select(OutboxOperation.status).where(
            OutboxOperation.key.in_(["test:paid", "test:failed"]))))
    assert states == {OutboxStatus.DONE}


def test_the_bulk_path_sends_one_row_per_record_too(world: World) -> None:
    ledger_id = _first_subscription(world)
    _queue(world, ledger_id, "Paid", "test:paid")
    _queue(world, ledger_id, "Failed", "test:failed")

    _dispatch(world, bulk_threshold=0)  # every write through a Bulk API 2.0 ingest job

    assert _shown(world, ledger_id) == "Failed"
    assert world.stack.salesforce.request_count("PUT") == 1
