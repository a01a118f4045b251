"""Outbound webhooks in the ledger: the endpoints, the events and one delivery per pair.

* :class:`WebhookEndpoint`: one per configured URL (``[[webhooks.endpoints]]``), kept in step
  with the config by :func:`sync_endpoints`; ``enabled`` turns false when the receiver
  answers 410 Gone (``disabled_at``, ``disabled_reason`` say when and why). An endpoint
  removed from the config stays, ``configured`` false, with its history.
* :class:`WebhookEvent`: one per fact, recorded once by its ``key``; its ``id`` is the
  ``webhook-id`` every delivery and every retry of it carries, and ``body`` the exact bytes
  signed and sent (``{"type", "timestamp", "data"}``).
* :class:`WebhookDelivery`: one event to one endpoint: ``pending`` (``next_attempt_at`` says
  when) → ``delivered``; or ``failed`` (dead-lettered) once the retries are spent; or
  ``skipped`` when its endpoint was disabled or removed before it went out.

:func:`queue_event` is the one way in: the workflows and the inbound steps call it inside
their unit of work, so an event commits with the fact it tells of (DESIGN rule 1).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from connector.ledger.models import Base, BigIntegerKey, one_of
from connector.ledger.unit_of_work import UnitOfWork
from connector.webhooks_config import EVENT_TYPES, WebhooksConfig

URL_LENGTH = 2048
_QUEUED, _ENDPOINTS = "webhook_keys_queued", "webhook_endpoints"
"""Keys of ``Session.info``: the event keys queued in the unit, the endpoint rows."""


class DeliveryStatus(StrEnum):
    """Where one delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


class WebhookEndpoint(Base):
    """A receiver of outbound webhooks, as configured, and whether it still takes them."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(255))
    configured: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    def wants(self, event_type: str) -> bool:
        """Whether this endpoint is live and subscribed to ``event_type``."""
        return (self.configured and self.enabled
                and ("*" in self.events or event_type in self.events))


class WebhookEvent(Base):
    """One outbound event, its body fixed when queued (the bytes that are signed)."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event to one endpoint, with its attempts."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (one_of("status", DeliveryStatus),
                      UniqueConstraint("event_id", "endpoint_id"))

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), ForeignKey("webhook_events.id"),
                                          index=True)
    endpoint_id: Mapped[int] = mapped_column(BigIntegerKey, ForeignKey("webhook_endpoints.id"),
                                             index=True)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    last_status: Mapped[int | None]
    """The HTTP status of the last answer (None: no answer, or not tried yet)."""
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    event: Mapped[WebhookEvent] = relationship()
    """Its event (so a unit inserts the event before its deliveries)."""


