"""Money: minor units with each currency's exponent, and recurring revenue per month/year."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.mapping.money import (
    RecurringItem,
    annual_amount,
    currency_exponent,
    from_minor,
    monthly_amount,
    stripe_items,
    to_minor,
)
from connector.mapping.transforms import TransformError

CURRENCIES = ["USD", "eur", "JPY", "KRW", "BHD", "KWD", "JOD", "OMR", "TND"]


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("USD", 2),
        ("eur", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
    ],
)
def test_currency_exponents(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


def test_conversions() -> None:
    assert to_minor(Decimal("19.99"), "USD") == 1999
    assert to_minor(19.99, "USD") == 1999
    assert to_minor("1000", "JPY") == 1000
    assert to_minor(Decimal("1.234"), "KWD") == 1234
    assert from_minor(1999, "usd") == Decimal("19.99")
    assert from_minor(1000, "JPY") == Decimal("1000")
    assert from_minor(5, "BHD") == Decimal("0.005")


def test_inexact_amounts_are_refused_unless_rounding_is_asked_for() -> None:
    with pytest.raises(TransformError) as caught:
        to_minor(Decimal("19.999"), "USD")
    assert str(caught.value) == (
        '19.999 has more decimal places than USD allows (2); add rounding = "half_even" to round'
    )
    assert to_minor(Decimal("0.125"), "USD", "half_even") == 12
    assert to_minor(Decimal("0.135"), "USD", "half_even") == 14
    assert to_minor(Decimal("5.5"), "JPY", "half_even") == 6


def test_bad_currency_codes_and_fractions_of_minor_units() -> None:
    with pytest.raises(TransformError, match="'US' is not a three-letter currency code"):
        to_minor(1, "US")
    with pytest.raises(TransformError, match=r"1\.5 is not a whole number of minor units"):
        from_minor(1.5, "USD")


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(CURRENCIES))
def test_minor_to_major_and_back_is_identity(minor: int, currency: str) -> None:
    assert to_minor(from_minor(minor, currency), currency) == minor


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(CURRENCIES))
def test_major_to_minor_and_back_is_identity(minor: int, currency: str) -> None:
    major = Decimal(minor).scaleb(-currency_exponent(currency))
    assert from_minor(to_minor(major, currency), currency) == major


@pytest.mark.parametrize(
    ("interval", "count", "expected"),
    [
        ("month", 1, Decimal("30.00")),
        ("month", 3, Decimal("10.00")),
        ("year", 1, Decimal("2.50")),
        ("week", 1, Decimal("130.00")),
        ("day", 1, Decimal("912.50")),
    ],
)
def test_monthly_amount_per_interval(interval: str, count: int, expected: Decimal) -> None:
    items = [RecurringItem(Decimal(1000), 3, interval, count)]
    assert monthly_amount(items, "USD") == expected


def test_discounts_and_rounding() -> None:
    items = [RecurringItem(Decimal(1000), 1, "month"), RecurringItem(Decimal(333), 1, "month")]
    assert monthly_amount(items, "USD", percent_off=Decimal("25.5")) == Decimal("9.93")
    assert monthly_amount(items, "USD", amount_off=333) == Decimal("10.00")
    assert monthly_amount(items, "USD", amount_off=99_999) == Decimal("0.00")
    assert monthly_amount([RecurringItem(Decimal(1000), 1, "year")], "JPY") == Decimal("83")


def test_annual_amount_rounds_once() -> None:
    items = [RecurringItem(Decimal(1000), 1, "year")]
    assert monthly_amount(items, "USD") == Decimal("0.83")
    assert annual_amount(items, "USD") == Decimal("10.00")


def test_stripe_items_read_the_subscription_item_shape() -> None:
    item = {
        "quantity": 2,
        "price": {
            "unit_amount": None,
            "unit_amount_decimal": "1250.5",
            "recurring": {"interval": "month", "interval_count": 1},
        },
    }
    assert stripe_items([item]) == [RecurringItem(Decimal("1250.5"), 2, "month", 1)]
    with pytest.raises(TransformError, match="has no unit_amount or interval"):
        stripe_items({"quantity": 1, "price": {"unit_amount": 5}})
