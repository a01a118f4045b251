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

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

import structlog
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.billing.client import StripeGateway
from connector.clock import Clock
from connector.config import Config
from connector.dispatch.notifications import Notifications, Sent
from connector.dispatch.salesforce_writes import SalesforceWrites, Written
from connector.dispatch.stripe_activation import Activated, Activations
from connector.dispatch.stripe_lifecycle import LifecycleUpdates, Updated
from connector.errors import BudgetExhaustedError, FatalError, RetriableError
from connector.inbound.salesforce.deletions import DeleteChecks, Deleted
from connector.inbound.salesforce.licences import ENTITY as LICENCE_ENTITY
from connector.inbound.salesforce.licences import LicenceReads, LicencesApplied
from connector.inbound.salesforce.opportunities import (
    Cutoff,
    Generated,
    LineItemReads,
    OpportunityReads,
    won_day,
)
from connector.inbound.stripe.backstop import EventsApplied
from connector.inbound.stripe.step import StripeInbound
from connector.ledger import daemon_state
from connector.ledger.daemon_state import install_moment
from connector.ledger.database import private_copy
from connector.ledger.licences import Licence
from connector.ledger.models import Cursor as LedgerCursor
from connector.ledger.models import Generation, Opportunity
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.mapping import MappingSet
from connector.notify.mailer import SmtpMailer
from connector.notify.templates import TemplateRenderer
from connector.notify.urls import SalesforceUrls
from connector.ops.hooks import OpsHooks
from connector.ops.states import first_line
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.bulk_ingest import BulkUpserts
from connector.salesforce.client import SalesforceClient
from connector.salesforce.org import OrgSchema
from connector.salesforce.progress import NO_PROGRESS, ReadProgress
from connector.salesforce.reader import Cursor, Stream
from connector.sync.api_budget import save_usage
from connector.workflows.licence_summary import LicenceSummaries, SummariesApplied
from connector.workflows.lifecycle_edits import LifecycleEdits
from connector.workflows.notices import CatalogStep
from connector.workflows.potential import PotentialSubscriptions
from connector.workflows.subscription_edits import Applied, SubscriptionEdits

log = structlog.get_logger(__name__)
T = TypeVar("T")
ORG_OBJECTS = ("Opportunity", "OpportunityLineItem", "Subscription__c", "Account", "Product2",
               "User")
"""Described at the first cycle, in one call: the polled objects and their parents."""


class ReadStep(Protocol):
    """A step that reads one Salesforce stream and applies it to the ledger."""

    @property
    def stream(self) -> Stream:
        """The stream read (its name keys the cursor)."""
        ...

    def problems(self) -> list[str]:
        """Why the org cannot be read as this stream needs (``file: key: reason`` lines)."""
        ...

    def batches(self, cursor: Cursor, signpost: datetime) -> Iterator[tuple[list[Any], Cursor]]:
        """:meth:`read` in chunks, each with the cursor that covers it."""
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
    licences: LicencesApplied = field(default_factory=LicencesApplied)
    summaries: SummariesApplied = field(default_factory=SummariesApplied)
    deleted: int = 0
    paused: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    """Why each paused or deferred system stopped, by system."""

    def summary(self) -> dict[str, Any]:
        """Flat counts for the log line."""
        return {
            "run_id": self.run_id,
            "opportunities_read": self.generated.opportunities_read,
            "line_items_read": self.generated.line_items_read,
            "history_imported": self.generated.history,
            "potential_subscriptions": len(self.generated.subscriptions),
            "subscription_edits": self.edits.changed,
            "activations_queued": self.edits.activations,
            "stripe_events_read": self.events.read,
            "stripe_events_applied": self.events.applied,
            "stripe_objects_reconciled": self.events.reconciled,
            "stripe_customers": len(self.activated.customers),
            "stripe_subscriptions": len(self.activated.subscriptions),
            "stripe_updates": self.updated.delivered,
            "conflicts": self.edits.conflicts,
            "licences_read": self.licences.read,
            "account_summaries_changed": self.summaries.changed,
            "licence_facts": self.summaries.facts,
            "salesforce_records_written": self.written.records,
            "salesforce_records_deleted": self.deleted,
            "emails_sent": len(self.sent.sent),
            "dead_letters": (self.generated.dead_letters + self.edits.dead_letters
                             + self.events.dead_letters + self.activated.dead_letters
                             + self.updated.dead_letters + self.licences.dead_letters
                             + self.written.dead_letters + self.sent.failed),
            "paused": self.paused, "deferred": self.deferred, "refused": len(self.refused),
            **({"reasons": self.reasons} if self.reasons else {}),
        }


