"""One ledger transaction of a sync step, with the bookkeeping every step needs.

A step opens a :class:`UnitOfWork`, changes entities, records journal entries, enqueues
outbox operations, dead-letters what it cannot apply and advances its cursor; everything
commits together or not at all (DESIGN rule 1).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.ledger import journal, links
from connector.ledger.models import (
    ChangeKind,
    Cursor,
    Customer,
    DeadLetter,
    JournalEntry,
    OutboxOperation,
    OutboxTarget,
    System,
)


class UnitOfWork:
    """Helpers bound to one session, one clock reading and one run id."""

    def __init__(self, session: Session, now: datetime, run_id: str) -> None:
        self.session = session
        self.now = now
        self.run_id = run_id

    def record(self, entity_type: str, entity_id: str, source: str, kind: ChangeKind,
               changes: Mapping[str, list[Any]], *,
               source_ts: datetime | None = None) -> JournalEntry | None:
        """Append a journal entry and return it (None for an update that changed nothing)."""
        if kind == ChangeKind.UPDATE and not changes:
            return None
        return journal.record_change(
            self.session, entity_type=entity_type, entity_id=entity_id, source=source,
            source_ts=source_ts, kind=kind, diff=changes, recorded_at=self.now,
            run_id=self.run_id,
        )

    def enqueue(self, target: OutboxTarget, operation: str, key: str, payload: dict[str, Any],
                entity: tuple[str, str] | None = None) -> bool:
        """Add an outbox operation unless one with ``key`` exists; return whether it was added."""
        if self.session.scalar(select(OutboxOperation.id).where(OutboxOperation.key == key)):
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
        links.link(self.session, entity_type=entity_type, entity_id=entity_id, system=system,
                   object_type=object_type, external_id=external_id)

    def entity_for(self, system: System, object_type: str, external_id: str) -> str | None:
        """The ledger id linked to ``external_id``."""
        return links.find_entity(self.session, system, object_type, external_id)

    def external_for(self, entity_type: str, entity_id: str, system: System,
                     object_type: str) -> str | None:
        """The id the entity has in ``system``."""
        return links.find_external(self.session, entity_type, entity_id, system, object_type)


    def stripe_customer_of(self, account_id: str) -> str | None:
        """The Stripe customer id billing ``account_id`` (through its ledger customer)."""
        customers = select(Customer.id).where(Customer.account_id == account_id,
                                              Customer.deleted_at.is_(None))
        for customer_id in self.session.scalars(customers.order_by(Customer.created_at)):
            found = self.external_for("customer", customer_id, System.STRIPE, "customer")
            if found is not None:
                return found
        return None


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
        yield UnitOfWork(session, clock.now(), run_id)


def _payload(payload: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if payload is None:
        return None
    return {k: journal.jsonable(v) for k, v in payload.items()}
