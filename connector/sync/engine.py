"""One sync cycle: read Salesforce, apply the workflows, dispatch the outbox, notify.

Order within a cycle: opportunities → potential subscriptions; ``Subscription__c`` edits →
ledger, activations and lifecycle changes; Stripe subscription events → ledger; Stripe
activations; Stripe lifecycle updates; Salesforce writes; emails. Each read commits
with its cursor; each effect is delivered from the outbox. A spent Salesforce budget pauses
the Salesforce steps only; a transient failure leaves the step for the next cycle; a fatal
error stops the cycle.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy.orm import Session, sessionmaker

from connector.billing.client import StripeGateway
from connector.clock import Clock
from connector.config import Config
from connector.errors import BudgetExhaustedError, RetriableError
from connector.mapping import MappingSet
from connector.notify.mailer import SmtpMailer
from connector.notify.templates import TemplateRenderer
from connector.salesforce.client import SalesforceClient
from connector.salesforce.reader import Cursor, Stream
from connector.sync.activation import Activated, Activations
from connector.sync.lifecycle_dispatch import LifecycleUpdates, Updated
from connector.sync.lifecycle_edits import LifecycleEdits
from connector.sync.notifications import Notifications, Sent
from connector.sync.potential import Generated, PotentialSubscriptions
from connector.sync.salesforce_writes import SalesforceWrites, Written
from connector.sync.stripe_events import STREAM as STRIPE_STREAM
from connector.sync.stripe_events import EventCursor, EventsApplied, StripeEvents
from connector.sync.subscriptions import Applied, SubscriptionEdits
from connector.sync.unit_of_work import Ledger, UnitOfWork

log = structlog.get_logger(__name__)


class ReadStep(Protocol):
    """A step that reads one Salesforce stream and applies it to the ledger."""

    @property
    def stream(self) -> Stream:
        """The stream read (its name keys the cursor)."""
        ...

    def read(self, cursor: Cursor, signpost: datetime) -> tuple[list[Any], Cursor]:
        """Read what changed since ``cursor``, without touching the ledger."""
        ...

    def apply(self, uow: UnitOfWork, rows: list[Any]) -> Any:
        """Apply what was read inside the open transaction."""
        ...


@dataclass
class CycleReport:
    """What one cycle did; logged as the run's canonical line."""

    run_id: str
    generated: Generated = field(default_factory=Generated)
    edits: Applied = field(default_factory=Applied)
    events: EventsApplied = field(default_factory=EventsApplied)
    activated: Activated = field(default_factory=Activated)
    updated: Updated = field(default_factory=Updated)
    written: Written = field(default_factory=Written)
    sent: Sent = field(default_factory=Sent)
    paused: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Flat counts for the log line."""
        return {
            "run_id": self.run_id,
            "opportunities_read": self.generated.opportunities_read,
            "potential_subscriptions": len(self.generated.subscriptions),
            "subscription_edits": self.edits.changed,
            "activations_queued": self.edits.activations,
            "stripe_events_applied": self.events.applied,
            "stripe_customers": len(self.activated.customers),
            "stripe_subscriptions": len(self.activated.subscriptions),
            "stripe_updates": self.updated.delivered,
            "conflicts": self.edits.conflicts,
            "salesforce_records_written": self.written.records,
            "emails_sent": len(self.sent.sent),
            "dead_letters": (self.generated.dead_letters + self.edits.dead_letters
                             + self.events.dead_letters + self.activated.dead_letters
                             + self.updated.dead_letters
                             + self.written.dead_letters + self.sent.failed),
            "paused": self.paused, "deferred": self.deferred,
        }


@dataclass
class Services:
    """The clients a cycle uses; built once per process (see :mod:`connector.sync.wiring`)."""

    salesforce: SalesforceClient
    stripe: StripeGateway
    mailer: SmtpMailer
    renderer: TemplateRenderer
    record_url_base: str | None = None


class SyncEngine:
    """Runs sync cycles against the ledger with the given services and mappings."""

    def __init__(self, config: Config, sessions: sessionmaker[Session], clock: Clock,
                 services: Services, mappings: MappingSet) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.services = services
        self.mappings = mappings

    def run_cycle(self) -> CycleReport:
        """Run one full cycle and return what it did.

        Raises:
            FatalError: a failure that retrying cannot fix (bad credentials, ...).
        """
        report = CycleReport(uuid.uuid4().hex[:12])
        ledger = Ledger(self.sessions, self.clock, report.run_id)
        with structlog.contextvars.bound_contextvars(run_id=report.run_id):
            self._salesforce_reads(ledger, report)
            self._guarded("stripe", report, lambda: self._stripe_reads(ledger, report))
            self._guarded("stripe", report, lambda: self._activate(ledger, report))
            self._guarded("stripe", report, lambda: self._update_stripe(ledger, report))
            self._guarded("salesforce", report, lambda: self._write(ledger, report))
            self._guarded("email", report, lambda: self._notify(ledger, report))
            log.info("sync run finished", **report.summary())
        return report

    def _salesforce_reads(self, ledger: Ledger, report: CycleReport) -> None:
        signpost = self.clock.now()
        salesforce = self.services.salesforce
        potential = PotentialSubscriptions(salesforce, self.mappings.opportunity_to_subscription)
        edits = SubscriptionEdits(salesforce, LifecycleEdits(self.mappings, self.config.stripe),
                                  self.mappings.stripe_to_subscription)
        self._guarded("salesforce", report, lambda: setattr(
            report, "generated", _read(ledger, potential, signpost)))
        self._guarded("salesforce", report, lambda: setattr(
            report, "edits", _read(ledger, edits, signpost)))

    def _stripe_reads(self, ledger: Ledger, report: CycleReport) -> None:
        events = StripeEvents(self.services.stripe, self.mappings, self.clock)
        with ledger.unit() as uow:
            cursor = EventCursor.loads(uow.cursor(STRIPE_STREAM))
        read, advanced = events.read(cursor)
        with ledger.unit() as uow:
            report.events = events.apply(uow, read)
            uow.set_cursor(STRIPE_STREAM, advanced.dumps())

    def _activate(self, ledger: Ledger, report: CycleReport) -> None:
        report.activated = Activations(ledger, self.services.stripe, self.mappings,
                                       self.config.stripe).dispatch()

    def _update_stripe(self, ledger: Ledger, report: CycleReport) -> None:
        report.updated = LifecycleUpdates(ledger, self.services.stripe, self.mappings).dispatch()

    def _write(self, ledger: Ledger, report: CycleReport) -> None:
        report.written = SalesforceWrites(ledger, self.services.salesforce).dispatch()

    def _notify(self, ledger: Ledger, report: CycleReport) -> None:
        report.sent = Notifications(ledger, self.services.mailer, self.services.renderer,
                                    self._record_url).dispatch()

    def _record_url(self, sobject: str, record_id: str) -> str:
        base = self.services.record_url_base or self.services.salesforce.instance_url
        return f"{base.rstrip('/')}/lightning/r/{sobject}/{record_id}/view"

    def _guarded(self, system: str, report: CycleReport, step: Any) -> None:
        if system in report.paused:
            return
        try:
            step()
        except BudgetExhaustedError as exc:
            log.warning("pausing system: API budget reached", system=system, reason=str(exc))
            report.paused.append(system)
        except RetriableError as exc:
            log.warning("step deferred to the next cycle", system=system, error=str(exc))
            report.deferred.append(system)


def _read(ledger: Ledger, step: ReadStep, signpost: datetime) -> Any:
    name = step.stream.name
    with ledger.unit() as uow:
        cursor = Cursor.loads(uow.cursor(name))
    rows, advanced = step.read(cursor, signpost)
    with ledger.unit() as uow:
        result = step.apply(uow, rows)
        uow.set_cursor(name, advanced.dumps())
    return result
