"""What ``/healthz`` and ``/readyz`` answer, decided apart from HTTP.

Healthy: the process answers and the ledger answers ``SELECT 1``. Ready: healthy, the last
successful full cycle is no older than three poll intervals (the first one gets as long
from the start), and no connection is ``UNAUTHORIZED`` or ``SYSTEM_ERROR`` (or
``DB_UNAVAILABLE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.ops.states import Connection, first_line

STALE_AFTER_POLLS = 3
"""``/readyz`` fails when the last successful cycle is older than this many poll intervals."""


@dataclass(frozen=True)
class Verdict:
    """An answer of a health endpoint.

    Attributes:
        ok: 200 when true, else 503.
        reasons: why not, one line each (empty when ok).
        details: what was looked at (states, last success), for the JSON body.
    """

    ok: bool
    reasons: list[str] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)

    def body(self) -> dict[str, object]:
        """The JSON body: ``{"status": "ok"|"unavailable", "reasons": [...], ...}``."""
        return {"status": "ok" if self.ok else "unavailable", "reasons": self.reasons,
                **self.details}


def ledger_problem(sessions: sessionmaker[Session]) -> str | None:
    """None when the ledger answers ``SELECT 1``, else why not (one line)."""
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"ledger unreachable: {first_line(exc)}"
    return None


def health(sessions: sessionmaker[Session]) -> Verdict:
    """``/healthz``: the process is alive and the ledger reachable."""
    problem = ledger_problem(sessions)
    return Verdict(problem is None, [problem] if problem else [])


def readiness(sessions: sessionmaker[Session], connections: dict[str, Connection], *,
              last_success: datetime | None, started: datetime, now: datetime,
              poll_interval: int) -> Verdict:
    """``/readyz``: healthy, cycling recently, no connection in an error state.

    Args:
        sessions: the ledger.
        connections: each system's state (the daemon's memory).
        last_success: the end of the last successful full cycle, if any.
        started: when the daemon started (the first cycle's grace period counts from it).
        now: the current time.
        poll_interval: ``salesforce.poll_interval`` in seconds.
    """
    reasons = health(sessions).reasons
    limit = timedelta(seconds=STALE_AFTER_POLLS * poll_interval)
    if last_success is None and now - started > limit:
        reasons.append(f"no successful sync cycle since the start {_ago(now - started)} ago "
                       f"(expected one every {poll_interval}s)")
    elif last_success is not None and now - last_success > limit:
        reasons.append(f"last successful sync cycle {_ago(now - last_success)} ago, more "
                       f"than {STALE_AFTER_POLLS} poll intervals ({int(limit.total_seconds())}s)")
    for connection in connections.values():
        if connection.in_error:
            reasons.append(f"{connection.system} is {connection.state.value}: "
                           f"{connection.reason or 'no reason given'}")
    details: dict[str, object] = {
        "last_success": last_success.isoformat() if last_success else None,
        "connections": {c.system: c.state.value for c in connections.values()}}
    return Verdict(not reasons, reasons, details)


def _ago(delta: timedelta) -> str:
    return f"{int(delta.total_seconds())}s"
