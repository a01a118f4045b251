"""Money: decimal major units ↔ integer minor units, and recurring amounts per month.

The ledger keeps integer minor units plus a currency code; Salesforce shows decimal major
units. Every conversion here is exact or says how it rounds (``ROUND_HALF_EVEN``, banker's
rounding, so repeated conversions do not drift upwards).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from connector.mapping.transforms import TransformError, to_decimal

ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG",
                          "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

Rounding = Literal["exact", "half_even"]

# How many months one billing interval lasts; weekly is 12/52 of a month, daily 12/365.
MONTHS_PER_INTERVAL = {
    "month": Decimal(1),
    "year": Decimal(12),
    "week": Decimal(12) / Decimal(52),
    "day": Decimal(12) / Decimal(365),
}


def currency_exponent(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit: 0 for JPY/KRW…, 3 for BHD/KWD…, else 2.

    Raises:
        TransformError: ``currency`` is not a three-letter code.
    """
    code = currency.upper() if isinstance(currency, str) else ""
    if len(code) != 3 or not code.isalpha():
        raise TransformError(f"{currency!r} is not a three-letter currency code")
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def to_minor(value: Any, currency: str, rounding: Rounding = "exact") -> int:
    """Major units → integer minor units: ``to_minor(Decimal("19.99"), "USD") == 1999``.

    With ``rounding="exact"`` (the default) a value with more decimals than the currency has
    (``19.999`` USD, ``5.5`` JPY) is an error, so no money disappears silently; with
    ``"half_even"`` it is rounded half to even.

    Raises:
        TransformError: not a number, unknown currency code, or inexact under ``"exact"``.
    """
    exponent = currency_exponent(currency)
    scaled = to_decimal(value).scaleb(exponent)
    whole = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    if rounding == "exact" and whole != scaled:
        raise TransformError(
            f"{value} has more decimal places than {currency.upper()} allows ({exponent}); "
            'add rounding = "half_even" to round'
        )
    return int(whole)


def from_minor(value: Any, currency: str) -> Decimal:
    """Integer minor units → Decimal major units: ``from_minor(1999, "USD") == Decimal("19.99")``.

    Raises:
        TransformError: not a whole number, or unknown currency code.
    """
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise TransformError(f"{value} is not a whole number of minor units")
    exponent = currency_exponent(currency)
    return Decimal(int(number)).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


@dataclass(frozen=True)
class RecurringItem:
    """One priced line of a subscription.

    Attributes:
        unit_amount: price per unit per period, in minor units (Stripe allows fractions).
        quantity: number of units.
        interval: ``day``, ``week``, ``month`` or ``year``.
        interval_count: how many intervals one billing period lasts.
    """

    unit_amount: Decimal
    quantity: int
    interval: str
    interval_count: int = 1


def monthly_amount(
    items: Iterable[RecurringItem],
    currency: str,
    percent_off: Decimal | None = None,
    amount_off: int | None = None,
) -> Decimal:
    """Monthly recurring revenue of ``items`` in major units, rounded half-even to the currency.

    Each item's period amount (``unit_amount x quantity``) is spread over the months of its
    period: yearly ÷ 12, monthly ÷ 1, weekly x 52/12, daily x 365/12, each divided by
    ``interval_count``. A percent discount reduces the total; an amount discount (minor units,
    taken off each billing period) is spread the same way and never makes the total negative.
    """
    return _round_major(unrounded_monthly_minor(items, percent_off, amount_off), currency)


def annual_amount(
    items: Iterable[RecurringItem],
    currency: str,
    percent_off: Decimal | None = None,
    amount_off: int | None = None,
) -> Decimal:
    """Annual recurring revenue: twelve unrounded monthly amounts, rounded once at the end."""
    monthly = unrounded_monthly_minor(items, percent_off, amount_off)
    return _round_major(monthly * 12, currency)


def unrounded_monthly_minor(
    items: Iterable[RecurringItem], percent_off: Decimal | None, amount_off: int | None
) -> Decimal:
    """The exact monthly amount in minor units, before any rounding (see monthly_amount)."""
    total = Decimal(0)
    months_of_first: Decimal | None = None
    for item in items:
        months = _months(item)
        months_of_first = months if months_of_first is None else months_of_first
        total += item.unit_amount * item.quantity / months
    if percent_off:
        total *= 1 - percent_off / 100
    if amount_off and months_of_first is not None:
        total = max(Decimal(0), total - Decimal(amount_off) / months_of_first)
    return total


def _months(item: RecurringItem) -> Decimal:
    if item.interval not in MONTHS_PER_INTERVAL:
        raise TransformError(f"unknown billing interval {item.interval!r}")
    if item.interval_count < 1:
        raise TransformError(f"interval_count must be at least 1, got {item.interval_count}")
    return MONTHS_PER_INTERVAL[item.interval] * item.interval_count


def _round_major(minor: Decimal, currency: str) -> Decimal:
    exponent = currency_exponent(currency)
    return minor.scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_EVEN)


def stripe_items(value: Any) -> list[RecurringItem]:
    """Stripe subscription items (one item dict, or a list of them) as RecurringItems.

    Reads ``price.unit_amount`` (else ``price.unit_amount_decimal``), ``quantity`` (default 1),
    ``price.recurring.interval`` and ``price.recurring.interval_count``.

    Raises:
        TransformError: an item lacks a price amount or a recurring interval.
    """
    items = value if isinstance(value, list) else [value]
    return [_stripe_item(item) for item in items]


def _stripe_item(item: Any) -> RecurringItem:
    if not isinstance(item, Mapping):
        raise TransformError(f"expected a Stripe subscription item, got {item!r}")
    price = item.get("price") or {}
    recurring = price.get("recurring") or {}
    amount = price.get("unit_amount")
    if amount is None and price.get("unit_amount_decimal") is not None:
        amount = to_decimal(price["unit_amount_decimal"])
    if amount is None or recurring.get("interval") is None:
        raise TransformError("the subscription item's price has no unit_amount or interval")
    return RecurringItem(
        unit_amount=to_decimal(amount),
        quantity=int(to_decimal(item.get("quantity") or 1)),
        interval=str(recurring["interval"]),
        interval_count=int(to_decimal(recurring.get("interval_count") or 1)),
    )
