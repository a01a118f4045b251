"""One ledger transaction of a sync step, with the bookkeeping every step needs.

A step opens a :class:`UnitOfWork`, changes entities, records journal entries, enqueues
outbox operations, dead-letters what it cannot apply and advances its cursor; everything
commits together or not at all (DESIGN rule 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, event, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker

from connector.clock import Clock
from connector.ledger import journal, links
from connector.ledger.models import (
    ChangeKind,
    Cursor,
    Customer,
    DeadLetter,
    JournalEntry,
    Link,
    OutboxOperation,
    OutboxTarget,
    System,
    metadata,
)

E = TypeVar("E")
PREFETCH_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


class UnitOfWork:
    """Helpers bound to one session, one clock reading and one run id."""

    def __init__(self, session: Session, now: datetime, run_id: str) -> None:
        self.session = session
        self.now = now
        self.run_id = run_id
        self.announce = True
        """Whether facts recorded in this unit go out as outbound webhook events (False:
        history brought in by ``import stripe`` is not news)."""
        self._links: dict[tuple[str, str, str], str | None] = {}
        self._externals: dict[tuple[str, str, str, str], str | None] = {}
        self._rows: dict[tuple[type[Any], str], Any] = {}
        self._journal: list[dict[str, Any]] = []
        self._new_links: list[dict[str, Any]] = []
        self._new_rows: list[Any] = []
        self._written: dict[tuple[type[Any], str], Any] = {}  # inserted, not in the session
        event.listen(session, "before_flush", self._before_flush)

    def record(self, entity_type: str, entity_id: str, source: str, kind: ChangeKind,
               changes: Mapping[str, list[Any]], *,
               source_ts: datetime | None = None) -> None:
        """Append a journal entry (skipped for an update that changed nothing); it is written
        with the unit's other new rows, in one INSERT, before the unit commits."""
        if kind == ChangeKind.UPDATE and not changes:
            return
        self._journal.append({
            "entity_type": entity_type, "entity_id": entity_id, "source": source,
            "source_ts": source_ts, "kind": kind, "diff": dict(changes),
            "recorded_at": self.now, "run_id": self.run_id})

    def record_now(self, entity_type: str, entity_id: str, source: str, kind: ChangeKind,
                   changes: Mapping[str, list[Any]], *,
                   source_ts: datetime | None = None) -> JournalEntry | None:
        """Like :meth:`record`, but written at once and returned, for callers that key
        effects on the entry's id (None for an update that changed nothing).

        Entries gathered by :meth:`record` are written first, so the journal keeps its order.
        """
        if kind == ChangeKind.UPDATE and not changes:
            return None
        self._flush_journal()
        return journal.record_change(
            self.session, entity_type=entity_type, entity_id=entity_id, source=source,
            source_ts=source_ts, kind=kind, diff=changes, recorded_at=self.now,
            run_id=self.run_id,
        )

    def flush_pending(self) -> None:
        """Write the journal entries and new links gathered so far, in multi-row INSERTs.

        Called before the unit commits; they are never read back within the unit.
        """
        self._insert_new_rows()
        if self._new_links:
            self.session.execute(insert(metadata.tables["links"]), self._new_links)
            self._new_links = []
        self._flush_journal()

    def _flush_journal(self) -> None:
        journal.append_all(self.session, self._journal)
        self._journal = []

    def enqueue(self, target: OutboxTarget, operation: str, key: str, payload: dict[str, Any],
                entity: tuple[str, str] | None = None, *, fresh: bool = False) -> bool:
        """Add an outbox operation unless one with ``key`` exists; return whether it was added.

        ``fresh``: the key names an entity created in this unit, so no operation can hold it
        yet; the lookup (and the flush it causes) is skipped.
        """
        if not fresh and self.session.scalar(
                select(OutboxOperation.id).where(OutboxOperation.key == key)):
            return False
        self.session.add(OutboxOperation(
            key=key, target=str(target), operation=operation, payload=payload,
            entity_type=entity[0] if entity else None, entity_id=entity[1] if entity else None,
            next_attempt_at=self.now, created_at=self.now,
        ))
        return True

    def dead_letter(self, source: str, record_key: str, reason: str, code: str | None,
                    payload: Mapping[str, Any] | None) -> None:
        """Keep a record that cannot be applied, with the reason, for an admin."""
        self.session.add(DeadLetter(
            source=source, record_key=record_key, reason=reason, error_code=code,
            payload=_payload(payload), created_at=self.now,
        ))

    def cursor(self, stream: str) -> str | None:
        """The stored cursor of ``stream``."""
        row = self.session.get(Cursor, stream)
        return row.value if row else None

    def set_cursor(self, stream: str, value: str) -> None:
        """Advance ``stream``'s cursor (commits with everything else)."""
        row = self.session.get(Cursor, stream)
        if row is None:
            self.session.add(Cursor(stream=stream, value=value, updated_at=self.now))
        else:
            row.value, row.updated_at = value, self.now

    def link(self, entity_type: str, entity_id: str, system: System, object_type: str,
             external_id: str) -> None:
        """Record the entity's id in another system (idempotent)."""
        key = (str(system), object_type, external_id)
        known = self._links.get(key, "")
        if known == entity_id:
            return
        if known is None:  # prefetched and absent: a new entity's first link
            self._new_links.append({"entity_type": entity_type, "entity_id": entity_id,
                                    "system": str(system), "object_type": object_type,
                                    "external_id": external_id})
        else:
            links.link(self.session, entity_type=entity_type, entity_id=entity_id,
                       system=system, object_type=object_type, external_id=external_id)
        self._links[key] = entity_id
        self._externals[(entity_type, entity_id, str(system), object_type)] = external_id

    def link_many(self, entity_type: str, system: System, object_type: str,
                  pairs: Iterable[tuple[str, str]]) -> None:
        """:meth:`link` for many ``(entity_id, external_id)`` pairs, in a few queries.

        Raises:
            LinkConflictError: as :func:`connector.ledger.links.link_many`.
        """
        pairs = list(pairs)
        links.link_many(self.session, entity_type=entity_type, system=system,
                        object_type=object_type, pairs=pairs)
        for entity_id, external_id in pairs:
            self._links[(str(system), object_type, external_id)] = entity_id
            self._externals[(entity_type, entity_id, str(system), object_type)] = external_id

    def entity_for(self, system: System, object_type: str, external_id: str) -> str | None:
        """The ledger id linked to ``external_id``."""
        key = (str(system), object_type, external_id)
        if key in self._links:
            return self._links[key]
        return links.find_entity(self.session, system, object_type, external_id)

    def prefetch(self, system: System, object_type: str, model: type[Any],
                 external_ids: Iterable[str]) -> None:
        """Load the links of ``external_ids`` and their ``model`` rows in a few queries, so
        that a batch's :meth:`entity_for` and ``session.get`` calls need no query each."""
        wanted = [i for i in dict.fromkeys(external_ids)
                  if (str(system), object_type, i) not in self._links]
        for start in range(0, len(wanted), PREFETCH_CHUNK):
            chunk = wanted[start:start + PREFETCH_CHUNK]
            query = select(Link.external_id, Link.entity_id).where(
                Link.system == str(system), Link.object_type == object_type,
                Link.external_id.in_(chunk))
            found = {external: entity for external, entity in self.session.execute(query)}
            for external_id in chunk:
                self._links[(str(system), object_type, external_id)] = found.get(external_id)
            for row in self.session.scalars(select(model).where(
                    model.id.in_(list(found.values())))):
                self._rows[(model, row.id)] = row

    def get(self, model: type[E], entity_id: str) -> E | None:
        """``session.get`` that also sees rows prefetched or added in this unit unflushed."""
        key = (model, entity_id)
        if key in self._written:
            self._attach(key)
        row = self._rows.get(key)
        return row if row is not None else self.session.get(model, entity_id)

    def _attach(self, key: tuple[type[Any], str]) -> None:
        """Join a row written by :meth:`_insert_new_rows` to the session, so that changes
        made to it from now on are flushed; done only for rows touched again."""
        row = self._written.pop(key)
        loaded = self.session.identity_map.get(self.session.identity_key(*key))
        if loaded is not None:  # read back meanwhile by a query of its own
            self._rows[key] = loaded
            return
        make_transient_to_detached(row)
        self.session.add(row)

    def add(self, row: E) -> E:
        """Add a new entity row (with its id set); :meth:`get` finds it at once.

        New rows are written in one multi-row INSERT per table before the session next
        flushes (or at the end of the unit). A written row joins the session when
        :meth:`get` returns it again, so change it only through :meth:`get`.
        """
        self._new_rows.append(row)
        self._rows[(type(row), row.id)] = row  # type: ignore[attr-defined]
        return row

    def _before_flush(self, session: Session, context: Any, instances: Any) -> None:
        self._insert_new_rows()

    def _insert_new_rows(self) -> None:
        rows, self._new_rows = self._new_rows, []
        by_table: dict[str, list[Any]] = {}
        for row in rows:
            by_table.setdefault(type(row).__tablename__, []).append(row)
        for table in metadata.sorted_tables:  # parents before children
            if table.name in by_table:
                values = [_column_values(table, row) for row in by_table[table.name]]
                self.session.connection().execute(insert(table), values)
        for row in rows:
            self._written[(type(row), row.id)] = row

    def external_for(self, entity_type: str, entity_id: str, system: System,
                     object_type: str) -> str | None:
        """The id the entity has in ``system``."""
        key = (entity_type, entity_id, str(system), object_type)
        if key in self._externals:
            return self._externals[key]
        return links.find_external(self.session, entity_type, entity_id, system, object_type)

    def prefetch_externals(self, entity_type: str, entity_ids: Iterable[str], system: System,
                           object_type: str) -> None:
        """Load the ids ``entity_ids`` have in ``system`` in a few queries, so that their
        :meth:`external_for` calls need no query each."""
        wanted = [i for i in dict.fromkeys(entity_ids)
                  if (entity_type, i, str(system), object_type) not in self._externals]
        for start in range(0, len(wanted), PREFETCH_CHUNK):
            chunk = wanted[start:start + PREFETCH_CHUNK]
            found = links.externals_of(self.session, entity_type, chunk, system, object_type)
            for entity_id in chunk:
                self._externals[(entity_type, entity_id, str(system), object_type)] = \
                    found.get(entity_id)


    def stripe_customer_of(self, account_id: str) -> str | None:
        """The Stripe customer id billing ``account_id`` (through its ledger customer)."""
        customers = select(Customer.id).where(Customer.account_id == account_id,
                                              Customer.deleted_at.is_(None))
        for customer_id in self.session.scalars(customers.order_by(Customer.created_at)):
            found = self.external_for("customer", customer_id, System.STRIPE, "customer")
            if found is not None:
                return found
        return None