@dataclass
class Services:
    """The clients a cycle uses; built once per process (see :mod:`connector.sync.wiring`)."""

    salesforce: SalesforceClient
    stripe: StripeGateway
    mailer: SmtpMailer
    renderer: TemplateRenderer
    record_url_base: str | None = None
    progress: ReadProgress = NO_PROGRESS
    """Where large Salesforce reads report their progress (the CLI's bar; nothing otherwise)."""


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
        self._refused: dict[str, tuple[str, ...]] = {}
        self.ops = OpsHooks(sessions, clock)
        """Connection states and metrics around each cycle (:mod:`connector.ops`)."""
        self._licences_tracked = False
        """Whether the last Salesforce read found the licence object (license.toml)."""

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
            self._summarise(ledger, report)

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
            read(ledger, report)
            self._guarded("stripe", report, lambda: self._activate(ledger, report))
            self._guarded("stripe", report, lambda: self._update_stripe(ledger, report))
            self._guarded("salesforce", report, lambda: self._write(ledger, report))
            self._guarded("email", report, lambda: self._notify(ledger, report))
            with ledger.unit() as uow:
                save_usage(uow, self.services.salesforce.meter)
            log.info("sync run finished", cycle=kind, **report.summary())

    def read_and_apply(self, ledger: Ledger, report: CycleReport, *,
                       list_events: bool = True) -> None:
        """The cycle's reading steps: read every stream and apply it to ``ledger``.

        They call the APIs only to read; their effects are left queued in the outbox and the
        notifications table for the dispatching steps (and for ``plan`` to show).
        """
        self._guarded("salesforce", report, self._probe_budget)
        self._salesforce_reads(ledger, report)
        self._guarded("stripe", report, lambda: self._stripe_reads(ledger, report, list_events))
        self._summarise(ledger, report)

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

    def _probe_budget(self) -> None:
        """While the budget is spent, learn from one /limits call whether usage has fallen."""
        meter = self.services.salesforce.meter
        if meter.paused:
            self.services.salesforce.probe_usage()
            meter.check()

    def _salesforce_reads(self, ledger: Ledger, report: CycleReport) -> None:
        """Opportunities, their line items, generation, then ``Subscription__c`` edits.

        What the org has is learnt first (describes and the Organization record, one call
        the first time). A stream that needs a field the org lacks is refused with the
        mapping file, key and reason; the other streams go on.
        """
        signpost = self.clock.now()
        if not self._guarded("salesforce", report, self._know_org):
            return
        salesforce, org = self.services.salesforce, self.org
        bulk = BulkQueries(salesforce, self.config.salesforce.bulk_threshold,
                           describe=org.describe, progress=self.services.progress)
        mapping = self.mappings.opportunity_to_subscription.with_organization(org.organization)
        opportunities = OpportunityReads(salesforce, mapping, self._cutoff(ledger, signpost),
                                         org, bulk)
        line_items = LineItemReads(salesforce, mapping, org, bulk)
        edits = SubscriptionEdits(salesforce, bulk,
                                  LifecycleEdits(self.mappings, self.config.stripe),
                                  self.mappings.stripe_to_subscription,
                                  self.mappings.subscription_fields, org=org)
        # Generation needs both streams read this cycle (a deal's line items come second).
        read = self._read_stream(ledger, report, opportunities, signpost, deletes=bulk) and (
            mapping.per == "opportunity"
            or self._read_stream(ledger, report, line_items, signpost))
        if read:
            self._guarded("salesforce", report, lambda: self._add_generated(
                report, PotentialSubscriptions(salesforce, mapping).run(ledger)))
        self._read_stream(ledger, report, edits, signpost, deletes=bulk)
        self._read_licences(ledger, report, signpost, bulk)
        self._publish_refusals(ledger, report)

    def _read_stream(self, ledger: Ledger, report: CycleReport, step: ReadStep,
                     signpost: datetime, *, deletes: BulkQueries | None = None,
                     slot: str | None = None, entity: tuple[type[Any], str] | None = None,
                     ) -> bool:
        """Check, read and apply one stream (after its delete check when ``deletes`` gives
        the bulk reader for it, soft-deleting ``entity``); whether it completed. The result
        goes to the report's ``slot``."""
        problems = step.problems()
        if problems:
            self._refuse(step.stream.sobject, problems, report)
            return False
        sobject = step.stream.sobject
        if deletes is not None:
            interval = timedelta(seconds=self.config.salesforce.deletes_interval)
            checks = DeleteChecks(self.services.salesforce, sobject, interval, deletes, entity)
            if not self._guarded("salesforce", report, lambda: self._count_deleted(
                    report, checks.run(ledger, signpost))):
                return False
        slot = slot or ("edits" if sobject == "Subscription__c" else "generated")
        return self._guarded("salesforce", report, lambda: self._add_read(
            report, slot, _read(ledger, step, signpost)))

    def _know_org(self) -> None:
        self.org.want_organization_fields(
            self.mappings.opportunity_to_subscription.organization_fields())
        licence = self.mappings.license
        self.org.prefetch((*ORG_OBJECTS, *([licence.sobject] if licence else [])))

    def _read_licences(self, ledger: Ledger, report: CycleReport, signpost: datetime,
                       bulk: BulkQueries) -> None:
        """Read the licence object of license.toml where the org has it; say in
        ``daemon_state`` whether licences are tracked, and why not."""
        mapping = self.mappings.license
        step = LicenceReads(self.services.salesforce, mapping, self.org, bulk) \
            if mapping else None
        problems = step.problems() if step else [
            "license.toml is not in the mappings folder"]
        self._licences_tracked = not problems
        if step is not None and not problems:
            self._read_stream(ledger, report, step, signpost, deletes=bulk, slot="licences",
                              entity=(Licence, LICENCE_ENTITY))
        writes = LicenceSummaries(mapping, self.org).problems() if mapping and not problems \
            else []
        daemon_state.publish(ledger.sessions, daemon_state.LICENCES, {
            "tracked": not problems, "object": mapping.sobject if mapping else None,
            "reasons": problems, "write_back": writes}, self.clock.now())

    def _summarise(self, ledger: Ledger, report: CycleReport) -> None:
        """The customer summaries, while licences are tracked (ledger only, no API call);
        then the notification catalog queues what the facts read announce."""
        if self._licences_tracked and self.mappings.license is not None:
            report.summaries = LicenceSummaries(self.mappings.license, self.org).run(ledger)
        CatalogStep(self.config.notifications).run(ledger)

    def _refuse(self, sobject: str, problems: list[str], report: CycleReport) -> None:
        report.refused.extend(problems)
        if tuple(problems) != self._refused.get(sobject):
            log.error("stream refused: the org lacks fields the mappings read; the other "
                      "streams go on", sobject=sobject, problems=problems)
        self._refused[sobject] = tuple(problems)

    def _publish_refusals(self, ledger: Ledger, report: CycleReport) -> None:
        """Keep the cycle's refusals in ``daemon_state`` for ``status`` (cleared when none)."""
        shown = daemon_state.get(ledger.sessions, daemon_state.STREAMS_REFUSED)
        if (shown or {}).get("problems", []) == report.refused:
            return
        value = {"problems": report.refused, "at": self.clock.now().isoformat()} \
            if report.refused else None
        daemon_state.put(ledger.sessions, daemon_state.STREAMS_REFUSED, value, self.clock.now())

    def _cutoff(self, ledger: Ledger, signpost: datetime) -> Cutoff:
        since = self.config.sync
        if since.generate_since == "all":
            return Cutoff()
        if since.since_date is not None:
            return Cutoff(day=since.since_date)
        return Cutoff(moment=install_moment(ledger.sessions, signpost))

    @staticmethod
    def _add_read(report: CycleReport, slot: str, result: Any) -> None:
        if result is None:
            return
        current = getattr(report, slot)
        setattr(report, slot, _combined(current, result) if slot == "generated" else result)

    @staticmethod
    def _add_generated(report: CycleReport, generated: Generated) -> None:
        report.generated = _combined(report.generated, generated)

    @staticmethod
    def _count_deleted(report: CycleReport, deleted: Deleted) -> None:
        report.deleted += deleted.deleted

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


