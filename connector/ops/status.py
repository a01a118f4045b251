"""The ``status`` lines of the operations surface: connection states and the last cycle."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from connector.ops import states
from connector.ops.hooks import LAST_CYCLE


def status_lines(session: Session, daemon: dict[str, dict[str, Any]]) -> list[str]:
    """``connections:`` with each system's state (and why), then the daemon's last cycle.

    Args:
        session: a ledger session.
        daemon: the ``daemon_state`` values (:func:`connector.ledger.daemon_state.read_all`).
    """
    lines = ["connections:"]
    for connection in states.read(session).values():
        since = f" since {connection.since:%Y-%m-%d %H:%M:%S} UTC" if connection.since else ""
        why = f": {connection.reason}" if connection.reason else ""
        lines.append(f"  {connection.system:<12} {connection.state.value}{since}{why}")
    last = daemon.get(LAST_CYCLE)
    if last is None:
        lines.append("last cycle:    none reported by a running daemon yet")
    else:
        outcome = "ok" if last.get("ok") else "did not finish cleanly"
        lines.append(f"last cycle:    {last.get('kind')} at {last.get('at')} ({outcome}); last "
                     f"successful full cycle {last.get('last_success') or 'never'}")
    return lines
