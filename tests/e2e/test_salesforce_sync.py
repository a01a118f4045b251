"""The Salesforce side of a cycle at production depth: Bulk API reads, deletes, the API
budget, transient failures and ``backfill``, asserted on the ledger and the emulators."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connector.cli import main
from connector.config import load_config
from connector.ledger.links import find_entity
from connector.ledger.models import (
    ApiUsage,
    ChangeKind,
    DeadLetter,
    JournalEntry,
    Opportunity,
    OutboxOperation,
    Subscription,
    System,
)
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from e2e.world import World

DELETE_CHECK = timedelta(seconds=301)  # just past the default deletes_interval


def _composite_writes(world: World) -> int:
    return world.stack.salesforce.request_count("PATCH", "/services/data/v62.0/composite/")


def _journal(world: World) -> int:
    with world.engine.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _ledger_id(world: World, sobject: str, salesforce_id: str) -> str | None:
    with world.engine.sessions() as session:
        return find_entity(session, System.SALESFORCE, sobject, salesforce_id)


def test_the_first_read_goes_through_bulk_above_the_threshold(world: World) -> None:
    config = world.folder / "config.toml"
    config.write_text(config.read_text().replace("poll_interval = 5",
                                                 "poll_interval = 5\nbulk_threshold = 2"))
    world.engine = build_engine(load_config(config), Secrets(world.stack.environment()),
                                world.clock, retry=NO_WAIT)

    world.cycle()

    # Opportunities (4) and line items (5) are each their own stream above the threshold.
    assert world.stack.salesforce.request_count("POST", "/services/data/v62.0/jobs/query") == 2
    assert len(world.subscriptions()) == 4  # as through REST


def test_a_deleted_opportunity_is_soft_deleted_and_journaled(world: World) -> None:
    world.cycle()
    pilot = world.org.opportunities["initech_open"]
    world.stack.salesforce.delete("Opportunity", pilot)
    world.clock.advance(DELETE_CHECK)

    report = world.cycle()

    ledger_id = _ledger_id(world, "Opportunity", pilot)
    with world.engine.sessions() as session:
        opportunity = session.get_one(Opportunity, ledger_id)
        deletes = list(session.scalars(select(JournalEntry).where(
            JournalEntry.entity_id == ledger_id, JournalEntry.kind == ChangeKind.DELETE)))
    assert opportunity.deleted_at is not None
    assert len(deletes) == 1
    assert report.deleted == 1


def test_an_opportunity_restored_from_the_recycle_bin_comes_back(world: World) -> None:
    world.cycle()
    pilot = world.org.opportunities["initech_open"]
    world.stack.salesforce.delete("Opportunity", pilot)
    world.clock.advance(DELETE_CHECK)
    world.cycle()
    world.stack.salesforce.undelete("Opportunity", pilot)

    world.cycle()

    with world.engine.sessions() as session:
        opportunity = session.get_one(Opportunity, _ledger_id(world, "Opportunity", pilot))
    assert opportunity.deleted_at is None


def test_the_calls_of_each_day_are_kept_in_the_ledger(world: World) -> None:
    world.cycle()
    world.cycle()

    with world.engine.sessions() as session:
        [usage] = session.scalars(select(ApiUsage)).all()
    meter = world.engine.services.salesforce.meter
    assert (usage.system, usage.day) == ("salesforce", world.clock.now().date())
    assert usage.calls == meter.total_calls
    assert (usage.org_used, usage.call_limit) == (meter.used, meter.limit)
    assert usage.org_used == world.stack.salesforce.api_usage


def test_a_deleted_potential_subscription_is_not_recreated(world: World) -> None:
    world.cycle()
    won = world.org.opportunities["globex_ticked"]
    [doomed] = [s for s in world.subscriptions() if s["Opportunity__c"] == won]
    world.stack.salesforce.delete("Subscription__c", doomed["Id"])
    world.clock.advance(DELETE_CHECK)
    world.cycle()
    world.admin().restful(f"sobjects/Opportunity/{won}", method="PATCH",
                          data=json.dumps({"Description": "re-saved after the delete"}))

    world.cycle()
    world.cycle()

    assert doomed["Id"] not in {s["Id"] for s in world.subscriptions()}
    assert len(world.subscriptions()) == 3
    assert len(world.stack.salesforce.records("Subscription__c", include_deleted=True)) == 4
    with world.engine.sessions() as session:
        subscription = session.get_one(Subscription, doomed["Ledger_Id__c"])
        assert subscription.deleted_at is not None


def test_a_pending_write_of_a_deleted_subscription_is_withdrawn(world: World) -> None:
    world.cycle()
    [sub, *_] = world.subscriptions()
    world.stack.salesforce.delete("Subscription__c", sub["Id"])
    with world.engine.sessions() as session, session.begin():
        session.add(OutboxOperation(
            key="test:late-write", target="salesforce", operation="upsert:Subscription__c",
            entity_type="subscription", entity_id=sub["Ledger_Id__c"],
            payload={"Ledger_Id__c": sub["Ledger_Id__c"], "Last_Payment_Status__c": "paid"},
            next_attempt_at=world.clock.now(), created_at=world.clock.now()))
    world.clock.advance(DELETE_CHECK)

    world.cycle()

    assert sub["Id"] not in {s["Id"] for s in world.subscriptions()}
    assert len(world.subscriptions()) == 3
    with world.engine.sessions() as session:
        op = session.scalars(select(OutboxOperation).where(
            OutboxOperation.key == "test:late-write")).one()
        assert op.status == "failed"
        assert "deleted in Salesforce" in str(op.last_error)


def test_a_daemon_down_for_16_days_reconciles_deletes_with_query_all(world: World) -> None:
    world.cycle()
    pilot = world.org.opportunities["initech_open"]
    world.stack.salesforce.delete("Opportunity", pilot)
    world.clock.advance(timedelta(days=16))
    world.stack.salesforce.reset_counters()

    report = world.cycle()

    assert report.deleted == 1
    assert world.stack.salesforce.request_count("GET", "/services/data/v62.0/queryAll") >= 1
    assert world.stack.salesforce.request_count("GET", "/services/data/v62.0/sobjects/"
                                                       "Opportunity/deleted") == 0


def test_a_spent_budget_pauses_salesforce_while_stripe_goes_on(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.cycle()
    emulator = world.stack.salesforce
    emulator.set_api_usage(60_000, daily_limit=100_000)  # over max_api_share = 0.5
    world.admin().restful(f"sobjects/Opportunity/{world.org.opportunities['initech_open']}",
                          method="PATCH", data='{"StageName": "Closed Won"}')
    world.cycle()  # learns the usage from its first answer
    stripe_before = world.stack.stripe.request_count()
    sent_before = emulator.request_count()

    paused = world.cycle()
    spent_while_paused = emulator.request_log[sent_before:]
    main(["status", "--config", str(world.folder / "config.toml")])
    emulator.set_api_usage(1_000)
    resumed = world.cycle()

    assert paused.paused == ["salesforce"]
    assert spent_while_paused == [("GET", "/services/data/v62.0/limits/")]  # the probe only
    assert world.stack.stripe.request_count() > stripe_before  # Stripe events still polled
    assert "salesforce" not in resumed.paused
    assert resumed.generated.subscriptions  # the change made while paused was not lost
    assert "PAUSED until usage falls" in capsys.readouterr().out


def test_request_limit_exceeded_pauses_the_cycle_instead_of_failing_it(world: World) -> None:
    world.cycle()
    world.stack.salesforce.set_api_usage(100_000, daily_limit=100_000)

    report = world.cycle()

    assert "salesforce" in report.paused
    assert not report.deferred


def test_a_503_storm_defers_the_step_and_loses_nothing(world: World) -> None:
    world.stack.salesforce.faults.fail_next(1000, status=503)

    stormy = world.cycle()
    world.stack.salesforce.faults.clear()
    calm = world.cycle()

    assert "salesforce" in stormy.deferred
    assert not stormy.generated.subscriptions
    assert len(calm.generated.subscriptions) == 4
    assert len(world.subscriptions()) == 4


def test_backfill_creates_nothing_twice_and_writes_nothing_unchanged(
        world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    world.cycle()
    world.cycle()
    journal = _journal(world)
    writes = _composite_writes(world)
    for name, value in world.stack.environment().items():
        monkeypatch.setenv(name, value)

    world.clock.advance(timedelta(seconds=2))
    code = main(["backfill", "--config", str(world.folder / "config.toml")])

    assert code == 0
    assert "4 opportunities" in capsys.readouterr().out
    assert len(world.subscriptions()) == 4
    assert _composite_writes(world) == writes
    assert _journal(world) == journal


@pytest.mark.parametrize("code", ["FIELD_CUSTOM_VALIDATION_EXCEPTION", "UNABLE_TO_LOCK_ROW"])
def test_a_refused_write_is_dead_lettered_with_salesforce_code_and_the_rest_land(
        world: World, code: str) -> None:
    world.stack.salesforce.faults.reject_record("Status__c", "Potential", code, times=1)

    report = world.cycle()

    with world.engine.sessions() as session:
        letters = list(session.scalars(select(DeadLetter)))
    if code == "UNABLE_TO_LOCK_ROW":  # retried in a smaller batch, then it lands
        assert letters == []
        assert len(world.subscriptions()) == 4
        return
    assert [(d.source, d.error_code) for d in letters] == [("outbox.salesforce", code)]
    assert "Quantity must be positive" in letters[0].reason
    assert report.written.records == 3
    assert len(world.subscriptions()) == 3
