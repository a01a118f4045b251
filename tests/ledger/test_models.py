"""The schema's guarantees: exact money, aware UTC time, constraints that guard invariants."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from connector.ledger.database import session_factory
from connector.ledger.models import (
    AppendOnlyError,
    Base,
    Conflict,
    Invoice,
    JournalEntry,
    LineItem,
    Link,
    MoneyEntry,
    Opportunity,
    OutboxOperation,
    Subscription,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STAMPS = {"created_at": NOW, "updated_at": NOW}
RowT = TypeVar("RowT", bound=Base)


def _reloaded(ledger: Engine, row: RowT) -> RowT:
    """Store ``row``, then read it back through a fresh session."""
    with session_factory(ledger)() as session:
        session.add(row)
        session.commit()
    with session_factory(ledger)() as session:
        found = session.get(type(row), inspect(row).identity)
        assert found is not None
        return found


def _outbox(key: str = "stripe:create-subscription:sub-1", **values: Any) -> OutboxOperation:
    defaults: dict[str, Any] = {
        "target": "stripe", "operation": "create_subscription", "next_attempt_at": NOW,
        "payload": {"items": [{"price": "price_1", "quantity": 3}]}, "created_at": NOW,
    }
    return OutboxOperation(key=key, **{**defaults, **values})


def _opportunity(session: Session) -> Opportunity:
    opportunity = Opportunity(name="Deal", stage="Closed Won", **STAMPS)
    session.add(opportunity)
    session.flush()
    return opportunity


def _line_item(session: Session, **values: Any) -> LineItem:
    item = LineItem(opportunity_id=_opportunity(session).id, **{"quantity": 1, **values}, **STAMPS)
    session.add(item)
    return item


@pytest.mark.parametrize("amount", [0, 2**40 + 1, 2**63 - 1])
def test_money_round_trips_as_exact_integers(ledger: Engine, amount: int) -> None:
    entry = MoneyEntry(kind="payment", amount_minor=amount, currency="usd", occurred_at=NOW,
                       created_at=NOW)

    found = _reloaded(ledger, entry)

    assert found.amount_minor == amount
    assert type(found.amount_minor) is int


def test_fractional_quantity_round_trips_exactly(ledger: Engine) -> None:
    with session_factory(ledger)() as session:
        item = _line_item(session, quantity=Decimal("2.5"), unit_price_minor=1999, currency="eur")
        session.commit()
        item_id = item.id
    with session_factory(ledger)() as session:
        found = session.get(LineItem, item_id)

    assert found is not None
    assert found.quantity == Decimal("2.5")


def test_aware_datetimes_come_back_as_the_same_instant_in_utc(ledger: Engine) -> None:
    berlin = datetime(2026, 3, 1, 13, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    entry = MoneyEntry(kind="refund", amount_minor=5, currency="eur", occurred_at=berlin,
                       created_at=NOW)

    found = _reloaded(ledger, entry)

    assert found.occurred_at == berlin
    assert found.occurred_at.tzinfo is UTC
    assert found.occurred_at.hour == 12


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(MoneyEntry(kind="payment", amount_minor=1, currency="usd",
                           occurred_at=datetime(2026, 3, 1, 12, 0), created_at=NOW))

    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_timestamp_comparisons_work_in_queries(session: Session) -> None:
    session.add_all([_outbox("due", next_attempt_at=NOW - timedelta(seconds=1)),
                     _outbox("later", next_attempt_at=NOW + timedelta(hours=1))])
    session.flush()

    due = session.scalars(select(OutboxOperation.key)
                          .where(OutboxOperation.next_attempt_at <= NOW)).all()

    assert due == ["due"]


def test_json_payloads_round_trip_and_none_means_sql_null(ledger: Engine) -> None:
    found = _reloaded(ledger, _outbox(result=None))

    assert found.payload == {"items": [{"price": "price_1", "quantity": 3}]}
    assert found.status == "pending"
    assert found.attempts == 0
    with session_factory(ledger)() as session:
        assert session.scalar(select(OutboxOperation.id).where(OutboxOperation.result.is_(None)))


def test_conflict_keeps_a_json_null_value(ledger: Engine) -> None:
    conflict = Conflict(entity_type="subscription", entity_id="sub-1", field="quantity",
                        owner="salesforce", ours=3, theirs=None, their_source="stripe",
                        created_at=NOW)

    found = _reloaded(ledger, conflict)

    assert (found.ours, found.theirs, found.status) == (3, None, "open")


def test_ledger_ids_carry_the_entity_prefix(session: Session) -> None:
    subscription = Subscription(status="potential", **STAMPS)
    session.add(subscription)
    session.flush()

    assert re.fullmatch(r"sub-[0-9a-f]{32}", subscription.id)


def test_outbox_key_is_unique(session: Session) -> None:
    session.add_all([_outbox("same"), _outbox("same")])

    with pytest.raises(IntegrityError):
        session.flush()


def test_links_are_unique_per_external_id(session: Session) -> None:
    for entity_id in ("sub-1", "sub-2"):
        session.add(Link(entity_type="subscription", entity_id=entity_id, system="stripe",
                         object_type="subscription", external_id="sub_123"))

    with pytest.raises(IntegrityError):
        session.flush()


def test_one_subscription_per_line_item(session: Session) -> None:
    item = _line_item(session)
    session.flush()
    for _ in range(2):
        session.add(Subscription(status="potential", line_item_id=item.id, **STAMPS))

    with pytest.raises(IntegrityError):
        session.flush()


def test_money_entry_is_unique_per_kind_and_external_id(session: Session) -> None:
    for _ in range(2):
        session.add(MoneyEntry(kind="payment", amount_minor=100, currency="usd",
                               occurred_at=NOW, external_id="ch_1", created_at=NOW))

    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(lambda: Invoice(status="paid-ish", currency="usd", **STAMPS), id="status"),
        pytest.param(lambda: Invoice(status="paid", currency="USD", **STAMPS), id="upper-currency"),
        pytest.param(lambda: Invoice(status="paid", currency="us", **STAMPS), id="short-currency"),
        pytest.param(lambda: Invoice(status="open", currency="usd", amount_due_minor=-1, **STAMPS),
                     id="negative-amount"),
        pytest.param(lambda: _outbox(status="sent"), id="outbox-status"),
        pytest.param(lambda: Subscription(status="Active", **STAMPS), id="sf-picklist-label"),
    ],
)
def test_check_constraints_refuse_invalid_rows(session: Session, row: Any) -> None:
    session.add(row())

    with pytest.raises(IntegrityError):
        session.flush()


def test_negative_quantity_is_refused(session: Session) -> None:
    _line_item(session, quantity=Decimal(-1))

    with pytest.raises(IntegrityError):
        session.flush()


def test_valid_invoice_is_accepted(ledger: Engine) -> None:
    invoice = Invoice(status="open", currency="usd", amount_due_minor=4200,
                      amount_remaining_minor=4200, period_start=NOW, **STAMPS)

    found = _reloaded(ledger, invoice)

    assert (found.amount_due_minor, found.amount_paid_minor, found.discount_minor) == (4200, 0, 0)


def _journal_entry(session: Session) -> JournalEntry:
    entry = JournalEntry(entity_type="account", entity_id="acc-1", source="salesforce",
                         recorded_at=NOW, kind="create", diff={"name": [None, "Acme"]})
    session.add(entry)
    session.flush()
    return entry


def test_journal_entries_cannot_be_updated(session: Session) -> None:
    entry = _journal_entry(session)
    entry.diff = {}

    with pytest.raises(AppendOnlyError):
        session.flush()


def test_journal_entries_cannot_be_deleted(session: Session) -> None:
    session.delete(_journal_entry(session))

    with pytest.raises(AppendOnlyError):
        session.flush()


def test_dates_round_trip(ledger: Engine) -> None:
    subscription = Subscription(status="active", start_date=date(2026, 1, 1),
                                end_date=date(2026, 12, 31), term_months=12, **STAMPS)

    found = _reloaded(ledger, subscription)

    assert (found.start_date, found.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
