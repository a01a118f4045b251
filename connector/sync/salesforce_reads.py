"""The cycle's Salesforce reading steps: opportunities, line items, generation,
``Subscription__c`` edits and licences, each stream checked against the org, delete-checked,
read chunk by chunk and applied to the ledger.

A stream that needs a field the org lacks is refused with the mapping file, key and reason
(kept in ``daemon_state`` for ``status``); the other streams go on. Each chunk commits with
the cursor covering it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import select

from connector.clock import Clock
from connector.config import Config
from connector.inbound.salesforce.contacts import OBJECTS as CONTACT_OBJECTS
from connector.inbound.salesforce.deletions import DeleteChecks, Deleted
from connector.inbound.salesforce.licences import ENTITY as LICENCE_ENTITY
from connector.inbound.salesforce.licences import LicenceReads
from connector.inbound.salesforce.opportunities import (
    Cutoff,
    Generated,
    LineItemReads,
    OpportunityReads,
    won_day,
)
from connector.ledger import daemon_state
from connector.ledger.daemon_state import install_moment
from connector.ledger.licences import Licence
from connector.ledger.models import Generation, Opportunity
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.mapping import MappingSet
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.org import OrgSchema
from connector.salesforce.reader import Cursor, Stream
from connector.sync.report import CycleReport, combined
from connector.sync.services import Services
from connector.workflows.licence_summary import LicenceSummaries
from connector.workflows.lifecycle_edits import LifecycleEdits
from connector.workflows.potential import PotentialSubscriptions
from connector.workflows.subscription_edits import SubscriptionEdits

log = structlog.get_logger(__name__)
ORG_OBJECTS = ("Opportunity", "OpportunityLineItem", "Subscription__c", "Account", "Product2",
               "User", *CONTACT_OBJECTS)
"""Described at the first cycle, in one call: the polled objects and their parents, and the
primary contacts' objects."""


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


Guard = Callable[[str, CycleReport, Any], bool]
"""Runs a step for a system; whether it ran to its end (see ``SyncEngine._guarded``)."""


class SalesforceReads:
    """The Salesforce reading steps of a cycle, with what they remember between cycles
    (which streams were refused, whether licences are tracked)."""

    def __init__(self, config: Config, services: Services, org: OrgSchema, *,
                 mappings: Callable[[], MappingSet], clock: Clock, guarded: Guard) -> None:
        self.config = config
        self.services = services
        self.org = org
        self._mappings = mappings
        self.clock = clock
        self.guarded = guarded
        self._refused: dict[str, tuple[str, ...]] = {}
        self._licences_tracked = False
        """Whether the last read found the licence object (license.toml)."""

    @property
    def mappings(self) -> MappingSet:
        """The mappings in force (hot reload replaces them between cycles)."""
        return self._mappings()

    def probe_budget(self) -> None:
        """While the budget is spent, learn from one /limits call whether usage has fallen."""
        meter = self.services.salesforce.meter
        if meter.paused:
            self.services.salesforce.probe_usage()
            meter.check()

    def run(self, ledger: Ledger, report: CycleReport) -> None:
        """Opportunities, their line items, generation, then ``Subscription__c`` edits.

        What the org has is learnt first (describes and the Organization record, one call
        the first time). A stream that needs a field the org lacks is refused with the
        mapping file, key and reason; the other streams go on.
        """
        signpost = self.clock.now()
        if not self.guarded("salesforce", report, self._know_org):
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
            self.guarded("salesforce", report, lambda: self._add_generated(
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
            if not self.guarded("salesforce", report, lambda: self._count_deleted(
                    report, checks.run(ledger, signpost))):
                return False
        slot = slot or ("edits" if sobject == "Subscription__c" else "generated")
        return self.guarded("salesforce", report, lambda: self._add_read(
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

    def summarise(self, ledger: Ledger, report: CycleReport) -> None:
        """The customer summaries, while licences are tracked (ledger only, no API call)."""
        if self._licences_tracked and self.mappings.license is not None:
            report.summaries = LicenceSummaries(self.mappings.license, self.org).run(ledger)

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
        setattr(report, slot, combined(current, result) if slot == "generated" else result)

    @staticmethod
    def _add_generated(report: CycleReport, generated: Generated) -> None:
        report.generated = combined(report.generated, generated)

    @staticmethod
    def _count_deleted(report: CycleReport, deleted: Deleted) -> None:
        report.deleted += deleted.deleted


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
        total = result if total is None else combined(total, result)
    return total
