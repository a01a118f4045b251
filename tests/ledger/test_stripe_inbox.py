"""The Stripe inbox keeps each event id once, even when two writers race (both backends)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.errors import ValidationRejectedError
from connector.ledger import stripe_inbox
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import StripeInboxEvent
from connector.ledger.stripe_inbox import StripeEventRecord

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture
def sessions(ledger_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(ledger_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _event(event_id: str = "evt_1") -> StripeEventRecord:
    return StripeEventRecord.parse({"id": event_id, "type": "invoice.paid",
                                    "created": int(NOW.timestamp()),
                                    "data": {"object": {"id": "in_1", "object": "invoice"}}})


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(StripeInboxEvent)) or 0


def test_an_event_is_stored_once(sessions: sessionmaker[Session]) -> None:
    first = stripe_inbox.store_committed(sessions, _event(), NOW)
    second = stripe_inbox.store_committed(sessions, _event(), NOW)

    assert (first, second) == (True, False)
    assert _count(sessions) == 1


def test_a_copy_stored_meanwhile_by_another_writer_does_not_fail_the_batch(
        sessions: sessionmaker[Session], ledger_url: str) -> None:
    if ledger_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE), so this race cannot happen")
    with sessions() as batch, batch.begin():
        assert stripe_inbox.known_ids(batch, ["evt_1", "evt_2"]) == set()
        stripe_inbox.store_committed(sessions, _event("evt_1"), NOW)  # the webhook, meanwhile
        stored = [stripe_inbox.store_new(batch, _event(ident), NOW)
                  for ident in ("evt_1", "evt_2")]

    assert stored == [False, True]
    assert _count(sessions) == 2


def test_a_body_that_is_not_an_event_is_refused() -> None:
    with pytest.raises(ValidationRejectedError):
        StripeEventRecord.parse({"id": "evt_1", "type": "x"})


def test_a_batch_is_stored_in_one_commit_each_id_once(sessions: sessionmaker[Session]) -> None:
    stripe_inbox.store_committed(sessions, _event("evt_known"), NOW)

    added = stripe_inbox.store_all_committed(
        sessions, [_event("evt_1"), _event("evt_known"), _event("evt_1"), _event("evt_2")], NOW)

    assert added == [True, False, False, True]
    assert _count(sessions) == 3


def test_a_batch_racing_another_writer_falls_back_to_one_event_at_a_time(
        sessions: sessionmaker[Session], ledger_url: str) -> None:
    if ledger_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE), so this race cannot happen")
    with ThreadPoolExecutor(1) as pool, sessions() as other, other.begin():
        stripe_inbox.store(other, _event("evt_2"), NOW)  # flushed, not committed yet
        batch = pool.submit(stripe_inbox.store_all_committed, sessions,
                            [_event("evt_1"), _event("evt_2")], NOW)
        time.sleep(0.5)  # the batch's INSERT waits on evt_2's uncommitted key meanwhile
        other.commit()
        added = batch.result(timeout=30)

    assert added == [True, False]
    assert _count(sessions) == 2


@pytest.mark.parametrize(("created", "code"), [
    (10**20, "bad_timestamp"), (-1, "bad_timestamp"), (1.5, "bad_timestamp"),
    (True, "bad_timestamp"), ("1700000000", "bad_timestamp"), (None, "bad_event")])
def test_a_created_that_is_not_a_plausible_timestamp_is_refused(created: object,
                                                                 code: str) -> None:
    with pytest.raises(ValidationRejectedError) as refused:
        StripeEventRecord.parse({"id": "evt_1", "type": "invoice.paid", "created": created,
                                 "data": {"object": {"id": "in_1", "object": "invoice"}}})

    assert refused.value.code == code
    assert "created" in str(refused.value)