def requalify(ledger: Ledger, since: date) -> int:
    """Make history won on or after ``since`` pending again; return how many opportunities."""
    with ledger.unit() as uow:
        history = uow.session.scalars(select(Opportunity).where(
            Opportunity.generation == Generation.HISTORY, Opportunity.deleted_at.is_(None)))
        chosen = [o for o in history if o.record and won_day(o.record) >= since]
        for opportunity in chosen:
            opportunity.generation = Generation.PENDING
    return len(chosen)


def _read(ledger: Ledger, step: ReadStep, signpost: datetime) -> Any:
    """Read ``step``'s stream chunk by chunk; each chunk commits with the cursor covering it."""
    name = step.stream.name
    with ledger.unit() as uow:
        cursor = Cursor.loads(uow.cursor(name))
    total = None
    for rows, advanced in step.batches(cursor, signpost):
        with ledger.unit() as uow:
            result = step.apply(uow, rows)
            uow.set_cursor(name, advanced.dumps())
        total = result if total is None else _combined(total, result)
    return total


def _combined(first: Any, second: Any) -> Any:
    """Two step results (dataclasses of counts and lists) added field by field."""
    for item in dataclasses.fields(first):
        setattr(first, item.name, getattr(first, item.name) + getattr(second, item.name))
    return first
