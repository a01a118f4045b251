"""The Stripe inbox keeps each event id once, even when two writers race (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.errors import ValidationRejectedError
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import StripeInboxEvent
from connector.sync import stripe_inbox
from connector.sync.stripe_inbox import StripeEventRecord

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
