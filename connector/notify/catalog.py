"""The notification catalog: every event, its audience, default, lead time and sample data.

An event is ``<audience>.<event>`` (DESIGN "Notifications"); its notification kind is
``<audience>_<event>`` and its templates ``templates/<audience>/<event>.subject.j2``,
``.txt.j2`` and ``.html.j2``. Each event is sent for one kind of fact (:attr:`Event.fact`,
the name facts are announced under, :mod:`connector.ledger.announcements`); several events
may share a fact (a declined payment tells the customer and the partner team).

A time-based event (:attr:`Event.lead_days` set) is about a moment ahead (a trial's end, a
renewal): it is sent from ``lead_days`` before the moment until the moment, never after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CUSTOMER, PARTNER, CSM = "customer", "partner", "csm"
AUDIENCES = (CUSTOMER, PARTNER, CSM)


@dataclass(frozen=True)
class Event:
    """One event of the catalog.

    Attributes:
        audience: ``customer``, ``partner`` or ``csm``.
        name: the event's name within its audience (``payment_declined``).
        fact: the fact name it is sent for.
        summary: what it tells, for ``notifications list``.
        lead_days: for a time-based event, how many days ahead of its moment it is sent.
        enabled: whether it is sent unless the config says otherwise.
    """

    audience: str
    name: str
    fact: str
    summary: str
    lead_days: int | None = None
    enabled: bool = True

    @property
    def kind(self) -> str:
        """The notification kind (``customer_payment_declined``)."""
        return f"{self.audience}_{self.name}"

    @property
    def label(self) -> str:
        """``AUDIENCE.EVENT`` as the CLI names it."""
        return f"{self.audience}.{self.name}"

    @property
    def template(self) -> str:
        """The template path stem (``customer/payment_declined``)."""
        return f"{self.audience}/{self.name}"


CATALOG: tuple[Event, ...] = (
    Event(CUSTOMER, "trial_signup", "trial_started", "a free trial started"),
    Event(CUSTOMER, "trial_expiring", "trial_ending", "the free trial ends soon", 1),
    Event(CUSTOMER, "purchase_confirmation", "subscription_purchased",
          "a subscription was purchased"),
    Event(CUSTOMER, "payment_confirmation", "payment_received",
          "a payment was received (amount, invoice number, invoice link)"),
    Event(CUSTOMER, "renewal_reminder", "renewal_due",
          "the subscription renews automatically soon", 5),
    Event(CUSTOMER, "payment_declined", "payment_declined",
          "a payment was declined (link to update the card)"),
    Event(CUSTOMER, "license_changes", "licence_changed", "seats were added or removed"),
    Event(CUSTOMER, "offer_sent", "offer_sent", "an offer was sent (offers: not built yet)"),
    Event(PARTNER, "stripe_unreachable", "stripe_connection",
          "the daemon cannot reach Stripe (and when it recovers)"),
    Event(PARTNER, "salesforce_unreachable", "salesforce_connection",
          "the daemon cannot reach Salesforce (and when it recovers)"),
    Event(PARTNER, "trial_signup", "trial_started", "a customer started a free trial"),
    Event(PARTNER, "trial_expiring", "trial_ending", "a customer's free trial ends soon", 1),
    Event(PARTNER, "trial_expired", "trial_expired",
          "a free trial ended without a subscription"),
    Event(PARTNER, "purchase", "subscription_purchased", "a customer purchased a subscription"),
    Event(PARTNER, "payment_declined", "payment_declined", "a customer's payment was declined"),
    Event(PARTNER, "license_changes", "licence_changed", "a customer's seats changed"),
    Event(PARTNER, "license_discrepancy", "licence_discrepancy",
          "a licence and billing disagree (used seats above seats), or agree again"),
    Event(CSM, "potential_subscriptions", "potential_subscriptions",
          "a digest of the CSM's new potential subscriptions"),
)
"""Every event, in the order DESIGN lists them."""

EVENTS: Mapping[str, Event] = {event.label: event for event in CATALOG}
"""The events by ``AUDIENCE.EVENT``."""


def events_for(fact: str) -> tuple[Event, ...]:
    """The events sent for the fact named ``fact``."""
    return tuple(event for event in CATALOG if event.fact == fact)


def event_of_kind(kind: str) -> Event | None:
    """The event whose notification kind is ``kind``, if any."""
    return next((event for event in CATALOG if event.kind == kind), None)


_ACCOUNT = {"name": "Acme Robotics", "salesforce_id": "001000000000001AAA"}
_INVOICE = {"number": "ACME-0042", "amount": "499.00", "currency": "USD",
            "hosted_invoice_url": "https://invoice.stripe.com/i/acct_demo/test_demo",
            "attempt": 1, "date": "2026-12-01"}
_PLAN = {"product": "Platform (monthly)", "quantity": 5, "amount": "499.00",
         "currency": "USD"}
SAMPLES: Mapping[str, dict[str, Any]] = {
    "trial_started": {"account": _ACCOUNT, **_PLAN, "trial_end": "2026-12-22"},
    "trial_ending": {"account": _ACCOUNT, **_PLAN, "trial_end": "2026-12-22"},
    "trial_expired": {"account": _ACCOUNT, **_PLAN, "trial_end": "2026-12-22",
                      "status": "canceled"},
    "subscription_purchased": {"account": _ACCOUNT, **_PLAN, "interval": "month",
                               "started": "2026-12-01"},
    "payment_received": {"account": _ACCOUNT, "invoice": _INVOICE},
    "payment_declined": {"account": _ACCOUNT, "invoice": _INVOICE},
    "renewal_due": {"account": _ACCOUNT, **_PLAN, "renews_on": "2027-01-01"},
    "licence_changed": {"account": _ACCOUNT, "seats_before": 10, "seats_after": 15,
                        "used_seats": 9, "change": "added"},
    "licence_discrepancy": {"account": _ACCOUNT, "state": "opened",
                            "reasons": ["12 seats used, 10 bought"], "utilisation": "120.0"},
    "offer_sent": {"account": _ACCOUNT, "offer": {
        "name": "Acme Robotics - initial offer", "valid_until": "2026-12-31",
        "url": "https://example.my.salesforce.com/lightning/r/Offer__c/a0X000000000001/view"}},
    "stripe_connection": {"system": "Stripe", "recovered": False, "state": "SYSTEM_ERROR",
                          "reason": "Stripe unreachable: connection refused",
                          "at": "2026-12-01 09:00 UTC"},
    "salesforce_connection": {"system": "Salesforce", "recovered": False,
                              "state": "SYSTEM_ERROR",
                              "reason": "Salesforce unreachable: connection refused",
                              "at": "2026-12-01 09:00 UTC"},
    "potential_subscriptions": {
        "csm": {"name": "Dana", "id": "005000000000001AAA"},
        "opportunities": [{
            "account": {**_ACCOUNT, "url": "https://example.my.salesforce.com/lightning/r/"
                        "Account/001000000000001AAA/view"},
            "opportunity": {"name": "Acme Robotics - platform rollout", "won": True,
                            "url": "https://example.my.salesforce.com/lightning/r/"
                                   "Opportunity/006000000000001AAA/view"},
            "lines": [{"product": "Platform (monthly)", "quantity": 5, "unit_price": "99.80",
                       "amount": "499.00", "currency": "USD", "start_date": "2026-12-01",
                       "term_months": 12, "ledger_id": "sub_demo",
                       "url": "https://example.my.salesforce.com/lightning/r/"
                              "Subscription__c/a00000000000001AAA/view"}]}],
        "total": 1, "shown": 1, "more": 0, "opportunity_count": 1, "more_opportunities": 0,
        "list_view_url": "https://example.my.salesforce.com/lightning/o/Subscription__c/"
                         "list?filterName=Potential_Subscriptions"},
}
"""Sample template data per fact: ``notifications preview`` renders with it, and every
template is checked with it when the templates are loaded."""


def sample(event: Event) -> dict[str, Any]:
    """The sample template data of ``event`` (a copy)."""
    return {**SAMPLES[event.fact], "event": event.label}
