"""Prometheus metrics, registered on a :class:`CollectorRegistry` passed in (no global one).

Counted as things happen (:class:`SyncMetrics`): cycles by kind and outcome, cycle
duration, records read and written per object, notifications sent and failed, webhook
acknowledgements and their latency, outbound webhook deliveries by outcome. Read at scrape
time by custom collectors: the ledger's outbox depth and oldest pending age by target, open
dead letters and conflicts (one cheap query each, :class:`LedgerCollector`); Salesforce API
calls and the org's remaining allocation, Stripe requests and 429s (:class:`ClientCollector`);
each system's connection state (:class:`StateCollector`). Labels take few values (kind,
object, target, state).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.ledger.models import (
    Conflict,
    ConflictStatus,
    ConnectionState,
    DeadLetter,
    DeadLetterStatus,
    OutboxOperation,
    OutboxStatus,
)
from connector.ops.states import ConnectionStates

if TYPE_CHECKING:
    from connector.sync.report import CycleReport
from connector.sync.services import Services

ASGIApp = Callable[..., Any]
CYCLE_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class SyncMetrics:
    """The counters and histograms the daemon updates, on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.cycles = Counter("crm_cycles", "Sync cycles run, by kind and outcome",
                              ["kind", "outcome"], registry=registry)
        self.cycle_seconds = Histogram("crm_cycle_duration_seconds", "Duration of a sync cycle",
                                       ["kind"], buckets=CYCLE_BUCKETS, registry=registry)
        self.read = Counter("crm_records_read", "Records read, by system and object",
                            ["system", "object"], registry=registry)
        self.written = Counter("crm_records_written", "Records written, by system and object",
                               ["system", "object"], registry=registry)
        self.notifications = Counter("crm_notifications", "Emails sent or failed",
                                     ["outcome"], registry=registry)
        self.webhooks = Counter("crm_webhook_requests", "Stripe webhook deliveries answered, "
                                "by status class", ["status"], registry=registry)
        self.webhook_seconds = Histogram("crm_webhook_ack_duration_seconds",
                                         "Time to answer a Stripe webhook delivery",
                                         buckets=ACK_BUCKETS, registry=registry)
        self.outbound = Counter("crm_outbound_webhook_deliveries",
                                "Outbound webhook delivery attempts, by outcome (delivered, "
                                "retried, failed, disabled, skipped)", ["outcome"],
                                registry=registry)

    def observe_cycle(self, kind: str, report: CycleReport | None, seconds: float,
                      outcome: str) -> None:
        """Count one cycle (``report`` None when it failed before reporting)."""
        self.cycles.labels(kind, outcome).inc()
        self.cycle_seconds.labels(kind).observe(seconds)
        if report is None:
            return
        for (system, sobject), count in _records(report, read=True).items():
            self.read.labels(system, sobject).inc(count)
        for (system, sobject), count in _records(report, read=False).items():
            self.written.labels(system, sobject).inc(count)
        self.notifications.labels("sent").inc(len(report.sent.sent))
        self.notifications.labels("failed").inc(report.sent.failed)
        for result, count in report.webhooks.counts().items():
            self.outbound.labels(result).inc(count)
        self.notifications.labels("deferred").inc(report.sent.deferred)

    def webhook_timer(self, app: ASGIApp) -> ASGIApp:
        """``app`` (the webhook receiver) with each POST's answer counted and timed."""
        async def timed(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope.get("method") != "POST":
                await app(scope, receive, send)
                return
            started, status = time.monotonic(), [500]

            async def sending(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    status[0] = int(message["status"])
                await send(message)
            try:
                await app(scope, receive, sending)
            finally:
                self.webhooks.labels(f"{status[0] // 100}xx").inc()
                self.webhook_seconds.observe(time.monotonic() - started)
        return timed


def _records(report: CycleReport, *, read: bool) -> dict[tuple[str, str], int]:
    if read:
        counts = {("salesforce", "Opportunity"): report.generated.opportunities_read,
                  ("salesforce", "OpportunityLineItem"): report.generated.line_items_read,
                  ("salesforce", "Subscription__c"): report.edits.read,
                  ("stripe", "event"): report.events.read}
    else:
        counts = {("salesforce", "Subscription__c"): report.written.records,
                  ("stripe", "customer"): len(report.activated.customers),
                  ("stripe", "subscription"): len(report.activated.subscriptions)
                  + report.updated.delivered}
    return {key: count for key, count in counts.items() if count}


class LedgerCollector(Collector):
    """Gauges read from the ledger at scrape time, one query each.

    ``crm_ledger_up`` is 0 (and the others absent) when the ledger does not answer.
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        """The ledger gauges."""
        up = GaugeMetricFamily("crm_ledger_up", "Whether the ledger answered the scrape")
        try:
            with self._sessions() as session:
                families = [*self._outbox(session), self._open(session)]
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for family in families:
            yield from family

    def _outbox(self, session: Session) -> list[list[Metric]]:
        depth = GaugeMetricFamily("crm_outbox_pending", "Outbox operations waiting, by target",
                                  labels=["target"])
        age = GaugeMetricFamily("crm_outbox_oldest_pending_age_seconds",
                                "Age of the oldest waiting outbox operation, by target",
                                labels=["target"])
        now = self._clock.now()
        rows = session.execute(select(OutboxOperation.target, func.count(),
                                      func.min(OutboxOperation.created_at))
                               .where(OutboxOperation.status == OutboxStatus.PENDING)
                               .group_by(OutboxOperation.target))
        for target, count, oldest in rows:
            depth.add_metric([target], count)
            age.add_metric([target], max(0.0, (now - oldest).total_seconds()))
        return [[depth, age]]

    @staticmethod
    def _open(session: Session) -> list[Metric]:
        letters = session.scalar(select(func.count()).select_from(DeadLetter).where(
            DeadLetter.status == DeadLetterStatus.OPEN)) or 0
        conflicts = session.scalar(select(func.count()).select_from(Conflict).where(
            Conflict.status == ConflictStatus.OPEN)) or 0
        return [GaugeMetricFamily("crm_dead_letters_open", "Open dead letters", value=letters),
                GaugeMetricFamily("crm_conflicts_open", "Open conflicts", value=conflicts)]


class ClientCollector(Collector):
    """The API clients' own counts: Salesforce calls and allocation, Stripe requests."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterator[Metric]:
        """The client counters and the org's allocation."""
        meter = self._services.salesforce.meter
        yield CounterMetricFamily("crm_salesforce_api_calls", "Salesforce API calls made",
                                  value=meter.total_calls)
        if meter.limit is not None and meter.used is not None:
            yield GaugeMetricFamily("crm_salesforce_api_remaining",
                                    "The org's remaining daily API allocation",
                                    value=max(meter.limit - meter.used, 0))
            yield GaugeMetricFamily("crm_salesforce_api_limit",
                                    "The org's daily API allocation", value=meter.limit)
        transport = self._services.stripe.transport
        yield CounterMetricFamily("crm_stripe_requests", "Stripe API requests made",
                                  value=transport.total_calls)
        yield CounterMetricFamily("crm_stripe_rate_limited", "Stripe answers 429",
                                  value=transport.rate_limited)


class StateCollector(Collector):
    """``crm_connection_state{system, state}``: 1 for each system's current state."""

    def __init__(self, states: ConnectionStates) -> None:
        self._states = states

    def collect(self) -> Iterator[Metric]:
        """One gauge per system and state."""
        gauge = GaugeMetricFamily("crm_connection_state",
                                  "Connection state per system (1 = current)",
                                  labels=["system", "state"])
        for system, connection in self._states.current().items():
            for state in ConnectionState:
                gauge.add_metric([system, state.value], int(connection.state == state))
        yield gauge
