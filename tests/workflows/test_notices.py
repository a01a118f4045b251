"""Where a customer notification goes (``customer_address``): ``Account.Billing_Email__c``,
else the won opportunity's primary contact, else the Stripe customer's email, else nowhere;
on both ledger backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import Account, Customer, Opportunity
from connector.ledger.unit_of_work import Ledger
from connector.workflows.notices import customer_address

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(ledger_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(ledger_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _seed(sessions: sessionmaker[Session], *deals: dict[str, Any],
          stripe_email: str | None = None) -> str:
    """An account with these opportunities (newest last) and a Stripe customer."""
    with sessions() as session, session.begin():
        account = Account(name="Acme", created_at=NOW, updated_at=NOW)
        session.add(account)
        session.flush()
        for age, deal in enumerate(reversed(deals)):
            moment = NOW - timedelta(days=age)
            session.add(Opportunity(account_id=account.id, name="deal", stage="x",
                                    created_at=moment, updated_at=moment, **deal))
        session.add(Customer(account_id=account.id, email=stripe_email, created_at=NOW,
                             updated_at=NOW))
        return account.id


def _address(sessions: sessionmaker[Session], account_id: str | None) -> str | None:
    with Ledger(sessions, ManualClock(NOW), "run-1").unit() as uow:
        return customer_address(uow, account_id)


def _billing(email: str | None) -> dict[str, Any]:
    return {"Account": {"Billing_Email__c": email}}


def test_the_billing_email_comes_first(sessions: sessionmaker[Session]) -> None:
    account = _seed(sessions, {"is_won": True, "primary_contact_email": "jane@acme.example",
                               "record": _billing("billing@acme.example")},
                    stripe_email="stripe@acme.example")
    assert _address(sessions, account) == "billing@acme.example"


def test_then_the_latest_won_opportunity_s_primary_contact(
        sessions: sessionmaker[Session]) -> None:
    account = _seed(sessions,
                    {"is_won": True, "primary_contact_email": "old@acme.example"},
                    {"is_won": True, "primary_contact_email": "new@acme.example",
                     "record": _billing(None)},
                    {"is_won": False, "primary_contact_email": "open@acme.example"},
                    stripe_email="stripe@acme.example")
    assert _address(sessions, account) == "new@acme.example"


def test_then_the_stripe_customer_s_email_then_none(sessions: sessionmaker[Session]) -> None:
    with_stripe = _seed(sessions, {"is_won": False, "primary_contact_email": "o@acme.example"},
                        stripe_email="stripe@acme.example")
    without = _seed(sessions, {"is_won": True, "record": _billing(None)})

    assert _address(sessions, with_stripe) == "stripe@acme.example"
    assert _address(sessions, without) is None
    assert _address(sessions, None) is None
