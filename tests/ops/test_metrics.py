"""Metrics: counted as cycles run, the ledger's gauges read at scrape time."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.ledger.models import (
    Conflict,
    ConnectionState,
    DeadLetter,
    OutboxOperation,
    OutboxStatus,
)
from connector.ops.metrics import LedgerCollector, StateCollector, SyncMetrics
from connector.ops.states import ConnectionStates
from connector.sync.report import CycleReport


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _outbox(target: str, created: ManualClock, status: str = OutboxStatus.PENDING,
            key: str = "") -> OutboxOperation:
    now = created.now()
    return OutboxOperation(key=key or f"{target}-{now.isoformat()}", target=target,
                           operation="upsert", payload={}, status=status,
                           next_attempt_at=now, created_at=now)


def test_ledger_gauges_are_read_at_scrape_time(sessions: sessionmaker[Session],
                                               clock: ManualClock) -> None:
    registry = CollectorRegistry()
    registry.register(LedgerCollector(sessions, clock))
    with sessions() as session, session.begin():
        session.add(_outbox("stripe", clock))
        clock.advance(timedelta(seconds=30))
        session.add_all([_outbox("stripe", clock), _outbox("salesforce", clock),
                         _outbox("salesforce", clock, OutboxStatus.DONE, key="done")])
        session.add(DeadLetter(source="outbox.stripe", record_key="sub-1", reason="refused",
                               created_at=clock.now()))
        session.add(Conflict(entity_type="subscription", entity_id="sub-1", field="quantity",
                             owner="salesforce", ours=1, theirs=2, their_source="stripe",
                             created_at=clock.now()))
    clock.advance(timedelta(seconds=10))

    samples = _samples(registry)

    assert samples[("crm_ledger_up", ())] == 1
    assert samples[("crm_outbox_pending", (("target", "stripe"),))] == 2
    assert samples[("crm_outbox_pending", (("target", "salesforce"),))] == 1
    assert samples[("crm_outbox_oldest_pending_age_seconds", (("target", "stripe"),))] == 40
    assert samples[("crm_dead_letters_open", ())] == 1
    assert samples[("crm_conflicts_open", ())] == 1


def test_an_unreachable_ledger_is_a_zero_not_a_failed_scrape(
        unreachable: sessionmaker[Session], clock: ManualClock) -> None:
    registry = CollectorRegistry()
    registry.register(LedgerCollector(unreachable, clock))

    samples = _samples(registry)

    assert samples == {("crm_ledger_up", ()): 0}


def test_cycles_records_and_states_are_counted(sessions: sessionmaker[Session],
                                               clock: ManualClock) -> None:
    registry = CollectorRegistry()
    metrics = SyncMetrics(registry)
    tracker = ConnectionStates(sessions, clock)
    registry.register(StateCollector(tracker))
    report = CycleReport("run1")
    report.generated.opportunities_read = 3
    report.written.records = 2
    report.sent.failed = 1

    metrics.observe_cycle("full", report, 1.5, "ok")
    metrics.observe_cycle("full", None, 0.2, "failed")
    tracker.set("stripe", ConnectionState.UNAUTHORIZED, "refused")
    samples = _samples(registry)

    assert samples[("crm_cycles_total", (("kind", "full"), ("outcome", "ok")))] == 1
    assert samples[("crm_cycles_total", (("kind", "full"), ("outcome", "failed")))] == 1
    assert samples[("crm_cycle_duration_seconds_count", (("kind", "full"),))] == 2
    assert samples[("crm_cycle_duration_seconds_sum", (("kind", "full"),))] == 1.7
    assert samples[("crm_records_read_total", (("object", "Opportunity"),
                                               ("system", "salesforce")))] == 3
    assert samples[("crm_records_written_total", (("object", "Subscription__c"),
                                                  ("system", "salesforce")))] == 2
    assert samples[("crm_notifications_total", (("outcome", "failed"),))] == 1
    assert samples[("crm_connection_state", (("state", "UNAUTHORIZED"),
                                             ("system", "stripe")))] == 1
    assert samples[("crm_connection_state", (("state", "IDLE"), ("system", "stripe")))] == 0
    assert samples[("crm_connection_state", (("state", "IDLE"),
                                             ("system", "salesforce")))] == 1
