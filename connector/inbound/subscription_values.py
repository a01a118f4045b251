"""The ledger's view of a ``Subscription__c`` record, and the conversions both ways.

One typed value object (:class:`SubscriptionValues`) holds the fields the ledger keeps for a
subscription. Records read from Salesforce, values a mapping produced and the ledger's rows
all become this object, so comparing them is comparing like with like: a record that comes
back unchanged from Salesforce produces an empty diff (echoes die by value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from connector.errors import ValidationRejectedError
from connector.ledger.models import Subscription, SubscriptionItem, SubscriptionStatus
from connector.mapping.money import from_minor, to_minor

STATUS_FROM_SALESFORCE = {
    "Potential": SubscriptionStatus.POTENTIAL,
    "Active": SubscriptionStatus.ACTIVE,
    "Trialing": SubscriptionStatus.TRIALING,
    "Past Due": SubscriptionStatus.PAST_DUE,
    "Canceled": SubscriptionStatus.CANCELED,
    "Expired": SubscriptionStatus.EXPIRED,
}
STATUS_TO_SALESFORCE = {ledger: label for label, ledger in STATUS_FROM_SALESFORCE.items()}
STATUS_TO_SALESFORCE.update({
    SubscriptionStatus.INCOMPLETE: "Potential",
    SubscriptionStatus.INCOMPLETE_EXPIRED: "Expired",
    SubscriptionStatus.UNPAID: "Past Due",
    SubscriptionStatus.PAUSED: "Active",
})
BILLABLE = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING})
LIVE = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING,
                  SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID,
                  SubscriptionStatus.PAUSED})
"""Stripe statuses of a subscription that is still billing (and can still be canceled)."""


@dataclass(frozen=True)
class SubscriptionValues:
    """The Salesforce-owned fields of a subscription, in ledger units.

    Attributes mirror ``Subscription__c``: status (ledger vocabulary), quantity (whole
    units, as Stripe bills them), unit price in minor units, lowercase currency, dates, term,
    the CSM's user id, trial end and cancel-at-period-end.
    """

    status: str
    quantity: int
    unit_amount_minor: int | None
    currency: str
    start_date: date | None
    end_date: date | None
    term_months: int | None
    csm_user_id: str | None
    trial_end: datetime | None
    cancel_at_period_end: bool

    def as_dict(self) -> dict[str, Any]:
        """Field name → value, for diffs and the journal."""
        return asdict(self)


def from_salesforce(record: Mapping[str, Any]) -> SubscriptionValues:
    """Convert a ``Subscription__c`` record (or a mapping's output for one).

    Raises:
        ValidationRejectedError: a value the ledger cannot hold (unknown status, a fractional
            quantity, a price finer than the currency allows).
    """
    currency = str(record.get("Currency__c") or "USD").lower()
    return SubscriptionValues(
        status=_status(record.get("Status__c")),
        quantity=_quantity(record.get("Quantity__c")),
        unit_amount_minor=_minor(record.get("Unit_Price__c"), currency),
        currency=currency,
        start_date=_date(record.get("Start_Date__c")),
        end_date=_date(record.get("End_Date__c")),
        term_months=_int(record.get("Term_Months__c")),
        csm_user_id=record.get("CSM__c") or None,
        trial_end=_midnight(_date(record.get("Trial_End_Date__c"))),
        cancel_at_period_end=bool(record.get("Cancel_At_Period_End__c")),
    )


def from_ledger(subscription: Subscription, item: SubscriptionItem | None) -> SubscriptionValues:
    """The values the ledger holds for ``subscription`` and its (single) item.

    A live subscription whose cancellation is scheduled shows as ``canceled``: that is what
    the CSM asked for and what ``Status__c`` says until the period ends.
    """
    return SubscriptionValues(
        status=shown_status(subscription),
        quantity=item.quantity if item else 1,
        unit_amount_minor=item.unit_amount_minor if item else None,
        currency=subscription.currency or "usd",
        start_date=subscription.start_date,
        end_date=subscription.end_date,
        term_months=subscription.term_months,
        csm_user_id=subscription.csm_user_id,
        trial_end=subscription.trial_end,
        cancel_at_period_end=subscription.cancel_at_period_end,
    )


def shown_status(subscription: Subscription) -> str:
    """The status Salesforce shows: ``canceled`` once a cancellation is scheduled."""
    if subscription.cancel_at_period_end and subscription.status in LIVE:
        return SubscriptionStatus.CANCELED.value
    return subscription.status


def salesforce_status(subscription: Subscription) -> str:
    """``Status__c`` for the subscription (see :func:`shown_status`)."""
    return STATUS_TO_SALESFORCE[SubscriptionStatus(shown_status(subscription))]


def to_salesforce(values: SubscriptionValues) -> dict[str, Any]:
    """The ``Subscription__c`` fields for ``values`` (JSON-ready for the REST API)."""
    price = values.unit_amount_minor
    return {
        "Status__c": STATUS_TO_SALESFORCE[SubscriptionStatus(values.status)],
        "Quantity__c": values.quantity,
        "Unit_Price__c": None if price is None else float(from_minor(price, values.currency)),
        "Currency__c": values.currency.upper(),
        "Start_Date__c": _iso(values.start_date),
        "End_Date__c": _iso(values.end_date),
        "Term_Months__c": values.term_months,
        "CSM__c": values.csm_user_id,
        "Trial_End_Date__c": _iso(values.trial_end.date() if values.trial_end else None),
        "Cancel_At_Period_End__c": values.cancel_at_period_end,
    }


def apply_to_ledger(values: SubscriptionValues, subscription: Subscription,
                    item: SubscriptionItem) -> None:
    """Write ``values`` onto the ledger rows."""
    for name in ("status", "currency", "start_date", "end_date", "term_months", "csm_user_id",
                 "trial_end", "cancel_at_period_end"):
        setattr(subscription, name, getattr(values, name))
    item.quantity = values.quantity
    item.unit_amount_minor = values.unit_amount_minor
    item.currency = values.currency


def _status(value: Any) -> str:
    if value not in STATUS_FROM_SALESFORCE:
        raise ValidationRejectedError(
            f"Status__c {value!r} is not one of {', '.join(STATUS_FROM_SALESFORCE)}",
            code="UNKNOWN_STATUS")
    return STATUS_FROM_SALESFORCE[value].value


def _quantity(value: Any) -> int:
    amount = Decimal(str(value if value is not None else 1))
    if amount != amount.to_integral_value() or amount < 0:
        raise ValidationRejectedError(
            f"Quantity__c {value} must be a whole, non-negative number (Stripe bills whole units)",
            code="FRACTIONAL_QUANTITY")
    return int(amount)


def _minor(value: Any, currency: str) -> int | None:
    if value is None:
        return None
    try:
        return to_minor(Decimal(str(value)), currency.upper())
    except ValueError as exc:
        raise ValidationRejectedError(f"Unit_Price__c {value}: {exc}", code="BAD_PRICE") from None


def _int(value: Any) -> int | None:
    return None if value is None else int(Decimal(str(value)))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _midnight(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time(), tzinfo=UTC)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
