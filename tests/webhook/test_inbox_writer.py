"""Group commit: every submitted event is committed before its answer, once, in batches."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import InboxStatus, StripeInboxEvent
from connector.ledger.stripe_inbox import StripeEventRecord
from connector.webhook.inbox_writer import InboxWriter, LedgerUnavailableError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    return session_factory(engine)


@pytest.fixture
def writer(sessions: sessionmaker[Session]) -> Iterator[InboxWriter]:
    started = InboxWriter(sessions, ManualClock(NOW)).start()
    yield started
    started.stop()


def _event(event_id: str) -> StripeEventRecord:
    return StripeEventRecord.parse({"id": event_id, "type": "invoice.paid",
                                    "created": int(NOW.timestamp()),
                                    "data": {"object": {"id": "in_1", "object": "invoice"}}})


def _committed(sessions: sessionmaker[Session], event_id: str) -> bool:
    with sessions() as session:  # a fresh session sees committed rows only
        return session.get(StripeInboxEvent, event_id) is not None


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(StripeInboxEvent)) or 0


def test_concurrent_submissions_are_each_committed_before_their_answer(
        writer: InboxWriter, sessions: sessionmaker[Session]) -> None:
    def submit_and_check(n: int) -> tuple[bool, bool]:
        added = writer.submit(_event(f"evt_{n}")).result(timeout=30)
        return added, _committed(sessions, f"evt_{n}")

    with ThreadPoolExecutor(32) as pool:
        outcomes = list(pool.map(submit_and_check, range(300)))

    assert outcomes == [(True, True)] * 300
    assert _count(sessions) == 300
    with sessions() as session:
        statuses = set(session.scalars(select(StripeInboxEvent.status)))
        received = set(session.scalars(select(StripeInboxEvent.received_at)))
    assert statuses == {InboxStatus.PENDING}
    assert {moment.replace(tzinfo=UTC) for moment in received} == {NOW}


def test_the_same_event_submitted_together_is_stored_once(
        writer: InboxWriter, sessions: sessionmaker[Session]) -> None:
    answers = [writer.submit(_event("evt_twice")) for _ in range(5)]

    assert sorted(answer.result(timeout=30) for answer in answers) == [
        False, False, False, False, True]
    assert _count(sessions) == 1
    assert writer.submit(_event("evt_twice")).result(timeout=30) is False


def test_a_ledger_failure_fails_the_batch_and_the_writer_goes_on(
        writer: InboxWriter, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE stripe_inbox RENAME TO stripe_inbox_away"))
    failed = writer.submit(_event("evt_1"))
    with pytest.raises(LedgerUnavailableError):
        failed.result(timeout=30)
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE stripe_inbox_away RENAME TO stripe_inbox"))

    assert writer.submit(_event("evt_1")).result(timeout=30) is True
    assert _count(sessions) == 1


def test_stop_commits_what_was_submitted(sessions: sessionmaker[Session]) -> None:
    writer = InboxWriter(sessions, ManualClock(NOW)).start()
    answers = [writer.submit(_event(f"evt_{n}")) for n in range(50)]

    writer.stop()

    assert all(answer.result(timeout=0) for answer in answers)
    assert _count(sessions) == 50
    with pytest.raises(RuntimeError):
        writer.submit(_event("evt_late"))


def test_a_submission_cancelled_while_waiting_is_dropped_and_the_writer_goes_on(
        writer: InboxWriter, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    blocker = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer's transaction waits for this one
    try:
        first = writer.submit(_event("evt_first"))
        while not first.running():  # taken by the writer, which now waits for the lock
            time.sleep(0.01)
        abandoned = writer.submit(_event("evt_abandoned"))
        assert abandoned.cancel()  # the request went away (server shutting down)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert first.result(timeout=30) is True
    assert writer.submit(_event("evt_next")).result(timeout=30) is True
    assert (_committed(sessions, "evt_abandoned"), _count(sessions)) == (False, 2)
