"""The Stripe → ledger step of a cycle: backstop, reconciliation when needed, then the inbox.

1. List ``/v1/events`` since the cursor into the inbox (:mod:`.stripe_events`); the cursor
   commits with the stored events.
2. If the cursor was older than Stripe's 30-day event window, reconcile by listing objects
   (:mod:`.stripe_reconcile`) before advancing it.
3. Apply every pending inbox event, webhook deliveries included (:mod:`.stripe_apply`).

Steps 1 and 2 are skipped when the caller only wants the inbox applied (a webhook arrived,
and the backstop is not due).
"""

from __future__ import annotations

import structlog

from connector.billing.client import StripeGateway
from connector.clock import Clock
from connector.inbound.stripe.apply_inbox import InboxApplier
from connector.inbound.stripe.backstop import (
    EVENT_WINDOW,
    STREAM,
    EventCursor,
    EventsApplied,
    StripeEvents,
)
from connector.inbound.stripe.objects import StripeObjects
from connector.inbound.stripe.reconcile import Reconciliation
from connector.ledger.unit_of_work import Ledger
from connector.mapping import MappingSet

log = structlog.get_logger(__name__)


class StripeInbound:
    """Runs the Stripe → ledger step once.

    Args:
        ledger: the ledger of this run.
        gateway: Stripe.
        mappings: the mapping set in use.
        clock: the daemon's clock.
    """

    def __init__(self, ledger: Ledger, gateway: StripeGateway, mappings: MappingSet,
                 clock: Clock) -> None:
        self._ledger = ledger
        self._gateway = gateway
        self._events = StripeEvents(gateway, clock)
        self._objects = StripeObjects(gateway, mappings)

    def run(self, *, list_events: bool = True) -> EventsApplied:
        """Read, reconcile if needed, apply; return the counts.

        Args:
            list_events: whether to list ``/v1/events`` first; without it only the inbox
                (webhook deliveries, earlier listings) is applied.

        Raises:
            RetriableError: Stripe failed transiently; the rest waits for the next cycle.
        """
        result = EventsApplied()
        if list_events:
            self._list(result)
        return InboxApplier(self._ledger, self._gateway, self._objects).run(result)

    def _list(self, result: EventsApplied) -> None:
        with self._ledger.unit() as uow:
            cursor = EventCursor.loads(uow.cursor(STREAM))
        read = self._events.read(cursor)
        with self._ledger.unit() as uow:
            result.read = self._events.store(uow, read.events)
            if not read.gap:
                uow.set_cursor(STREAM, read.cursor.dumps())
        if read.gap:
            result.reconciled = self._reconcile(cursor, read.cursor)

    def _reconcile(self, last: EventCursor, advanced: EventCursor) -> int:
        log.warning("stripe events gap exceeds the 30-day window; reconciling",
                    last_read=last.since)
        since = int((last.since or 0) - EVENT_WINDOW.total_seconds())
        reconciled = Reconciliation(self._ledger, self._gateway, self._objects).run(since)
        with self._ledger.unit() as uow:
            uow.set_cursor(STREAM, advanced.dumps())
        return reconciled
