"""Reconstructing a subscription's history from the journal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from connector.ledger.history import subscription_history
from connector.ledger.journal import record_change
from connector.ledger.models import ChangeKind

SUB = "sub-" + "0" * 32


def _entry(session: Session, at: datetime, source: str, changes: dict[str, list[Any]],
           kind: ChangeKind = ChangeKind.UPDATE) -> None:
    record_change(session, entity_type="subscription", entity_id=SUB, source=source,
                  source_ts=at, kind=kind, diff=changes, recorded_at=at)


def _day(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def _lifecycle(session: Session) -> None:
    _entry(session, _day(9, 20), "ledger", {"status": [None, "potential"],
                                            "quantity": [None, 10]}, ChangeKind.CREATE)
    _entry(session, _day(10, 1), "salesforce", {"status": ["potential", "active"]})
    _entry(session, _day(11, 5), "salesforce", {"quantity": [10, 15]})
    _entry(session, _day(12, 2), "salesforce", {"quantity": [15, 12]})
    _entry(session, _day(12, 20), "salesforce", {
        "status": ["active", "canceled"], "cancel_at_period_end": [False, True],
        "end_date": [None, "2027-02-01"]})
    _entry(session, _day(2, 1, 2027), "stripe", {"status": ["active", "canceled"]})


def test_status_by_month_counts_a_scheduled_cancellation_when_billing_ends(
        session: Session) -> None:
    _lifecycle(session)

    history = subscription_history(session, SUB, until=date(2027, 3, 15))

    assert history.status_by_month == [
        ("2026-09", "potential"), ("2026-10", "active"), ("2026-11", "active"),
        ("2026-12", "active"), ("2027-01", "active"), ("2027-02", "canceled"),
        ("2027-03", "canceled")]


def test_quantity_changes_are_upsells_and_downgrades_in_order(session: Session) -> None:
    _lifecycle(session)

    history = subscription_history(session, SUB, until=date(2027, 3, 15))

    assert [(e.kind, e.old, e.new, e.at.date()) for e in history.quantity_changes] == [
        ("created", None, 10, date(2026, 9, 20)), ("upsell", 10, 15, date(2026, 11, 5)),
        ("downgrade", 15, 12, date(2026, 12, 2))]
    assert [e.kind for e in history.events] == [
        "created", "created", "status", "upsell", "downgrade", "cancel_scheduled", "status"]


def test_reactivation_and_term_changes_are_events_not_status_changes(
        session: Session) -> None:
    _entry(session, _day(10, 1), "salesforce", {"status": ["potential", "active"]})
    _entry(session, _day(10, 9), "salesforce", {
        "status": ["active", "canceled"], "cancel_at_period_end": [False, True],
        "end_date": [None, "2026-11-01"]})
    _entry(session, _day(10, 12), "salesforce", {
        "status": ["canceled", "active"], "cancel_at_period_end": [True, False],
        "end_date": ["2026-11-01", None]})
    _entry(session, _day(10, 20), "salesforce", {"end_date": [None, "2027-04-01"],
                                                 "term_months": [12, 6]})

    history = subscription_history(session, SUB, until=date(2026, 11, 30))

    assert [e.kind for e in history.events] == [
        "status", "cancel_scheduled", "reactivated", "term"]
    assert history.status_by_month == [("2026-10", "active"), ("2026-11", "active")]


def test_a_subscription_without_entries_has_an_empty_history(session: Session) -> None:
    history = subscription_history(session, SUB, until=date(2026, 1, 1))

    assert (history.events, history.status_by_month) == ([], [])
