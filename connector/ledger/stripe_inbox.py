"""The Stripe inbox: every event received (webhook or ``/v1/events``), once, by event id.

Writers (the webhook receiver and the events backstop) only store events as ``pending``; the
sync cycle applies them later (:mod:`connector.inbound.stripe.apply_inbox`). The event id is the
primary key, so a redelivery or an event both delivered and listed is stored once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.billing import shapes
from connector.errors import ValidationRejectedError
from connector.ledger.database import durable_connection, durable_session
from connector.ledger.models import InboxStatus, StripeInboxEvent

EVENT_ID = re.compile(r"[A-Za-z0-9_-]+")
"""What an event id may be (Stripe's are ``evt_`` then letters and digits)."""
EVENT_TYPE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
"""What an event type may be (``invoice.paid``, ``customer.subscription.updated``)."""
MAX_ID, MAX_TYPE = 255, 128  # the inbox's column sizes


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
            ValidationRejectedError: it is not a Stripe event (code ``bad_event``), or its
                ``created`` is not a plausible Unix timestamp (code ``bad_timestamp``).
        """
        if not isinstance(payload, dict):
            raise _not_an_event("the body is not a JSON object")
        data = payload.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            raise _not_an_event("data.object is missing or not an object")
        created = shapes.timestamp(_required(payload, "created"), "created")
        assert created is not None
        return cls(_matching(payload, "id", EVENT_ID, MAX_ID),
                   _matching(payload, "type", EVENT_TYPE, MAX_TYPE), created,
                   _text(obj, "object", "data.object.object"), _text(obj, "id", "data.object.id"),
                   payload)


def _not_an_event(reason: str) -> ValidationRejectedError:
    return ValidationRejectedError(f"not a Stripe event: {reason}", code="bad_event")


def _required(payload: dict[str, Any], key: str, name: str | None = None) -> Any:
    value = payload.get(key)
    if value is None:
        raise _not_an_event(f"{name or key} is missing")
    return value


def _text(payload: dict[str, Any], key: str, name: str) -> str:
    value = _required(payload, key, name)
    if not isinstance(value, str) or not value:
        raise _not_an_event(f"{name} is not a non-empty string")
    return value


def _matching(payload: dict[str, Any], key: str, pattern: re.Pattern[str], longest: int) -> str:
    value = _text(payload, key, key)
    if len(value) > longest or not pattern.fullmatch(value):
        raise _not_an_event(f"{key} {value[:40]!r} is not a Stripe {key}")
    return value


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
                    received_at: datetime, *, durable: bool = True) -> bool:
    """Store ``event`` in its own transaction and commit it; False when it was known.

    The commit is on disk when this returns (see
    :func:`~connector.ledger.database.durable_session`; ``durable=False`` skips that). A
    concurrent writer storing the same id at the same moment counts as known.
    """
    try:
        with durable_session(sessions, durable=durable) as session, session.begin():
            return store(session, event, received_at)
    except IntegrityError:
        return False


def store_all_committed(sessions: sessionmaker[Session], events: Sequence[StripeEventRecord],
                        received_at: datetime, *, durable: bool = True) -> list[bool]:
    """Store ``events`` in one transaction and commit it; for each, whether it was new.

    Like :func:`store_committed` for each event in turn (an id repeated in ``events`` is new
    the first time only), at the price of one commit. If another writer stores one of the
    ids meanwhile (PostgreSQL replicas), the events are stored one by one instead.
    """
    try:
        with durable_connection(sessions, durable=durable) as connection, connection.begin():
            return _store_all(connection, events, received_at)
    except IntegrityError:
        return [store_committed(sessions, event, received_at, durable=durable)
                for event in events]


def _store_all(connection: Connection, events: Sequence[StripeEventRecord],
               received_at: datetime) -> list[bool]:
    """Core statements, not the ORM: the group commit's writer is on the receiver's hot path."""
    known = set(connection.scalars(select(StripeInboxEvent.event_id).where(
        StripeInboxEvent.event_id.in_([event.id for event in events]))))
    added, rows = [], []
    for event in events:
        added.append(event.id not in known)
        if event.id not in known:
            known.add(event.id)
            rows.append({"event_id": event.id, "type": event.type, "created": event.created,
                         "payload": event.payload, "received_at": received_at,
                         "status": InboxStatus.PENDING, "last_error": None,
                         "processed_at": None})
    if rows:
        connection.execute(insert(StripeInboxEvent), rows)
    return added


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
