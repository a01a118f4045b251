"""Stripe's subscription events flow into the ledger and on to ``Subscription__c``.

Each run lists the subscription events created since the cursor (minus an overlap, because
Stripe may commit events a little out of order), oldest first. Every event is kept in the
Stripe inbox under its id, so an event is applied once however often it is listed (or, later,
delivered by webhook). An event about a subscription the ledger knows updates its billing
facts and queues the Salesforce update; events about other subscriptions are kept as ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from connector.billing.client import StripeGateway
from connector.clock import Clock
from connector.errors import SkippableError
from connector.ledger.models import InboxStatus, StripeInboxEvent, Subscription, System
from connector.mapping import MappingSet
from connector.sync.billing_facts import apply_stripe_subscription
from connector.sync.unit_of_work import UnitOfWork

STREAM = "stripe.events"
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "customer.subscription.paused",
    "customer.subscription.resumed",
)
OVERLAP = timedelta(minutes=5)
FIRST_READ = timedelta(days=30)
"""How far back the first read looks: Stripe keeps events for 30 days."""


@dataclass(frozen=True)
class EventCursor:
    """Where the events stream got to.

    Attributes:
        created: the newest event time read (Unix seconds); None before the first read.
        seen: ids of the events read within the overlap before ``created``.
    """

    created: int | None = None
    seen: frozenset[str] = field(default_factory=frozenset)

    def dumps(self) -> str:
        """Serialise for the ledger's cursors table."""
        return json.dumps({"created": self.created, "seen": sorted(self.seen)})

    @classmethod
    def loads(cls, text: str | None) -> EventCursor:
        """Parse what :meth:`dumps` wrote; None gives the initial cursor."""
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(raw["created"], frozenset(raw["seen"]))


@dataclass
class EventsApplied:
    """What one run of the step did."""

    read: int = 0
    applied: int = 0
    ignored: int = 0
    dead_letters: int = 0


class StripeEvents:
    """The Stripe events → ledger step.

    Args:
        gateway: the Stripe adapter.
        mappings: the mapping set (``stripe_to_subscription.toml``).
        clock: the time the first read counts back from.
    """

    def __init__(self, gateway: StripeGateway, mappings: MappingSet, clock: Clock) -> None:
        self._gateway = gateway
        self._mappings = mappings
        self._clock = clock

    def read(self, cursor: EventCursor) -> tuple[list[stripe.Event], EventCursor]:
        """List the events not read yet, oldest first (no ledger I/O)."""
        overlap = int(OVERLAP.total_seconds())
        since = (cursor.created - overlap if cursor.created is not None
                 else int((self._clock.now() - FIRST_READ).timestamp()))
        listed = self._gateway.events_since(since, SUBSCRIPTION_EVENTS)
        if not listed:
            return [], cursor
        newest = max(e.created for e in listed)
        seen = frozenset(e.id for e in listed if e.created >= newest - overlap)
        return [e for e in listed if e.id not in cursor.seen], EventCursor(newest, seen)

    def apply(self, uow: UnitOfWork, events: list[stripe.Event]) -> EventsApplied:
        """Keep each new event in the inbox and apply the ones about known subscriptions."""
        result = EventsApplied()
        for event in events:
            if uow.session.get(StripeInboxEvent, event.id) is not None:
                continue
            result.read += 1
            payload = _plain(event.to_dict())
            inbox = StripeInboxEvent(
                event_id=event.id, type=event.type, payload=payload, received_at=uow.now,
                created=datetime.fromtimestamp(event.created, UTC),
            )
            uow.session.add(inbox)
            self._apply_one(uow, inbox, payload["data"]["object"], result)
        return result

    def _apply_one(self, uow: UnitOfWork, inbox: StripeInboxEvent, stripe_sub: dict[str, Any],
                   result: EventsApplied) -> None:
        ledger_id = uow.entity_for(System.STRIPE, "subscription", stripe_sub["id"])
        subscription = uow.session.get(Subscription, ledger_id) if ledger_id else None
        if subscription is None:
            inbox.status = InboxStatus.IGNORED
            result.ignored += 1
            return
        try:
            apply_stripe_subscription(
                uow, subscription, stripe_sub, self._mappings, source_ts=inbox.created,
                write_key=f"salesforce:Subscription__c:{subscription.id}:event:{inbox.event_id}",
            )
        except SkippableError as exc:
            inbox.status, inbox.last_error = InboxStatus.FAILED, str(exc)
            uow.dead_letter("stripe.event", inbox.event_id, str(exc), exc.code,
                            {"type": inbox.type, "subscription": stripe_sub["id"]})
            result.dead_letters += 1
            return
        inbox.status, inbox.processed_at = InboxStatus.PROCESSED, uow.now
        result.applied += 1


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """The event as JSON holds it (stripe-python turns ``*_decimal`` strings into Decimal)."""
    plain: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return plain
