"""Applying the Stripe inbox: pending events become ledger facts, in any order, once.

Events are grouped by the object they are about; each group re-fetches that object from
Stripe and applies its current state, so duplicate, stale and out-of-order events all
converge to what Stripe holds now (DESIGN rule 6). Per group, one transaction applies the
facts, queues the Salesforce writes and marks the group's events processed. An event about
an object the ledger does not bill (another integration's subscription) is kept as ignored.

A transient Stripe failure stops the run and leaves the rest pending for the next cycle;
an object Stripe rejects is dead-lettered with its events marked failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.billing import shapes
from connector.billing.client import StripeGateway
from connector.errors import SkippableError
from connector.ledger.models import (
    ChangeKind,
    Customer,
    InboxStatus,
    Invoice,
    StripeInboxEvent,
    Subscription,
    System,
)
from connector.mapping import MappingSet
from connector.sync import money_facts, stripe_inbox
from connector.sync.billing_facts import apply_stripe_subscription
from connector.sync.invoice_facts import FailedAttempt, apply_invoice, update_payment_status
from connector.sync.money_facts import MoneyFact
from connector.sync.stripe_events import EventsApplied
from connector.sync.unit_of_work import Ledger, UnitOfWork

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


class InboxApplier:
    """Applies pending Stripe events to the ledger.

    Args:
        ledger: the ledger of this run.
        gateway: Stripe, to re-fetch objects.
        mappings: ``stripe_to_subscription.toml`` for subscription facts.
    """

    def __init__(self, ledger: Ledger, gateway: StripeGateway, mappings: MappingSet) -> None:
        self._ledger = ledger
        self._gateway = gateway
        self._mappings = mappings
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
            for group in _groups(batch):
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
        if self._known("subscription", group.object_id) is None:
            self._settle(group, InboxStatus.IGNORED, result)
            return
        current = self._fetch(group, "subscription", group.object_id, result)
        if current is None:
            return
        with self._ledger.unit() as uow:
            self.apply_subscription(uow, current, group.newest)
            self._mark(uow, group, InboxStatus.PROCESSED, result)

    def apply_subscription(self, uow: UnitOfWork, current: dict[str, Any],
                           newest: PendingEvent | None) -> bool:
        """Apply a subscription's current copy if the ledger bills it; return if it changed."""
        ledger_id = uow.entity_for(System.STRIPE, "subscription", current["id"])
        subscription = uow.session.get(Subscription, ledger_id) if ledger_id else None
        if subscription is None:
            return False
        tag = f"event:{newest.id}" if newest else f"reconciled:{uow.run_id}"
        return apply_stripe_subscription(
            uow, subscription, current, self._mappings,
            source_ts=newest.created if newest else uow.now,
            write_key=f"salesforce:Subscription__c:{subscription.id}:{tag}")

    def _invoice(self, group: Group, result: EventsApplied) -> None:
        stripe_sub = shapes.invoice_subscription(group.newest.snapshot)
        if stripe_sub is None or self._known("subscription", stripe_sub) is None:
            self._settle(group, InboxStatus.IGNORED, result)
            return
        invoice = self._fetch(group, "invoice", group.object_id, result)
        if invoice is None:
            return
        current_sub = self._current("subscription", stripe_sub)
        failures = [FailedAttempt.from_event(e.snapshot, e.created) for e in group.events
                    if e.type == "invoice.payment_failed"]
        with self._ledger.unit() as uow:
            self.apply_invoice(uow, invoice, failures, group.newest)
            self.apply_subscription(uow, current_sub, group.newest)
            self._mark(uow, group, InboxStatus.PROCESSED, result)

    def apply_invoice(self, uow: UnitOfWork, invoice: dict[str, Any],
                      failures: list[FailedAttempt], newest: PendingEvent | None) -> bool:
        """Apply an invoice's current copy if the ledger bills its subscription."""
        stripe_sub = shapes.invoice_subscription(invoice)
        ledger_id = uow.entity_for(System.STRIPE, "subscription", stripe_sub or "")
        subscription = uow.session.get(Subscription, ledger_id) if ledger_id else None
        if subscription is None:
            return False
        changed = apply_invoice(uow, subscription, invoice, failures,
                                source_ts=newest.created if newest else None)
        tag = f"event:{newest.id}" if newest else f"reconciled:{uow.run_id}"
        update_payment_status(uow, subscription,
                              f"salesforce:Subscription__c:{subscription.id}:payment:{tag}")
        return changed

    def _charge(self, group: Group, result: EventsApplied) -> None:
        charge = self._fetch(group, "charge", group.object_id, result)
        if charge is None:
            return
        self._money(group, self.invoice_of_charge(charge), money_facts.refunds_of(charge),
                    result)

    def _credit_note(self, group: Group, result: EventsApplied) -> None:
        note = self._fetch(group, "credit_note", group.object_id, result)
        if note is None:
            return
        fact = money_facts.credit_note_fact(note)
        self._money(group, shapes.invoice_of(note), [fact] if fact else [], result)

    def _money(self, group: Group, invoice_id: str | None, facts: list[MoneyFact],
               result: EventsApplied) -> None:
        with self._ledger.unit() as uow:
            known = self.apply_money(uow, invoice_id, facts, f"event:{group.newest.id}")
            self._mark(uow, group, InboxStatus.PROCESSED if known else InboxStatus.IGNORED,
                       result)

    def apply_money(self, uow: UnitOfWork, invoice_id: str | None, facts: list[MoneyFact],
                    tag: str) -> bool:
        """Record refunds or credit notes against the ledger's copy of ``invoice_id``.

        Returns:
            Whether the ledger bills that invoice (False: nothing recorded).
        """
        ledger_id = uow.entity_for(System.STRIPE, "invoice", invoice_id or "")
        invoice = uow.session.get(Invoice, ledger_id) if ledger_id else None
        subscription = (uow.session.get(Subscription, invoice.subscription_id)
                        if invoice and invoice.subscription_id else None)
        if invoice is None or subscription is None:
            return False
        for fact in facts:
            money_facts.record_money(uow, fact, invoice, subscription)
        update_payment_status(uow, subscription,
                              f"salesforce:Subscription__c:{subscription.id}:payment:{tag}")
        return True

    def invoice_of_charge(self, charge: dict[str, Any]) -> str | None:
        """The invoice a charge paid, asked of Stripe through its payment intent."""
        intent = charge.get("payment_intent")
        return self._gateway.invoice_paid_by(str(intent)) if intent else None

    def _customer(self, group: Group, result: EventsApplied) -> None:
        if self._known("customer", group.object_id) is None:
            self._settle(group, InboxStatus.IGNORED, result)
            return
        current = self._fetch(group, "customer", group.object_id, result)
        if current is None:
            return
        with self._ledger.unit() as uow:
            apply_customer(uow, current, group.newest.created)
            self._mark(uow, group, InboxStatus.PROCESSED, result)

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

    def _known(self, object_type: str, stripe_id: str) -> str | None:
        with self._ledger.unit() as uow:
            return uow.entity_for(System.STRIPE, object_type, stripe_id)

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


