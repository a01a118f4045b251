"""The ``/v1/events`` backstop: every event the daemon handles lands in the Stripe inbox.

Webhooks are the fast path; this step lists the events created since the cursor (minus an
overlap, because Stripe may commit events a little out of order), oldest first, and stores
the ones the inbox does not hold yet, so nothing is lost while webhooks are down. Applying
them is :mod:`connector.inbound.stripe.apply_inbox`'s job.

Stripe keeps events for 30 days. When the cursor is older than that, listing cannot close
the gap: :meth:`StripeEvents.read` says so and the engine reconciles by listing customers,
subscriptions and invoices (:mod:`connector.inbound.stripe.reconcile`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import stripe

from connector.billing.client import StripeGateway, plain
from connector.clock import Clock
from connector.ledger import stripe_inbox
from connector.ledger.stripe_inbox import StripeEventRecord
from connector.ledger.unit_of_work import UnitOfWork

STREAM = "stripe.events"
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "customer.subscription.paused",
    "customer.subscription.resumed", "customer.subscription.trial_will_end",
)
INVOICE_EVENTS = (
    "invoice.created", "invoice.finalized", "invoice.updated", "invoice.paid",
    "invoice.payment_succeeded", "invoice.payment_failed", "invoice.voided",
    "invoice.marked_uncollectible", "invoice.overdue",
)
CUSTOMER_EVENTS = ("customer.updated", "customer.deleted")
MONEY_EVENTS = ("charge.refunded", "refund.created", "credit_note.created")
HANDLED_EVENTS = SUBSCRIPTION_EVENTS + INVOICE_EVENTS + CUSTOMER_EVENTS + MONEY_EVENTS
"""Every event type the daemon applies (Stripe's ``types`` filter takes at most 20)."""
OVERLAP = timedelta(minutes=5)
EVENT_WINDOW = timedelta(days=30)
"""How far back Stripe keeps events; also how far back the first read looks."""
WINDOW_MARGIN = timedelta(hours=1)
"""Reconcile a little before the window closes, so no event slips out while listing."""


@dataclass(frozen=True)
class EventCursor:
    """Where the events stream got to.

    Attributes:
        created: the newest event time read (Unix seconds); None before the first read.
        seen: ids of the events read within the overlap before ``created``.
        checked: when the stream was last read (Unix seconds), events or not; None before.
    """

    created: int | None = None
    seen: frozenset[str] = field(default_factory=frozenset)
    checked: int | None = None

    def dumps(self) -> str:
        """Serialise for the ledger's cursors table."""
        return json.dumps({"created": self.created, "seen": sorted(self.seen),
                           "checked": self.checked})

    @classmethod
    def loads(cls, text: str | None) -> EventCursor:
        """Parse what :meth:`dumps` wrote; None gives the initial cursor."""
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(raw["created"], frozenset(raw["seen"]), raw.get("checked"))

    @property
    def since(self) -> int | None:
        """The newest moment known to be covered: the last read, else the newest event."""
        return self.checked if self.checked is not None else self.created


@dataclass
class EventsApplied:
    """What one run of the Stripe steps did."""

    read: int = 0
    applied: int = 0
    ignored: int = 0
    dead_letters: int = 0
    reconciled: int = 0


@dataclass(frozen=True)
class EventsRead:
    """One read of the stream: the events, the advanced cursor, and whether a gap was found.

    Attributes:
        gap: the cursor is older than Stripe's event window; reconcile before trusting it.
    """

    events: list[stripe.Event]
    cursor: EventCursor
    gap: bool = False


class StripeEvents:
    """The Stripe events → inbox step.

    Args:
        gateway: the Stripe adapter.
        clock: the time the first read counts back from.
    """

    def __init__(self, gateway: StripeGateway, clock: Clock) -> None:
        self._gateway = gateway
        self._clock = clock

    def read(self, cursor: EventCursor) -> EventsRead:
        """List the events not read yet, oldest first (no ledger I/O)."""
        now = int(self._clock.now().timestamp())
        window_start = now - int((EVENT_WINDOW - WINDOW_MARGIN).total_seconds())
        gap = cursor.since is not None and cursor.since < window_start
        overlap = int(OVERLAP.total_seconds())
        since = (max(cursor.created - overlap, window_start)
                 if cursor.created is not None and not gap
                 else now - int(EVENT_WINDOW.total_seconds()))
        listed = self._gateway.events_since(since, HANDLED_EVENTS)
        if not listed:
            return EventsRead([], EventCursor(cursor.created, cursor.seen, now), gap)
        newest = max(e.created for e in listed)
        seen = frozenset(e.id for e in listed if e.created >= newest - overlap)
        fresh = [e for e in listed if e.id not in cursor.seen]
        return EventsRead(fresh, EventCursor(newest, seen, now), gap)

    @staticmethod
    def store(uow: UnitOfWork, events: list[stripe.Event]) -> int:
        """Keep each event the inbox does not hold yet, as pending; return how many."""
        known = stripe_inbox.known_ids(uow.session, [e.id for e in events])
        stored = 0
        for event in events:
            if event.id in known:
                continue
            record = StripeEventRecord.parse(plain(event.to_dict()))
            stored += stripe_inbox.store_new(uow.session, record, uow.now)
            known.add(event.id)
        return stored
