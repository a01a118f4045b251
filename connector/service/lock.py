"""One daemon per ledger: a lock held for the life of ``run`` (and ``sync --once``).

* SQLite: ``fcntl.flock`` on ``<ledger file>.lock`` beside the ledger, which holds the
  holder's pid, host and start time. The kernel releases the lock when the process dies,
  ``kill -9`` included; the file stays (deleting it would let two processes lock two files).
* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  named ``crm-connector pid=PID host=HOST`` (``application_name``) so the refusal can say
  who holds it. The server releases it when that connection ends, a killed process's too.

A second process is refused with one line naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from connector.errors import ConfigError

ADVISORY_KEY = 0x63726D636F6E6E  # "crmconn": the same in every crm-connector ledger database
"""The ``pg_try_advisory_lock`` key; advisory locks are per database, so one per ledger."""

APPLICATION_PREFIX = "crm-connector"


class LedgerInUseError(ConfigError):
    """Another crm-connector process holds the ledger (exit code 2, one line)."""


def holder_description(holder: dict[str, Any] | None) -> str:
    """``pid 1234 on host app1 since 2026-12-07T16:00:00+00:00``, from what the holder wrote."""
    if not holder:
        return "a process that has not said who it is yet"
    since = f" since {holder['since']}" if holder.get("since") else ""
    return f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}{since}"


def _refusal(shown: str, holder: dict[str, Any] | None, source: str) -> LedgerInUseError:
    return LedgerInUseError([
        f"{source}: ledger.url: {shown} is in use by another crm-connector "
        f"({holder_description(holder)}); one daemon per ledger: stop that one first"])


def _me() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds")}


@contextlib.contextmanager
def ledger_lock(url: str, source: str | Path = "config") -> Iterator[None]:
    """Hold the ledger at ``url`` for this process until the block ends.

    Args:
        url: ``ledger.url``; a SQLite file or a PostgreSQL database (other backends and
            in-memory SQLite are not shared, so nothing is locked).
        source: the config file, for the refusal line.

    Raises:
        LedgerInUseError: another process holds it; the line names its pid and host.
        ConfigError: the lock itself cannot be taken (unwritable folder, server refused).
    """
    where = str(source)
    try:
        sa_url = make_url(url)
    except ArgumentError:  # opening the ledger reports it, as one line
        sa_url = None
    backend = sa_url.get_backend_name() if sa_url is not None else None
    if sa_url is not None and backend == "sqlite" \
            and sa_url.database not in (None, "", ":memory:"):
        with _file_lock(Path(str(sa_url.database)), where):
            yield
    elif sa_url is not None and backend == "postgresql":
        with _advisory_lock(sa_url, where):
            yield
    else:
        yield


@contextlib.contextmanager
def _file_lock(ledger: Path, source: str) -> Iterator[None]:
    path = ledger.with_name(ledger.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError([f"{source}: ledger.url: cannot create the lock file {path}: "
                           f"{exc.strerror or exc}"]) from None
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refusal(str(ledger), _read_holder(handle), source) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(_me()) + "\n")
        handle.flush()
        yield  # closing the file releases the lock


def _read_holder(handle: IO[str]) -> dict[str, Any] | None:
    handle.seek(0)
    with contextlib.suppress(ValueError):
        found = json.loads(handle.read() or "null")
        return found if isinstance(found, dict) else None
    return None


@contextlib.contextmanager
def _advisory_lock(url: URL, source: str) -> Iterator[None]:
    shown = url.render_as_string(hide_password=True)
    me = _me()
    name = f"{APPLICATION_PREFIX} pid={me['pid']} host={me['host']}"[:63]
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args={"application_name": name})
    except ArgumentError:  # no driver installed: opening the ledger reports it, as one line
        yield
        return
    try:
        connection = _locked_connection(engine, shown, source)
        try:
            yield
        finally:
            _unlock(connection)
    finally:
        engine.dispose()


def _unlock(connection: Connection) -> None:
    """Release the lock at once, then close. Closing alone would release it only when the
    server's backend has noticed the closed socket, which a next start can outrun."""
    with contextlib.suppress(SQLAlchemyError):  # a lost connection has released it already
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
        connection.commit()
    connection.close()


def _locked_connection(engine: Engine, shown: str, source: str) -> Connection:
    """A connection holding the advisory lock; refused if another session holds it."""
    try:
        connection = engine.connect()
        locked = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                    {"key": ADVISORY_KEY}).scalar()
        holder = None if locked else _pg_holder(connection)
        connection.commit()
    except SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
        raise ConfigError([f"{source}: ledger.url: cannot lock the ledger at {shown}: "
                           f"{reason}"]) from None
    if not locked:
        connection.close()
        raise _refusal(shown, holder, source)
    return connection


def _pg_holder(connection: Connection) -> dict[str, Any] | None:
    """The holder of the advisory lock, from its session's ``application_name``."""
    row = connection.execute(text(
        "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid = :high AND l.objid = :low"),
        {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF}).first()
    if row is None:
        return None
    fields = dict(part.split("=", 1) for part in str(row[0] or "").split()[1:] if "=" in part)
    if "host" not in fields and row[1] is not None:
        fields["host"] = str(row[1])
    if row[2] is not None:
        fields["since"] = row[2].astimezone(UTC).isoformat(timespec="seconds")
    return fields or None
