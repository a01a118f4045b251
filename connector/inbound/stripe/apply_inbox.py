"""Applying the Stripe inbox: pending events become ledger facts, in any order, once.

Events are grouped by the object they are about (a refund by its charge); each group
re-fetches that object from Stripe once per batch and applies its current state
(:class:`~connector.inbound.stripe.objects.StripeObjects`), so duplicate, stale and
out-of-order events all converge to what Stripe holds now (DESIGN rule 6). Per group, one
transaction applies the facts, queues the Salesforce writes and marks the group's events
processed. An event of a type the daemon does not apply (a webhook endpoint may send them
all), or about an object the ledger does not bill (another integration's subscription, a
one-off invoice of a customer it does not know), is kept as ignored without a Stripe call.

A transient Stripe failure stops the run and leaves the rest pending for the next cycle;
an object Stripe rejects is dead-lettered with its events marked failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector import crashpoints
from connector.billing import shapes
from connector.billing.client import StripeGateway
from connector.errors import SkippableError
from connector.inbound.stripe import money_facts
from connector.inbound.stripe.backstop import HANDLED_EVENTS, EventsApplied
from connector.inbound.stripe.invoice_facts import FailedAttempt
from connector.inbound.stripe.objects import Origin, StripeObjects, apply_customer
from connector.ledger import stripe_inbox
from connector.ledger.models import InboxStatus, StripeInboxEvent, System
from connector.ledger.unit_of_work import Ledger, UnitOfWork

BATCH = 500
MISSING = "resource_missing"


@dataclass(frozen=True)
class PendingEvent:
    """A pending inbox row, read out of its transaction."""

    id: str
    type: str
    created: datetime
    snapshot: dict[str, Any]

    @classmethod
    def of(cls, row: StripeInboxEvent) -> PendingEvent:
        """Copy the row's facts."""
        return cls(row.event_id, row.type, row.created, row.payload["data"]["object"])

    @property
    def object_key(self) -> tuple[str, str]:
        """``(object type, id)`` of what the event is about; a refund is about its charge."""
        kind = str(self.snapshot.get("object"))
        charge = shapes.charge_of(self.snapshot) if kind == "refund" else None
        if charge is not None:
            return "charge", charge
        return kind, str(self.snapshot.get("id"))


@dataclass(frozen=True)
class Group:
    """The pending events about one Stripe object, oldest first."""

    object_type: str
    object_id: str
    events: list[PendingEvent]

    @property
    def newest(self) -> PendingEvent:
        """The latest event of the group."""
        return self.events[-1]

    @property
    def ids(self) -> list[str]:
        """The events' ids."""
        return [event.id for event in self.events]

    @property
    def origin(self) -> Origin:
        """The group's newest event, as the origin of what is applied."""
        return Origin(f"event:{self.newest.id}", self.newest.created)