def _column_values(table: Table, row: Any) -> dict[str, Any]:
    """Every column of ``row`` for an INSERT, defaults filled in (and set on the row)."""
    values = {}
    for column in table.columns:
        if column.key in row.__dict__:
            values[column.key] = row.__dict__[column.key]
            continue
        default = column.default
        value = getattr(default, "arg", None) if default is not None and default.is_scalar \
            else None
        setattr(row, column.key, value)
        values[column.key] = value
    return values


class Ledger:
    """The ledger as a sync run sees it: a session factory, a clock and the run's id."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, run_id: str) -> None:
        self.sessions = sessions
        self.clock = clock
        self.run_id = run_id

    def unit(self) -> AbstractContextManager[UnitOfWork]:
        """Open one transaction (see :func:`unit_of_work`)."""
        return unit_of_work(self.sessions, self.clock, self.run_id)


@contextmanager
def unit_of_work(sessions: sessionmaker[Session], clock: Clock,
                 run_id: str) -> Iterator[UnitOfWork]:
    """Open a transaction; commit it when the block ends normally, roll back otherwise."""
    with sessions() as session, session.begin():
        uow = UnitOfWork(session, clock.now(), run_id)
        yield uow
        uow.flush_pending()


def _payload(payload: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if payload is None:
        return None
    return {k: journal.jsonable(v) for k, v in payload.items()}
