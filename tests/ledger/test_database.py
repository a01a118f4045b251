"""Engines, sessions and SQLite's connection settings."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.ledger.database import make_engine, session_factory
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
