"""The Stripe inbox: every event received (webhook or ``/v1/events``), once, by event id.

Writers (the webhook receiver and the events backstop) only store events as ``pending``; the
sync cycle applies them later (:mod:`connector.sync.stripe_apply`). The event id is the
primary key, so a redelivery or an event both delivered and listed is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.errors import ValidationRejectedError
from connector.ledger.models import InboxStatus, StripeInboxEvent


@dataclass(frozen=True)
class StripeEventRecord:
    """The parts of a Stripe event the daemon relies on, checked on the way in.

    Attributes:
        id: ``evt_...``.
        type: e.g. ``invoice.paid``.
        created: when Stripe created the event.
        object_type: ``data.object.object`` (``subscription``, ``invoice``...).
        object_id: ``data.object.id``.
        payload: the whole event as JSON.
    """

    id: str
    type: str
    created: datetime
    object_type: str
    object_id: str
    payload: dict[str, Any]

    @classmethod
    def parse(cls, payload: Any) -> StripeEventRecord:
        """Check and wrap an event's JSON.

        Raises:
            ValidationRejectedError: it is not a Stripe event (code ``bad_event``).
        """
        try:
            obj = payload["data"]["object"]
            return cls(str(payload["id"]), str(payload["type"]),
                       datetime.fromtimestamp(int(payload["created"]), UTC),
                       str(obj["object"]), str(obj["id"]), payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationRejectedError(f"not a Stripe event: missing or bad {exc}",
                                          code="bad_event") from None


def store(session: Session, event: StripeEventRecord, received_at: datetime) -> bool:
    """Add ``event`` as pending unless its id is known; return whether it was added.

    Flushes inside the caller's transaction; the caller commits.
    """
    if session.get(StripeInboxEvent, event.id) is not None:
        return False
    session.add(StripeInboxEvent(event_id=event.id, type=event.type, created=event.created,
                                 payload=event.payload, received_at=received_at,
                                 status=InboxStatus.PENDING))
    session.flush()
    return True


def store_new(session: Session, event: StripeEventRecord, received_at: datetime) -> bool:
    """Like :func:`store`, inside a savepoint, so a concurrent writer's copy of the same id
    (the webhook receiver, another replica) counts as known instead of failing the caller's
    transaction."""
    try:
        with session.begin_nested():
            return store(session, event, received_at)
    except IntegrityError:
        return False


def store_committed(sessions: sessionmaker[Session], event: StripeEventRecord,
                    received_at: datetime) -> bool:
    """Store ``event`` in its own transaction and commit it; False when it was known.

    A concurrent writer storing the same id at the same moment counts as known.
    """
    try:
        with sessions() as session, session.begin():
            return store(session, event, received_at)
    except IntegrityError:
        return False


def known_ids(session: Session, ids: list[str]) -> set[str]:
    """Which of ``ids`` are in the inbox already."""
    if not ids:
        return set()
    query = select(StripeInboxEvent.event_id).where(StripeInboxEvent.event_id.in_(ids))
    return set(session.scalars(query))


def requeue_ignored(session: Session, received_since: datetime) -> int:
    """Make events ignored since ``received_since`` pending again; return how many.

    Called when the ledger starts billing a Stripe object it did not know, e.g. a
    subscription whose activation crashed between Stripe's answer and the ledger's commit:
    its events, ignored meanwhile, are applied after all. Events about other objects are
    ignored again without a Stripe call.
    """
    result = session.execute(
        update(StripeInboxEvent)
        .where(StripeInboxEvent.status == InboxStatus.IGNORED,
               StripeInboxEvent.received_at >= received_since)
        .values(status=InboxStatus.PENDING, processed_at=None))
    return int(getattr(result, "rowcount", 0) or 0)


def pending(session: Session, limit: int) -> list[StripeInboxEvent]:
    """Pending events, oldest first."""
    query = (select(StripeInboxEvent).where(StripeInboxEvent.status == InboxStatus.PENDING)
             .order_by(StripeInboxEvent.created, StripeInboxEvent.event_id).limit(limit))
    return list(session.scalars(query))