def apply_customer(uow: UnitOfWork, current: dict[str, Any], source_ts: datetime) -> bool:
    """Bring a linked ledger customer in line with Stripe's copy (name, email, deletion)."""
    ledger_id = uow.entity_for(System.STRIPE, "customer", current["id"])
    customer = uow.session.get(Customer, ledger_id) if ledger_id else None
    if customer is None:
        return False
    deleted = bool(current.get("deleted"))
    name: str | None = customer.name if deleted else current.get("name")
    email: str | None = customer.email if deleted else current.get("email")
    before = {"name": customer.name, "email": customer.email,
              "deleted": customer.deleted_at is not None}
    after = {"name": name, "email": email, "deleted": deleted}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return False
    customer.name, customer.email = name, email
    customer.deleted_at = customer.deleted_at or (uow.now if deleted else None)
    customer.updated_at = uow.now
    uow.record("customer", customer.id, "stripe", ChangeKind.UPDATE, changes,
               source_ts=source_ts)
    return True


def _groups(batch: list[PendingEvent]) -> list[Group]:
    grouped: dict[tuple[str, str], list[PendingEvent]] = {}
    for event in batch:
        grouped.setdefault(event.object_key, []).append(event)
    return [Group(kind, ident, events) for (kind, ident), events in grouped.items()]
