"""Connection states per system (Heroku Connect's set), kept in the ledger and in memory.

The engine sets them around each system's part of a cycle: ``POLLING`` while working,
``IDLE`` after success, ``PAUSED`` while an admin paused the system (``pause``) or its API
budget is spent, ``UNAUTHORIZED`` when the login or key is refused, ``SYSTEM_ERROR`` for
other failures after the adapter's retries, ``DB_UNAVAILABLE`` when the ledger cannot be
written. The last one, by its nature, lives in memory (and in metrics and ``/readyz``)
until the ledger answers again.

Entering or leaving an error state is a typed fact, :class:`ConnectionStateChanged`,
recorded in ``connection_state_changes`` for the partner notifications
(``stripe_unreachable``, ``salesforce_unreachable``); facts that could not be recorded
while the ledger was down are recorded when it is back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.ledger.models import ConnectionState, ConnectionStateEvent, ConnectionStatus

log = structlog.get_logger(__name__)

SYSTEMS = ("salesforce", "stripe")
"""The systems that have a connection state."""
ERROR_STATES = frozenset({ConnectionState.SYSTEM_ERROR, ConnectionState.DB_UNAVAILABLE,
                          ConnectionState.UNAUTHORIZED})
ADMIN_PAUSE = "paused by an admin (crm-connector resume to go on)"


@dataclass(frozen=True)
class ConnectionStateChanged:
    """A system entered or left an error state.

    Attributes:
        system: ``salesforce`` or ``stripe``.
        old: the state before.
        new: the state now.
        reason: why (the error's message for an error state), if known.
        at: when, UTC.
    """

    system: str
    old: ConnectionState
    new: ConnectionState
    reason: str | None
    at: datetime

    @property
    def entered_error(self) -> bool:
        """Whether the system went into an error state (it is unreachable or refused)."""
        return self.new in ERROR_STATES


@dataclass(frozen=True)
class Connection:
    """One system's state as last set.

    Attributes:
        system: ``salesforce`` or ``stripe``.
        state: the state.
        reason: why, for an error or a pause.
        paused: whether an admin paused it (persists across restarts).
        since: when it entered ``state``.
    """

    system: str
    state: ConnectionState
    reason: str | None
    paused: bool
    since: datetime | None

    @property
    def in_error(self) -> bool:
        """Whether ``state`` is an error state."""
        return self.state in ERROR_STATES


class ConnectionStates:
    """The daemon's view of each system's connection, written through to the ledger.

    Safe to read from other threads (the ops listener) while the daemon sets states.

    Args:
        sessions: the ledger.
        clock: the daemon's clock.
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._lock = threading.Lock()
        self._now: dict[str, Connection] = {}
        self._unrecorded: list[ConnectionStateChanged] = []

    def current(self) -> dict[str, Connection]:
        """Every system's state as this process last set or read it (IDLE when unknown)."""
        with self._lock:
            return {system: self._now.get(system) or Connection(
                system, ConnectionState.IDLE, None, False, None) for system in SYSTEMS}

    def paused(self) -> set[str]:
        """The systems an admin paused, read from the ledger (a running daemon honours a
        ``pause`` at its next cycle).

        Raises:
            SQLAlchemyError: the ledger cannot be read.
        """
        with self._sessions() as session:
            return {row.system for row in session.scalars(
                select(ConnectionStatus).where(ConnectionStatus.paused.is_(True)))}

    def set(self, system: str, state: ConnectionState, reason: str | None = None) -> None:
        """Put ``system`` in ``state`` (in memory at once; in the ledger when it answers).

        A failed ledger write leaves the system ``DB_UNAVAILABLE`` in memory.
        """
        now = self._clock.now()
        with self._lock:
            before = self._now.get(system)
            old = before.state if before else ConnectionState.IDLE
            if before is not None and before.state == state and before.reason == reason:
                return
            since = before.since if before and before.state == state else now
            admin = state == ConnectionState.PAUSED and reason == ADMIN_PAUSE
            self._now[system] = Connection(system, state, reason, admin, since)
            if old != state and (old in ERROR_STATES or state in ERROR_STATES):
                self._unrecorded.append(ConnectionStateChanged(system, old, state, reason, now))
        if state != ConnectionState.DB_UNAVAILABLE:
            self._write(system, now)

    def restore(self) -> None:
        """Take up the states the ledger kept (a restart continues from them, so leaving
        an error state recorded before the restart is recorded too).

        Raises:
            SQLAlchemyError: the ledger cannot be read.
        """
        with self._sessions() as session:
            kept = read(session)
        with self._lock:
            for system, connection in kept.items():
                self._now.setdefault(system, connection)

    def ledger_unavailable(self, reason: str) -> None:
        """The ledger cannot be written: every system is ``DB_UNAVAILABLE`` (in memory)."""
        for system in SYSTEMS:
            self.set(system, ConnectionState.DB_UNAVAILABLE, reason)

    def _write(self, system: str, now: datetime) -> None:
        with self._lock:
            shown, facts = self._now[system], list(self._unrecorded)
        try:
            with self._sessions() as session, session.begin():
                row = session.get(ConnectionStatus, system)
                if row is None:
                    row = ConnectionStatus(system=system, paused=False)
                    session.add(row)
                row.state, row.reason, row.updated_at = shown.state, shown.reason, now
                row.since = shown.since or now
                session.add_all(_event_row(fact) for fact in facts)
        except SQLAlchemyError as exc:
            log.error("connection state not recorded: the ledger cannot be written",
                      system=system, state=str(shown.state), error=first_line(exc))
            self.set(system, ConnectionState.DB_UNAVAILABLE, first_line(exc))
            return
        with self._lock:
            del self._unrecorded[:len(facts)]
        for fact in facts:
            log.warning("connection state changed", system=fact.system, old=str(fact.old),
                        new=str(fact.new), reason=fact.reason)


def _event_row(fact: ConnectionStateChanged) -> ConnectionStateEvent:
    return ConnectionStateEvent(system=fact.system, old_state=str(fact.old),
                                new_state=str(fact.new), reason=fact.reason, at=fact.at)


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (a database error's driver message)."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(exc).__name__])[0]


def read(session: Session) -> dict[str, Connection]:
    """Every system's state as the ledger has it (another process's view: ``status``)."""
    rows = {row.system: row for row in session.scalars(select(ConnectionStatus))}
    return {system: Connection(system, ConnectionState(row.state), row.reason, row.paused,
                               row.since) if (row := rows.get(system)) else
            Connection(system, ConnectionState.IDLE, None, False, None) for system in SYSTEMS}


def changes(session: Session, *, unnotified: bool = False) -> list[ConnectionStateChanged]:
    """The recorded entries into and exits from error states, oldest first.

    Args:
        unnotified: only those no notification has been sent for yet.
    """
    query = select(ConnectionStateEvent).order_by(ConnectionStateEvent.id)
    if unnotified:
        query = query.where(ConnectionStateEvent.notified_at.is_(None))
    return [ConnectionStateChanged(row.system, ConnectionState(row.old_state),
                                   ConnectionState(row.new_state), row.reason, row.at)
            for row in session.scalars(query)]


def set_paused(sessions: sessionmaker[Session], systems: Iterable[str], paused: bool,
               now: datetime) -> list[str]:
    """Pause (or resume) ``systems``; return those whose flag changed.

    A paused system shows ``PAUSED`` at once; a resumed one ``IDLE`` until the daemon's next
    cycle sets it.
    """
    changed = []
    with sessions() as session, session.begin():
        for system in systems:
            row = session.get(ConnectionStatus, system)
            if row is None:
                row = ConnectionStatus(system=system, state=ConnectionState.IDLE, paused=False,
                                       since=now, updated_at=now)
                session.add(row)
            if row.paused == paused:
                continue
            changed.append(system)
            row.paused, row.updated_at, row.since = paused, now, now
            row.state = ConnectionState.PAUSED if paused else ConnectionState.IDLE
            row.reason = ADMIN_PAUSE if paused else None
    return changed
