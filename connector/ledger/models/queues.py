"""Work waiting or held: the outbox, dead letters, notifications, conflicts and the
Stripe inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import (
    Mapped,
    mapped_column,
)

from connector.ledger.models.columns import (
    EXTERNAL_ID_LENGTH,
    ID_LENGTH,
    Base,
    BigIntegerKey,
    non_negative,
    one_of,
)
from connector.ledger.models.vocabularies import (
    ConflictStatus,
    DeadLetterStatus,
    FieldOwner,
    InboxStatus,
    NotificationStatus,
    OutboxStatus,
    OutboxTarget,
    Source,
)


class OutboxOperation(Base):
    """An effect to deliver at least once; ``key`` is its idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("target", OutboxTarget),
        one_of("status", OutboxStatus),
        non_negative("attempts"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    target: Mapped[str] = mapped_column(String(16))
    operation: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class DeadLetter(Base):
    """A record that could not be mapped or written, kept with its reason for an admin."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        one_of("status", DeadLetterStatus),
        non_negative("attempts"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH))
    reason: Mapped[str] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(16), default=DeadLetterStatus.OPEN, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    retried_at: Mapped[datetime | None]


class Notification(Base):
    """A message to a person; ``key`` makes sure it is sent at most once."""

    __tablename__ = "notifications"
    __table_args__ = (
        one_of("status", NotificationStatus),
        non_negative("attempts"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(
        String(16), default=NotificationStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Conflict(Base):
    """A change from a non-owner of a field, held for an admin instead of being applied.

    ``ours`` and ``theirs`` are JSON values; ``None`` is stored as JSON ``null``.
    """

    __tablename__ = "conflicts"
    __table_args__ = (
        one_of("owner", FieldOwner),
        one_of("their_source", Source),
        one_of("status", ConflictStatus),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    field: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str] = mapped_column(String(16))
    ours: Mapped[Any] = mapped_column(JSON)
    theirs: Mapped[Any] = mapped_column(JSON)
    their_source: Mapped[str] = mapped_column(String(16))
    their_ts: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=ConflictStatus.OPEN, index=True)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class StripeInboxEvent(Base):
    """A received Stripe event; its id as primary key deduplicates redeliveries."""

    __tablename__ = "stripe_inbox"
    __table_args__ = (one_of("status", InboxStatus),)

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(128))
    created: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
