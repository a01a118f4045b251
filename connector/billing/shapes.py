"""Reading Stripe objects whose fields moved between API versions: the one place that knows.

The daemon pins :data:`connector.billing.client.STRIPE_API_VERSION`, but events are rendered
in the version in force when they were created, and older objects may still arrive through a
webhook endpoint pinned to an older version. Every field that moved is read here, newest
location first, so the rest of the code never walks raw JSON for them.

Moves handled:
    * ``current_period_start``/``current_period_end``: on each subscription item since
      ``2025-03-31.basil``; on the subscription itself before.
    * ``invoice.subscription``: under ``parent.subscription_details.subscription`` since
      ``basil``; top-level before.
    * ``invoice.paid_at``: ``status_transitions.paid_at`` (always); ``effective_at`` fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connector.errors import ValidationRejectedError

Json = dict[str, Any]

LATEST_TIMESTAMP = 7_258_118_400
"""2200-01-01T00:00:00Z: a Stripe timestamp at or past it is garbage, not a date."""


@dataclass(frozen=True)
class Period:
    """A billing period; either end may be unknown."""

    start: datetime | None
    end: datetime | None


def timestamp(value: Any, name: str = "timestamp") -> datetime | None:
    """A Stripe Unix timestamp as aware UTC, or None for ``null``.

    Stripe sends whole seconds; anything else is refused rather than guessed at.

    Args:
        value: the JSON value.
        name: the field, for the reason.

    Raises:
        ValidationRejectedError: (code ``bad_timestamp``) a boolean, a fraction, text, a
            negative number or one at or past 2200-01-01.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 0 <= value < LATEST_TIMESTAMP:
        raise ValidationRejectedError(
            f"{name}: {_shown(value)} is not a Unix timestamp in whole seconds between 1970 "
            f"and 2200", code="bad_timestamp")
    return datetime.fromtimestamp(value, UTC)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def subscription_items(subscription: Json) -> list[Json]:
    """The subscription's items (only the embedded first page)."""
    items: list[Json] = (subscription.get("items") or {}).get("data") or []
    return items


def subscription_period(subscription: Json) -> Period:
    """The current period: the first item's (current versions), else the subscription's."""
    items = subscription_items(subscription)
    source = items[0] if items and "current_period_end" in items[0] else subscription
    return Period(timestamp(source.get("current_period_start"), "current_period_start"),
                  timestamp(source.get("current_period_end"), "current_period_end"))


def invoice_subscription(invoice: Json) -> str | None:
    """The id of the subscription an invoice bills, if any."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    found = details.get("subscription") or invoice.get("subscription")
    return _id(found)


def invoice_paid_at(invoice: Json) -> datetime | None:
    """When the invoice was paid, or None while it is not."""
    transitions = invoice.get("status_transitions") or {}
    return timestamp(transitions.get("paid_at"), "status_transitions.paid_at")


def invoice_discount_total(invoice: Json) -> int:
    """The invoice's discounts in minor units (sum of ``total_discount_amounts``)."""
    amounts = invoice.get("total_discount_amounts") or []
    return sum(int(entry.get("amount") or 0) for entry in amounts)


def invoice_discount_ids(invoice: Json) -> list[str]:
    """The ids of the discounts (coupons applied) on the invoice."""
    return [ident for entry in invoice.get("total_discount_amounts") or []
            if (ident := _id(entry.get("discount"))) is not None]


def invoice_coupons(invoice: Json) -> str | None:
    """The coupons of the invoice's discounts, comma-separated, in order (None: no discount).

    A discount expanded by Stripe names its coupon (``source.coupon``, older API versions
    ``coupon``); one that is only an id is named by that id.
    """
    names: list[str] = []
    for discount in invoice.get("discounts") or []:
        name = _coupon_of(discount) if isinstance(discount, dict) else _id(discount)
        if name and name not in names:
            names.append(name)
    return ",".join(names) or None


def _coupon_of(discount: Json) -> str | None:
    coupon = (discount.get("source") or {}).get("coupon") or discount.get("coupon")
    return _id(coupon) or _id(discount.get("id"))


def invoice_of(obj: Json) -> str | None:
    """The invoice id of an object that refers to one (credit notes...)."""
    return _id(obj.get("invoice"))


def charge_of(obj: Json) -> str | None:
    """The charge id of an object that refers to one (refunds...)."""
    return _id(obj.get("charge"))


def product_of(price: Json) -> str | None:
    """The product id of a price (expanded or not)."""
    return _id(price.get("product"))


def customer_of(obj: Json) -> str | None:
    """The customer id of any object that has one (expanded or not)."""
    return _id(obj.get("customer"))


def _id(value: Any) -> str | None:
    """An id whether the field holds the id or the expanded object."""
    if isinstance(value, dict):
        found = value.get("id")
        return str(found) if found is not None else None
    return str(value) if value is not None else None
