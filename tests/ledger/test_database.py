"""Engines, sessions and SQLite's connection settings."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from connector.ledger.database import durable_session, make_engine, migrate, session_factory
from connector.ledger.models import Account, Opportunity

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_sqlite_file_gets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()

    assert path.exists()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30_000}


def test_sqlite_transaction_takes_the_write_lock_at_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Opportunity(account_id="acc-missing", name="Deal", stage="Prospecting",
                            created_at=NOW, updated_at=NOW))

    with pytest.raises(IntegrityError):
        session.flush()


def test_objects_stay_readable_after_commit(ledger: Engine) -> None:
    with session_factory(ledger)() as session:
        account = Account(name="Acme", created_at=NOW, updated_at=NOW)
        session.add(account)
        session.commit()

    assert account.name == "Acme"
    assert account.id.startswith("acc-")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_ledger_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        with engine.connect() as connection:  # WAL and SHM exist while a connection is open
            connection.execute(text("SELECT count(*) FROM accounts"))
            modes = {suffix: _mode(tmp_path / f"ledger.db{suffix}")
                     for suffix in ("", "-wal", "-shm")}
    finally:
        engine.dispose()

    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_an_existing_world_readable_ledger_is_tightened_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    wal = tmp_path / "ledger.db-wal"
    wal.write_bytes(b"")
    wal.chmod(0o666)

    with capture_logs() as logs:
        make_engine(f"sqlite:///{path}").dispose()

    assert (_mode(path), _mode(wal)) == (0o600, 0o600)
    warned = [entry for entry in logs if entry["event"].startswith("ledger file was readable")]
    assert [(w["path"], w["mode"]) for w in warned] == [(str(path), "0644"), (str(wal), "0666")]


def test_a_private_ledger_is_left_alone_without_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    make_engine(f"sqlite:///{path}").dispose()

    with capture_logs() as logs:
        make_engine(f"sqlite:///{path}").dispose()

    assert _mode(path) == 0o600
    assert logs == []


def test_a_durable_session_commits_with_synchronous_full_then_restores_normal(
        tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    try:
        with durable_session(sessions) as session, session.begin():
            inside = session.execute(text("PRAGMA synchronous")).scalar()
            driver = session.connection().connection.driver_connection
            session.add(Account(name="Acme", created_at=NOW, updated_at=NOW))
        with engine.connect() as connection:
            after = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            same = connection.connection.driver_connection is driver
        with sessions() as session:
            names = list(session.scalars(select(Account.name)))
    finally:
        engine.dispose()

    assert (inside, after, same) == (2, 1, True)  # FULL inside, NORMAL again on that connection
    assert names == ["Acme"]


@pytest.mark.postgres
def test_a_durable_session_on_postgresql_forces_synchronous_commit(postgres_url: str) -> None:
    engine = make_engine(postgres_url)  # the test server runs with synchronous_commit = off
    sessions = session_factory(engine)
    try:
        with durable_session(sessions) as session, session.begin():
            forced = session.execute(text("SHOW synchronous_commit")).scalar()
        with sessions() as session, session.begin():
            ordinary = session.execute(text("SHOW synchronous_commit")).scalar()
    finally:
        engine.dispose()

    assert (forced, ordinary) == ("on", "off")
