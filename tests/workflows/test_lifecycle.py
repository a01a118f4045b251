"""Settling a CSM's edit of an activated subscription, and the Stripe change it makes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from connector.inbound import subscription_values as fields
from connector.inbound.subscription_values import SubscriptionValues
from connector.ledger.models import Subscription
from connector.mapping import DataModel, load_mappings
from connector.workflows.lifecycle import add_months, settle, stripe_change

REPO = Path(__file__).resolve().parents[2]
PERIOD_END = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)


def _subscription(status: str = "active", cancel_at_period_end: bool = False) -> Subscription:
    return Subscription(status=status, cancel_at_period_end=cancel_at_period_end,
                        current_period_end=PERIOD_END, currency="usd",
                        start_date=date(2026, 11, 23), term_months=12)


def _values(subscription: Subscription, **changes: Any) -> SubscriptionValues:
    shown = SubscriptionValues(
        status=fields.shown_status(subscription), quantity=1, unit_amount_minor=49900,
        currency="usd", start_date=date(2026, 11, 23), end_date=subscription.end_date,
        term_months=12, csm_user_id=None, trial_end=None,
        cancel_at_period_end=subscription.cancel_at_period_end)
    return replace(shown, **changes)


def test_canceled_schedules_the_cancellation_for_the_period_end() -> None:
    sub = _subscription()

    settled = settle(_values(sub), _values(sub, status="canceled"), sub,
                     cancel_immediately=False)

    assert (settled.values.status, settled.values.cancel_at_period_end,
            settled.values.end_date, settled.status) == (
        "canceled", True, date(2026, 12, 23), "active")
    assert not settled.cancel_now


def test_canceled_cancels_now_when_configured() -> None:
    sub = _subscription()

    settled = settle(_values(sub), _values(sub, status="canceled"), sub,
                     cancel_immediately=True)

    assert (settled.status, settled.cancel_now) == ("canceled", True)


def test_ticking_cancel_at_period_end_is_the_same_as_canceled() -> None:
    sub = _subscription()

    settled = settle(_values(sub), _values(sub, cancel_at_period_end=True), sub,
                     cancel_immediately=False)

    assert (settled.values.status, settled.values.cancel_at_period_end) == ("canceled", True)


@pytest.mark.parametrize("edit", [{"status": "active"}, {"cancel_at_period_end": False}])
def test_active_again_before_the_end_reactivates(edit: dict[str, Any]) -> None:
    sub = _subscription(cancel_at_period_end=True)
    sub.end_date = date(2026, 12, 23)

    settled = settle(_values(sub), _values(sub, **edit), sub, cancel_immediately=False)

    assert (settled.values.status, settled.values.cancel_at_period_end,
            settled.values.end_date, settled.refused) == ("active", False, None, False)


def test_an_ended_subscription_cannot_be_reactivated() -> None:
    sub = _subscription(status="canceled")

    settled = settle(_values(sub), _values(sub, status="active"), sub, cancel_immediately=False)

    assert (settled.values.status, settled.refused) == ("canceled", True)


@pytest.mark.parametrize("status", ["past_due", "expired", "potential", "trialing"])
def test_a_status_stripe_cannot_be_asked_for_is_refused(status: str) -> None:
    sub = _subscription()

    settled = settle(_values(sub), _values(sub, status=status, quantity=3), sub,
                     cancel_immediately=False)

    assert (settled.values.status, settled.values.quantity, settled.refused) == (
        "active", 3, True)


def test_a_new_term_moves_the_end_date() -> None:
    sub = _subscription()

    settled = settle(_values(sub), _values(sub, term_months=6), sub, cancel_immediately=False)

    assert settled.values.end_date == date(2027, 5, 23)


def test_months_are_added_by_the_calendar() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 23), 14) == date(2028, 1, 23)


@pytest.fixture(scope="module")
def to_stripe() -> Any:
    mappings = load_mappings(REPO / "mappings", DataModel.offline(REPO / "salesforce"))
    return mappings.subscription_to_stripe


def _row(**changes: Any) -> dict[str, Any]:
    row = {"Id": "a00", "Ledger_Id__c": "sub-1", "Quantity__c": 1, "End_Date__c": None,
           "Cancel_At_Period_End__c": False, "Product__r": {"ProductCode": "PLATFORM-MONTHLY",
                                                           "Name": "Platform"},
           "Account__r": {"Name": "Acme"}}
    return {**row, **changes}


class _NoLinks:
    def external_id(self, entity: str, system: str, object_type: str,
                    row: Any) -> str | None:
        return None


def test_the_change_holds_only_the_parameters_that_differ(to_stripe: Any) -> None:
    change = stripe_change(to_stripe, _row(), _row(Quantity__c=3), _NoLinks())

    assert change == {"items.0.quantity": 3}


def test_a_product_change_names_the_new_price_by_lookup_key(to_stripe: Any) -> None:
    after = _row(Product__r={"ProductCode": "SUPPORT-PREMIUM", "Name": "Support"})

    assert stripe_change(to_stripe, _row(), after, _NoLinks()) == {
        "items.0.price": "SUPPORT-PREMIUM"}


def test_a_cancellation_sends_cancel_at_period_end_alone(to_stripe: Any) -> None:
    after = _row(Cancel_At_Period_End__c=True, End_Date__c="2026-12-23")

    assert stripe_change(to_stripe, _row(), after, _NoLinks()) == {
        "cancel_at_period_end": True}


def test_a_term_end_is_cancel_at_midnight_utc(to_stripe: Any) -> None:
    after = _row(End_Date__c="2027-05-23")

    assert stripe_change(to_stripe, _row(), after, _NoLinks()) == {
        "cancel_at": int(datetime(2027, 5, 23, tzinfo=UTC).timestamp())}


def test_an_ended_subscription_takes_no_more_billing_edits() -> None:
    sub = _subscription(status="canceled")

    settled = settle(_values(sub), _values(sub, quantity=5, csm_user_id="005X"), sub,
                     cancel_immediately=False)

    assert (settled.values.quantity, settled.values.csm_user_id, settled.ended,
            settled.refused) == (1, "005X", True, False)
