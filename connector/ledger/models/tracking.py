"""Where each entity lives elsewhere and what happened to it: links, the journal,
cursors, API usage, daemon state and connection states."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import (
    Mapped,
    Mapper,
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
    ChangeKind,
    ConnectionState,
    Source,
    System,
)


class Link(Base):
    """Ties a ledger entity to its id in an external system; one per entity and object type."""

    __tablename__ = "links"
    __table_args__ = (
        one_of("system", System),
        UniqueConstraint("system", "object_type", "external_id"),
        UniqueConstraint("entity_type", "entity_id", "system", "object_type"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    system: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH))


class JournalEntry(Base):
    """One change to one entity; append-only.

    ``diff`` maps each changed field to ``[old, new]``. Rows are never updated or deleted:
    :mod:`connector.ledger.journal` offers only :func:`~connector.ledger.journal.record_change`,
    and the ORM refuses to flush an update or delete of an entry.
    """

    __tablename__ = "journal"
    __table_args__ = (
        one_of("source", Source),
        one_of("kind", ChangeKind),
        Index(None, "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    source: Mapped[str] = mapped_column(String(16))
    source_ts: Mapped[datetime | None]
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(8))
    diff: Mapped[dict[str, list[Any]]] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to update or delete a journal entry."""


@event.listens_for(JournalEntry, "before_update")
@event.listens_for(JournalEntry, "before_delete")
def _refuse_journal_rewrite(mapper: Mapper[Any], connection: Any, target: JournalEntry) -> None:
    raise AppendOnlyError(f"journal entry {target.id} is append-only")


class Cursor(Base):
    """How far a stream has been read (e.g. a Salesforce SystemModstamp)."""

    __tablename__ = "cursors"

    stream: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]




class ApiUsage(Base):
    """API calls spent per system and UTC day: ours (``calls``), and the org's usage and
    allocation as last reported that day (``org_used``, ``call_limit``)."""

    __tablename__ = "api_usage"
    __table_args__ = (non_negative("calls"),)

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    calls: Mapped[int] = mapped_column(default=0)
    call_limit: Mapped[int | None]
    org_used: Mapped[int | None]
    updated_at: Mapped[datetime | None]


class DaemonState(Base):
    """What the running daemon reports about itself, by key, for other processes (``status``).

    Values are small JSON objects, e.g. ``mappings.in_use`` → ``{"digest": …, "since": …}``.
    """

    __tablename__ = "daemon_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class ConnectionStatus(Base):
    """Each system's connection state now, and whether an admin paused it.

    ``paused`` is set by ``pause`` and cleared by ``resume``; it survives restarts.
    """

    __tablename__ = "connection_states"
    __table_args__ = (one_of("state", ConnectionState),)

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(default=False)
    since: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConnectionStateEvent(Base):
    """A system entered or left an error state (the fact partner notifications are built
    from: ``stripe_unreachable``, ``salesforce_unreachable``); ``notified_at`` is for them."""

    __tablename__ = "connection_state_changes"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    system: Mapped[str] = mapped_column(String(16), index=True)
    old_state: Mapped[str] = mapped_column(String(16))
    new_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    notified_at: Mapped[datetime | None] = mapped_column(index=True)


