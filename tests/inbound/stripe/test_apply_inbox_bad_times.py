"""A Stripe object with a timestamp that cannot be a date is dead-lettered, not a crash.

The applier re-fetches each object from Stripe; here Stripe is a stand-in server on loopback
(the transport seam) answering a subscription whose period end is ``1e20``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connector.billing.client import StripeGateway, build_stripe_client
from connector.clock import ManualClock
from connector.config import Config, MappingsConfig
from connector.inbound.stripe.apply_inbox import InboxApplier
from connector.inbound.stripe.objects import StripeObjects
from connector.ledger import stripe_inbox
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import DeadLetter, InboxStatus, StripeInboxEvent, Subscription, System
from connector.ledger.stripe_inbox import StripeEventRecord
from connector.ledger.unit_of_work import Ledger, unit_of_work
from connector.retry import NO_WAIT
from connector.sync.wiring import load_mapping_set
from crm_emulators.server import ServerThread

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _subscription(period_end: Any = 1798070400, canceled_at: Any = None) -> dict[str, Any]:
    return {"id": "sub_bad", "object": "subscription", "status": "active", "currency": "usd",
            "customer": "cus_1", "cancel_at_period_end": False, "canceled_at": canceled_at,
            "created": 1795392000, "start_date": 1795392000, "metadata": {},
            "items": {"object": "list", "data": [{
                "id": "si_1", "object": "subscription_item", "quantity": 1,
                "current_period_start": 1795392000, "current_period_end": period_end,
                "price": {"id": "price_1", "object": "price", "unit_amount": 4900,
                          "currency": "usd", "lookup_key": "PLATFORM-MONTHLY",
                          "recurring": {"interval": "month", "interval_count": 1}}}]}}


@pytest.fixture(params=["current_period_end", "canceled_at"])
def stripe_stand_in(request: pytest.FixtureRequest) -> Iterator[str]:
    """Stripe answering the subscription with ``1e20`` in the parametrized field."""
    bad = {"period_end": 10**20} if request.param == "current_period_end" else \
        {"canceled_at": 10**20}

    async def retrieve(request: Request) -> JSONResponse:
        return JSONResponse(_subscription(**bad))

    with ServerThread(Starlette(routes=[
            Route("/v1/subscriptions/{sid}", retrieve, methods=["GET"])])) as server:
        yield server.url


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    return session_factory(engine)


def _bill(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    with unit_of_work(sessions, clock, "test") as uow:
        row = Subscription(status="active", currency="usd", created_at=uow.now,
                           updated_at=uow.now)
        uow.session.add(row)
        uow.session.flush()
        uow.link("subscription", row.id, System.STRIPE, "subscription", "sub_bad")


def test_a_timestamp_of_1e20_dead_letters_the_event_with_the_reason(
        stripe_stand_in: str, sessions: sessionmaker[Session]) -> None:
    clock = ManualClock(NOW)
    _bill(sessions, clock)
    stripe_inbox.store_committed(sessions, StripeEventRecord.parse({
        "id": "evt_bad", "type": "customer.subscription.updated",
        "created": int(NOW.timestamp()), "data": {"object": _subscription()}}), NOW)
    client, transport = build_stripe_client("sk_test_x", stripe_stand_in, 100)
    gateway = StripeGateway(client, transport, NO_WAIT)
    mappings = load_mapping_set(Config(mappings=MappingsConfig(dir=REPO / "mappings")))

    result = InboxApplier(Ledger(sessions, clock, "test"), gateway,
                          StripeObjects(gateway, mappings)).run()

    assert (result.applied, result.dead_letters) == (0, 1)
    with sessions() as session:
        [letter] = session.scalars(select(DeadLetter))
        event = session.get_one(StripeInboxEvent, "evt_bad")
    assert (letter.source, letter.record_key) == ("stripe.event", "evt_bad")
    assert "100000000000000000000" in letter.reason
    assert event.status == InboxStatus.FAILED
