"""What the running daemon tells other processes: small JSON values by key.

``status`` runs as its own process, so the daemon writes here what only it knows (which
mapping set is in force, which change of the files it refused and why). Each write commits
on its own; readers see the last one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.ledger.models import DaemonState

MAPPINGS_IN_USE = "mappings.in_use"
"""``{"digest", "directory", "since"}``: the mapping set the daemon is using."""
MAPPINGS_REFUSED = "mappings.refused"
"""``{"digest", "problems", "at"}``: the last change of the mapping files the daemon refused."""
STREAMS_REFUSED = "salesforce.refused"
"""``{"problems", "at"}``: Salesforce streams the daemon does not read because the org lacks
fields the mappings need (each problem names the file, key and fix)."""
LICENCES = "licences.tracking"
"""``{"tracked", "object", "reasons", "write_back"}``: whether licences are read (license.toml
and the org's describe decide), why not, and why the summary cannot be written to Account."""
TEMPLATES_REFUSED = "templates.refused"
"""``{"problems", "at"}``: the email templates the daemon refused at its last SIGHUP (the last
good version of each stays in force)."""
INSTALLED = "sync.installed"
"""``{"at"}``: the start of the first sync; deals won before it are history
(``[sync] generate_since = "install"``)."""


def put(sessions: sessionmaker[Session], key: str, value: dict[str, Any] | None,
        now: datetime) -> None:
    """Set ``key`` to ``value`` (None removes it), in a transaction of its own."""
    with sessions() as session, session.begin():
        row = session.get(DaemonState, key)
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(DaemonState(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now


def publish(sessions: sessionmaker[Session], key: str, value: dict[str, Any],
            now: datetime) -> None:
    """Set ``key`` to ``value`` unless it holds it already (no write when nothing changed)."""
    if get(sessions, key) != value:
        put(sessions, key, value, now)


def read_all(session: Session) -> dict[str, dict[str, Any]]:
    """Every key and its value."""
    return {row.key: row.value for row in session.scalars(select(DaemonState))}


def get(sessions: sessionmaker[Session], key: str) -> dict[str, Any] | None:
    """The value of ``key``, or None."""
    with sessions() as session:
        row = session.get(DaemonState, key)
        return dict(row.value) if row is not None else None


def install_moment(sessions: sessionmaker[Session], now: datetime) -> datetime:
    """When the daemon first synced this ledger; recorded as ``now`` the first time."""
    known = get(sessions, INSTALLED)
    if known is not None:
        return datetime.fromisoformat(str(known["at"]))
    put(sessions, INSTALLED, {"at": now.isoformat()}, now)
    return now
