"""Ledger fixtures: every test using them runs once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from connector.ledger.database import make_engine, migrate, session_factory


@pytest.fixture
def engine(ledger_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no schema yet)."""
    engine = make_engine(ledger_url)
    yield engine
    engine.dispose()


@pytest.fixture
def ledger(engine: Engine) -> Engine:
    """An engine on a database migrated to head."""
    migrate(engine)
    return engine


@pytest.fixture
def session(ledger: Engine) -> Iterator[Session]:
    """A session on a migrated ledger."""
    with session_factory(ledger)() as session:
        yield session