class InboxApplier:
    """Applies pending Stripe events to the ledger.

    Args:
        ledger: the ledger of this run.
        gateway: Stripe, to re-fetch objects.
        objects: applies each object's current copy.
    """

    def __init__(self, ledger: Ledger, gateway: StripeGateway, objects: StripeObjects) -> None:
        self._ledger = ledger
        self._gateway = gateway
        self._objects = objects
        self._fresh: dict[tuple[str, str], dict[str, Any]] = {}
        self._handlers: dict[str, Callable[[Group, EventsApplied], None]] = {
            "subscription": self._subscription, "invoice": self._invoice,
            "customer": self._customer, "charge": self._charge,
            "credit_note": self._credit_note,
        }

    def run(self, result: EventsApplied | None = None) -> EventsApplied:
        """Apply every pending event; return the counts (added to ``result`` if given).

        Raises:
            RetriableError: Stripe failed transiently; what is left stays pending.
        """
        result = result or EventsApplied()
        while True:
            with self._ledger.unit() as uow:
                batch = [PendingEvent.of(row) for row in stripe_inbox.pending(uow.session, BATCH)]
            self._fresh.clear()  # copies fetched for this batch are newer than its events
            handled = [event for event in batch if event.type in HANDLED_EVENTS]
            others = [event for event in batch if event.type not in HANDLED_EVENTS]
            if others:
                self._settle(Group("", "", others), InboxStatus.IGNORED, result)
            for group in _groups(handled):
                self._apply(group, result)
            if len(batch) < BATCH:
                return result

    def _apply(self, group: Group, result: EventsApplied) -> None:
        handler = self._handlers.get(group.object_type)
        if handler is None:
            self._settle(group, InboxStatus.IGNORED, result)
            return
        try:
            handler(group, result)
        except SkippableError as exc:
            self._fail(group, exc, result)

    def _subscription(self, group: Group, result: EventsApplied) -> None:
        if not self._linked("subscription", group.object_id):
            self._settle(group, InboxStatus.IGNORED, result)
            return
        current = self._fetch(group, "subscription", group.object_id, result)
        if current is not None:
            self._commit(group, result, lambda uow: self._objects.subscription(
                uow, current, group.origin))

    def _invoice(self, group: Group, result: EventsApplied) -> None:
        stripe_sub = shapes.invoice_subscription(group.newest.snapshot)
        if stripe_sub is None:
            self._one_off_invoice(group, result)
            return
        if not self._linked("subscription", stripe_sub):
            self._settle(group, InboxStatus.IGNORED, result)
            return
        invoice = self._fetch(group, "invoice", group.object_id, result)
        if invoice is None:
            return
        subscription = self._current("subscription", stripe_sub)  # paid: Past Due → Active
        failures = [FailedAttempt.from_event(e.snapshot, e.created) for e in group.events
                    if e.type == "invoice.payment_failed"]

        def apply(uow: UnitOfWork) -> None:
            self._objects.invoice(uow, invoice, failures, group.origin)
            self._objects.subscription(uow, subscription, group.origin)
        self._commit(group, result, apply)

    def _one_off_invoice(self, group: Group, result: EventsApplied) -> None:
        """An invoice billing no subscription: applied when its customer is the ledger's
        (its money is revenue), with no subscription to update."""
        customer = shapes.customer_of(group.newest.snapshot)
        if customer is None or not self._linked("customer", customer):
            self._settle(group, InboxStatus.IGNORED, result)
            return
        invoice = self._fetch(group, "invoice", group.object_id, result)
        if invoice is None:
            return
        failures = [FailedAttempt.from_event(e.snapshot, e.created) for e in group.events
                    if e.type == "invoice.payment_failed"]
        self._commit(group, result, lambda uow: self._objects.invoice(
            uow, invoice, failures, group.origin))

    def _charge(self, group: Group, result: EventsApplied) -> None:
        charge = self._fetch(group, "charge", group.object_id, result)
        if charge is None:
            return
        invoice_id = self._objects.invoice_of_charge(charge)
        refunds = money_facts.refunds_of(charge)
        unseen = self._unseen_invoice(invoice_id)
        self._commit_if_billed(group, result, lambda uow: self._with_invoice(
            uow, unseen, group) and self._objects.money(uow, invoice_id, refunds,
                                                         group.origin))

    def _credit_note(self, group: Group, result: EventsApplied) -> None:
        note = self._fetch(group, "credit_note", group.object_id, result)
        if note is not None:
            unseen = self._unseen_invoice(note.get("invoice"))
            self._commit_if_billed(group, result, lambda uow: self._with_invoice(
                uow, unseen, group) and self._objects.credit_note(uow, note, group.origin))

    def _unseen_invoice(self, invoice_id: str | None) -> dict[str, Any] | None:
        """Stripe's copy of ``invoice_id`` when the ledger does not hold it yet (its own
        events may come later in the inbox than a refund or credit note of it)."""
        if not invoice_id or self._linked("invoice", invoice_id):
            return None
        return self._current("invoice", invoice_id)

    def _with_invoice(self, uow: UnitOfWork, invoice: dict[str, Any] | None,
                      group: Group) -> bool:
        """Apply an invoice not seen yet before money recorded against it (True: go on;
        money against an invoice the ledger does not bill is then ignored by its step)."""
        if invoice is not None:
            self._objects.invoice(uow, invoice, [], group.origin)
        return True

    def _customer(self, group: Group, result: EventsApplied) -> None:
        if not self._linked("customer", group.object_id):
            self._settle(group, InboxStatus.IGNORED, result)
            return
        current = self._fetch(group, "customer", group.object_id, result)
        if current is not None:
            self._commit(group, result, lambda uow: apply_customer(
                uow, current, group.newest.created))

    def _commit(self, group: Group, result: EventsApplied,
                apply: Callable[[UnitOfWork], object]) -> None:
        """Apply and mark the group processed, in one transaction."""
        with self._ledger.unit() as uow:
            apply(uow)
            crashpoints.reached("inbox.applying")
            self._mark(uow, group, InboxStatus.PROCESSED, result)

    def _commit_if_billed(self, group: Group, result: EventsApplied,
                          apply: Callable[[UnitOfWork], bool]) -> None:
        """Like :meth:`_commit`, but the group is ignored when ``apply`` finds the object
        is not billed by the ledger."""
        with self._ledger.unit() as uow:
            billed = apply(uow)
            crashpoints.reached("inbox.applying")
            self._mark(uow, group, InboxStatus.PROCESSED if billed else InboxStatus.IGNORED,
                       result)

    def _fetch(self, group: Group, object_type: str, object_id: str,
               result: EventsApplied) -> dict[str, Any] | None:
        try:
            return self._current(object_type, object_id)
        except SkippableError as exc:
            if exc.code != MISSING:
                raise
            self._settle(group, InboxStatus.IGNORED, result, str(exc))
            return None

    def _current(self, object_type: str, object_id: str) -> dict[str, Any]:
        key = (object_type, object_id)
        if key not in self._fresh:
            self._fresh[key] = self._gateway.fetch(object_type, object_id)
        return self._fresh[key]

    def _linked(self, object_type: str, stripe_id: str) -> bool:
        with self._ledger.unit() as uow:
            return uow.entity_for(System.STRIPE, object_type, stripe_id) is not None

    def _settle(self, group: Group, status: InboxStatus, result: EventsApplied,
                error: str | None = None) -> None:
        with self._ledger.unit() as uow:
            self._mark(uow, group, status, result, error)

    @staticmethod
    def _mark(uow: UnitOfWork, group: Group, status: InboxStatus, result: EventsApplied,
              error: str | None = None) -> None:
        for event_id in group.ids:
            row = uow.session.get_one(StripeInboxEvent, event_id)
            row.status, row.processed_at, row.last_error = status, uow.now, error
        if status == InboxStatus.PROCESSED:
            result.applied += len(group.events)
        elif status == InboxStatus.IGNORED:
            result.ignored += len(group.events)

    def _fail(self, group: Group, exc: SkippableError, result: EventsApplied) -> None:
        with self._ledger.unit() as uow:
            self._mark(uow, group, InboxStatus.FAILED, result, str(exc))
            uow.dead_letter("stripe.event", group.newest.id, str(exc), exc.code,
                            {"object": group.object_type, "id": group.object_id,
                             "events": group.ids})
        result.dead_letters += 1


def _groups(batch: list[PendingEvent]) -> list[Group]:
    grouped: dict[tuple[str, str], list[PendingEvent]] = {}
    for event in batch:
        grouped.setdefault(event.object_key, []).append(event)
    return [Group(kind, ident, events) for (kind, ident), events in grouped.items()]
