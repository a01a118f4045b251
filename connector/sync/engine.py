"""One sync cycle: read Salesforce, apply the workflows, dispatch the outbox, notify.

Order within a cycle: opportunities → potential subscriptions; ``Subscription__c`` edits →
ledger, activations and lifecycle changes; Stripe ``/v1/events`` backstop → inbox (or
reconciliation past the 30-day window), then pending inbox events (webhooks too) → ledger;
Stripe activations; Stripe lifecycle updates; Salesforce writes; emails. Each Salesforce
object's delete check runs before its read. Reads commit chunk by chunk, each chunk with the
cursor covering it (Bulk API 2.0 above ``bulk_threshold``); each effect is delivered from the
outbox. A spent Salesforce budget pauses the Salesforce steps only (one ``/limits`` probe per
cycle notices when it recovers); a transient failure leaves the step for the next cycle; a
fatal error stops the cycle. The cycle's Salesforce calls are added to the day's
``api_usage`` at its end.

A Stripe-only cycle (:meth:`SyncEngine.run_stripe_cycle`) is the same without the Salesforce
reads: the running daemon uses it to apply webhook deliveries as they arrive and to run the
events backstop on its own interval, so neither waits for, or spends, a Salesforce poll.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import structlog
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.config import Config
from connector.dispatch.notifications import Notifications
from connector.dispatch.salesforce_writes import SalesforceWrites
from connector.dispatch.stripe_activation import Activations
from connector.dispatch.stripe_lifecycle import LifecycleUpdates
from connector.dispatch.webhooks import WebhookDispatch
from connector.errors import BudgetExhaustedError, FatalError, RetriableError
from connector.inbound.stripe.step import StripeInbound
from connector.ledger.database import private_copy
from connector.ledger.models import Cursor as LedgerCursor
from connector.ledger.unit_of_work import Ledger
from connector.ledger.webhook_deliveries import sync_endpoints
from connector.mapping import MappingSet
from connector.notify.urls import SalesforceUrls
from connector.ops.hooks import OpsHooks
from connector.ops.states import first_line
from connector.salesforce.bulk_ingest import BulkUpserts
from connector.salesforce.org import OrgSchema
from connector.sync.api_budget import save_usage
from connector.sync.report import CycleReport
from connector.sync.salesforce_reads import SalesforceReads, requalify
from connector.sync.services import Services
from connector.workflows.notices import CatalogStep

log = structlog.get_logger(__name__)
T = TypeVar("T")


class SyncEngine:
    """Runs sync cycles against the ledger with the given services and mappings."""

    def __init__(self, config: Config, sessions: sessionmaker[Session], clock: Clock,
                 services: Services, mappings: MappingSet) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.services = services
        self.mappings = mappings
        self.org = OrgSchema(services.salesforce)
        """What the org has (describes, Organization record): learnt once per process."""
        self.ops = OpsHooks(sessions, clock)
        """Connection states and metrics around each cycle (:mod:`connector.ops`)."""
        self.reads = SalesforceReads(config, services, self.org, mappings=lambda: self.mappings,
                                     clock=clock, guarded=self._guarded)
        """The Salesforce reading steps (:mod:`connector.sync.salesforce_reads`)."""

    def run_cycle(self, *, list_events: bool = True) -> CycleReport:
        """Run one full cycle and return what it did.

        Args:
            list_events: whether the Stripe step lists ``/v1/events`` first (the backstop);
                without it only the inbox is applied.

        Raises:
            FatalError: a failure that retrying cannot fix (bad credentials, ...).
        """
        return self._run("full", lambda ledger, report: self.read_and_apply(
            ledger, report, list_events=list_events))

    def run_stripe_cycle(self, *, list_events: bool) -> CycleReport:
        """Run a cycle without the Salesforce reads and return what it did.

        It applies the Stripe inbox (after listing ``/v1/events`` when ``list_events``),
        then dispatches what that queued: Stripe corrections, Salesforce writes (batched as
        always, and paused with the budget like any Salesforce call) and emails. Salesforce
        is not polled, so a webhook shows up in Salesforce without waiting for the next poll.

        Raises:
            FatalError: a failure that retrying cannot fix (bad credentials, ...).
        """
        def read(ledger: Ledger, report: CycleReport) -> None:
            self._guarded("stripe", report, lambda: self._stripe_reads(ledger, report,
                                                                       list_events))
            self.reads.summarise(ledger, report)
            self._catalog(ledger)

        return self._run("stripe", read)

    def _run(self, kind: str, read: Callable[[Ledger, CycleReport], object]) -> CycleReport:
        """One cycle; an admin-paused system is skipped, a ledger that cannot be written
        stops it as a :class:`FatalError`."""
        report = CycleReport(uuid.uuid4().hex[:12])
        try:
            start = self.ops.cycle_started(kind)
        except SQLAlchemyError as exc:
            raise _ledger_error(exc) from None
        report.paused.extend(sorted(start.paused))
        try:
            self._cycle(kind, read, report)
        except SQLAlchemyError as exc:
            self.ops.ledger_unavailable(exc)
            self.ops.cycle_failed(start, exc)
            raise _ledger_error(exc) from None
        except FatalError as exc:
            self.ops.cycle_failed(start, exc)
            raise
        self.ops.cycle_finished(start, report)
        return report

    def _cycle(self, kind: str, read: Callable[[Ledger, CycleReport], object],
               report: CycleReport) -> None:
        ledger = Ledger(self.sessions, self.clock, report.run_id)
        with structlog.contextvars.bound_contextvars(run_id=report.run_id):
            with ledger.unit() as uow:  # before the reads: they fan events out to endpoints
                sync_endpoints(uow, self.config.webhooks)
            read(ledger, report)
            self._guarded("stripe", report, lambda: self._activate(ledger, report))
            self._guarded("stripe", report, lambda: self._update_stripe(ledger, report))
            self._guarded("salesforce", report, lambda: self._write(ledger, report))
            self._guarded("email", report, lambda: self._notify(ledger, report))
            if self.services.webhooks is not None:
                report.webhooks = WebhookDispatch(ledger, self.services.webhooks,
                                                  self.clock).dispatch()
            with ledger.unit() as uow:
                save_usage(uow, self.services.salesforce.meter)
            log.info("sync run finished", cycle=kind, **report.summary())

    def read_and_apply(self, ledger: Ledger, report: CycleReport, *,
                       list_events: bool = True) -> None:
        """The cycle's reading steps: read every stream and apply it to ``ledger``.

        They call the APIs only to read; their effects are left queued in the outbox and the
        notifications table for the dispatching steps (and for ``plan`` to show).
        """
        self._guarded("salesforce", report, self.reads.probe_budget)
        self.reads.run(ledger, report)
        self._guarded("stripe", report, lambda: self._stripe_reads(ledger, report, list_events))
        self.reads.summarise(ledger, report)
        self._catalog(ledger)

    def dry_run(self, inspect: Callable[[Ledger, CycleReport], T], *,
                generate_since: date | None = None) -> T:
        """Run the reading steps on a private copy of the ledger, thrown away afterwards.

        The copy (:func:`~connector.ledger.database.private_copy`) means the steps' network
        calls never hold the real ledger's write lock: webhooks are acknowledged and the
        daemon's cycles run while a plan is computed.

        Args:
            inspect: called with the ledger as the reading steps left it (and what they
                did) before the rollback; its result is returned.
            generate_since: also generate for the history won on or after this day (what
                ``backfill --generate-since`` would add).
        """
        report = CycleReport(uuid.uuid4().hex[:12])
        with private_copy(self.sessions) as sessions, \
                structlog.contextvars.bound_contextvars(run_id=report.run_id, dry_run=True):
            ledger = Ledger(sessions, self.clock, report.run_id)
            if generate_since is not None:
                requalify(ledger, generate_since)
            self.read_and_apply(ledger, report)
            return inspect(ledger, report)

    def backfill(self, *, generate_since: date | None = None) -> CycleReport:
        """Forget every Salesforce cursor, then run a cycle that re-reads everything.

        Reads above ``bulk_threshold`` go through Bulk API 2.0; delete checks reconcile the
        full id sets. Applying what is already in the ledger changes nothing, so a backfill
        creates no duplicates and writes nothing that does not differ.

        Args:
            generate_since: opportunities kept as history that were won on or after this
                day generate their potential subscriptions in this cycle.
        """
        ledger = Ledger(self.sessions, self.clock, "backfill")
        if generate_since is not None:
            requalified = requalify(ledger, generate_since)
            log.info("history to generate", since=generate_since.isoformat(),
                     opportunities=requalified)
        with ledger.unit() as uow:
            uow.session.execute(delete(LedgerCursor).where(
                LedgerCursor.stream.like("salesforce.%")))
        return self.run_cycle()

    def _stripe_reads(self, ledger: Ledger, report: CycleReport, list_events: bool) -> None:
        report.events = StripeInbound(ledger, self.services.stripe, self.mappings,
                                      self.clock).run(list_events=list_events)

    def _activate(self, ledger: Ledger, report: CycleReport) -> None:
        report.activated = Activations(ledger, self.services.stripe, self.mappings,
                                       self.config.stripe).dispatch()

    def _update_stripe(self, ledger: Ledger, report: CycleReport) -> None:
        report.updated = LifecycleUpdates(ledger, self.services.stripe, self.mappings).dispatch()

    def _write(self, ledger: Ledger, report: CycleReport) -> None:
        salesforce = self.services.salesforce
        bulk = BulkUpserts(salesforce, self.config.salesforce.bulk_write_threshold)
        licence = self.mappings.license
        report.written = SalesforceWrites(
            ledger, salesforce, bulk, self.mappings.subscription_fields, self.org,
            account_names=licence.account_fields if licence else None).dispatch()

    def _catalog(self, ledger: Ledger) -> None:
        """The notification catalog queues what the facts read announce (ledger only)."""
        CatalogStep(self.config.notifications).run(ledger)

    def _notify(self, ledger: Ledger, report: CycleReport) -> None:
        CatalogStep(self.config.notifications).run(ledger, connections=True)
        base = self.services.record_url_base or self.services.salesforce.instance_url
        list_view = self.config.notifications.potential_list_view
        report.sent = Notifications(ledger, self.services.mailer, self.services.renderer,
                                    SalesforceUrls(base), list_view=list_view,
                                    branding=self.config.notifications.branding).dispatch()

    def _guarded(self, system: str, report: CycleReport, step: Any) -> bool:
        """Run ``step``; a spent budget pauses ``system``, a transient failure defers it.

        Returns:
            Whether the step ran to its end.
        """
        if system in report.paused:
            return False
        try:
            step()
        except BudgetExhaustedError as exc:
            log.warning("pausing system: API budget reached", system=system, reason=str(exc))
            report.paused.append(system)
            report.reasons[system] = str(exc)
            self.ops.step_failed(system, exc)
            return False
        except RetriableError as exc:
            log.warning("step deferred to the next cycle", system=system, error=str(exc))
            report.deferred.append(system)
            report.reasons[system] = str(exc)
            self.ops.step_failed(system, exc)
            return False
        except FatalError as exc:
            self.ops.step_failed(system, exc)
            raise
        return True


def _ledger_error(exc: SQLAlchemyError) -> FatalError:
    return FatalError(f"the ledger cannot be used: {first_line(exc)}")