def queue_event(uow: UnitOfWork, type: str, data: Mapping[str, Any], key: str,
                occurred_at: datetime, *, fresh: bool = False) -> int:
    """Record the event ``type`` of one fact and queue it for every endpoint that wants it.

    Args:
        uow: the unit of work the fact is recorded in (the event commits with it).
        type: one of :data:`~connector.webhooks_config.EVENT_TYPES`.
        data: the body's ``data`` object: JSON values, dates, datetimes and decimals.
        key: what makes the fact unique; a second call with the same key queues nothing.
        occurred_at: when the fact happened (the body's ``timestamp``).
        fresh: the key names a record created in this unit, so no event can hold it yet;
            the lookup is skipped (a batch of new potential subscriptions).

    Returns:
        How many deliveries were queued (0 for a fact already queued, or no endpoint).

    Raises:
        ValueError: ``type`` is not an outbound event type (a programming error).
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"{type!r} is not an outbound webhook event type")
    queued: set[str] = uow.session.info.setdefault(_QUEUED, set())
    if key in queued:
        return 0
    with uow.session.no_autoflush:  # a batch of facts is not flushed once per event
        if not fresh and uow.session.scalar(select(WebhookEvent.id)
                                            .where(WebhookEvent.key == key)):
            return 0
        endpoints = [e for e in _endpoints(uow.session) if e.wants(type)]
    queued.add(key)
    event = WebhookEvent(id=message_id(key), key=key, type=type,
                         body=encode_body(type, data, occurred_at), occurred_at=occurred_at,
                         created_at=uow.now)
    uow.session.add(event)
    for endpoint in endpoints:
        uow.session.add(WebhookDelivery(event=event, endpoint_id=endpoint.id,
                                        status=DeliveryStatus.PENDING, attempts=0,
                                        next_attempt_at=uow.now, created_at=uow.now))
    return len(endpoints)


def _endpoints(session: Session) -> list[WebhookEndpoint]:
    """The endpoint rows, read once per unit of work (they change only in units of their
    own: :func:`sync_endpoints`, and the dispatcher's)."""
    if _ENDPOINTS not in session.info:
        session.info[_ENDPOINTS] = list(session.scalars(select(WebhookEndpoint)))
    rows: list[WebhookEndpoint] = session.info[_ENDPOINTS]
    return rows


def message_id(key: str) -> str:
    """The ``webhook-id`` of the fact ``key``: stable, so a replay is recognisable."""
    return "msg_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def encode_body(type: str, data: Mapping[str, Any], occurred_at: datetime) -> str:
    """The JSON body sent: ``{"type", "timestamp", "data"}``, keys sorted, compact."""
    return json.dumps({"type": type, "timestamp": _json_value(occurred_at), "data": dict(data)},
                      default=_json_value, sort_keys=True, separators=(",", ":"))


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-ready")


def sync_endpoints(uow: UnitOfWork, settings: WebhooksConfig) -> None:
    """Bring the endpoint rows in line with the config: add new URLs, update filters, mark
    the URLs no longer configured (their pending deliveries are skipped). A disabled
    endpoint stays disabled (see :func:`enable_endpoint`)."""
    rows = {row.url: row for row in uow.session.scalars(select(WebhookEndpoint))}
    for endpoint in settings.endpoints:
        row = rows.pop(endpoint.url, None)
        if row is None:
            uow.session.add(WebhookEndpoint(url=endpoint.url, events=list(endpoint.events),
                                            description=endpoint.description, configured=True,
                                            enabled=True, updated_at=uow.now))
        elif (row.events, row.description, row.configured) != (
                list(endpoint.events), endpoint.description, True):
            row.events, row.description = list(endpoint.events), endpoint.description
            row.configured, row.updated_at = True, uow.now
    for row in rows.values():
        if row.configured:
            row.configured, row.updated_at = False, uow.now
            skip_pending(uow.session, row.id, "the endpoint was removed from the config")
    uow.session.flush()


def skip_pending(session: Session, endpoint_id: int, reason: str) -> int:
    """Skip every pending delivery to ``endpoint_id`` with ``reason``; return how many."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id,
               WebhookDelivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def enable_endpoint(session: Session, url: str, now: datetime) -> int | None:
    """Enable the endpoint at ``url`` again and queue its skipped deliveries once more (due
    at once whatever clock the daemon runs on).

    Returns:
        How many deliveries were queued again, or None when no endpoint has that URL.
    """
    row = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.url == url)).first()
    if row is None:
        return None
    row.enabled, row.disabled_at, row.disabled_reason, row.updated_at = True, None, None, now
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == row.id,
               WebhookDelivery.status == DeliveryStatus.SKIPPED)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=WebhookDelivery.created_at)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def requeue_delivery(session: Session, delivery_id: int) -> bool:
    """Queue a dead-lettered delivery again (``deadletter retry``), with a fresh retry
    schedule; due at once whatever clock the daemon runs on (its creation is never ahead)."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.status != DeliveryStatus.FAILED:
        return False
    row.status, row.next_attempt_at, row.attempts = DeliveryStatus.PENDING, row.created_at, 0
    return True
