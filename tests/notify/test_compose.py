"""Facts become queued rows in the shape earlier releases queued; rows become emails."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from connector.ledger.models import Notification
from connector.notify import facts
from connector.notify.compose import Composer
from connector.notify.digest import group
from connector.notify.templates import TemplateRenderer
from connector.notify.urls import SalesforceUrls

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
BASE = "https://acme.my.salesforce.com"

FACT = facts.PotentialSubscriptions(
    opportunity_id="opp-1", opportunity=facts.SalesforceRecord("Acme - rollout", "006A"),
    won=True, account=facts.SalesforceRecord("Acme Robotics", "001A"), csm_name=None,
    csm_user_id="005D", csm_email="dana@example.com",
    lines=(facts.SubscriptionLine("sub-1", "Analytics seat", 25, Decimal("1240"), "usd",
                                  date(2026, 12, 1), 12),
           facts.SubscriptionLine("sub-2", "Platform", 1, Decimal("499.5"), "usd", None, None)))

EARLIER_RELEASE_DATA = {
    "csm": {"name": "there", "id": "005D"},
    "account": {"name": "Acme Robotics", "salesforce_id": "001A"},
    "opportunity": {"name": "Acme - rollout", "salesforce_id": "006A", "won": True},
    "lines": [
        {"ledger_id": "sub-1", "product": "Analytics seat", "quantity": 25,
         "unit_price": "1,240.00", "amount": "31,000.00", "currency": "USD",
         "start_date": "2026-12-01", "term_months": 12},
        {"ledger_id": "sub-2", "product": "Platform", "quantity": 1, "unit_price": "499.50",
         "amount": "499.50", "currency": "USD", "start_date": "", "term_months": None},
    ],
}


def test_a_fact_is_queued_in_the_shape_earlier_releases_queued() -> None:
    row = facts.notification(FACT, NOW)
    assert (row.key, row.kind, row.recipient) == (
        "csm_potential_subscriptions:opp-1:sub-1", "csm_potential_subscriptions",
        "dana@example.com")
    assert row.data == EARLIER_RELEASE_DATA


def _composer() -> Composer:
    return Composer(TemplateRenderer(REPO / "templates"), SalesforceUrls(BASE))


def _row(data: dict[str, object]) -> Notification:
    return Notification(id=7, key="csm_potential_subscriptions:opp-1:sub-1",
                        kind="csm_potential_subscriptions", recipient="dana@example.com",
                        subject="Potential subscriptions for Acme - rollout", data=data)


def test_a_row_waits_until_every_subscription_it_lists_is_in_salesforce() -> None:
    assert _composer().entry(_row(EARLIER_RELEASE_DATA), {"sub-1": "a0B1"}) is None


def test_a_queued_row_composes_one_email_with_links_from_the_shipped_templates() -> None:
    composer = _composer()
    entry = composer.entry(_row(EARLIER_RELEASE_DATA), {"sub-1": "a0B1", "sub-2": "a0B2"})
    assert entry is not None
    [digest] = group([entry], {"csm_potential_subscriptions"})
    email = composer.compose(digest)
    assert email.to == ("dana@example.com",)
    assert email.subject == "2 potential subscriptions to review"
    assert email.text.startswith("Hello there,")
    assert ("- Analytics seat: 25 x 1,240.00 USD = 31,000.00 USD, starting 2026-12-01, "
            "12 months") in email.text
    assert f"{BASE}/lightning/r/Subscription__c/a0B2/view" in email.text
    assert email.html is not None
    assert f'<a href="{BASE}/lightning/r/Opportunity/006A/view">Acme - rollout</a>' in email.html
