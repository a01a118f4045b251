"""Ops fixtures: a migrated ledger (SQLite and PostgreSQL) on a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.ledger.database import make_engine, migrate, session_factory

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/ledger?connect_timeout=2"
"""A ledger URL nothing answers at (port 1 on loopback refuses at once)."""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def engine(ledger_url: str) -> Iterator[Engine]:
    engine = make_engine(ledger_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def unreachable() -> Iterator[sessionmaker[Session]]:
    engine = make_engine(UNREACHABLE)
    yield session_factory(engine)
    engine.dispose()
