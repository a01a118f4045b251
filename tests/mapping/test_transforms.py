"""The transform functions: conversions, their refusals, and date round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.mapping import transforms as t
from connector.mapping.transforms import TransformError


@pytest.mark.parametrize(
    ("value", "expected"), [(2, 2), (2.0, 2), (Decimal("3.00"), 3), (" 42 ", 42)]
)
def test_int_accepts_whole_numbers(value: object, expected: int) -> None:
    assert t.to_int(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2.5, "2.5 is not a whole number"),
        (True, "True is not a number"),
        ("two", "'two' is not a number"),
        (float("nan"), "nan is not a finite number"),
    ],
)
def test_int_refuses_anything_else(value: object, message: str) -> None:
    with pytest.raises(TransformError, match=f"^{message}$"):
        t.to_int(value)


def test_decimal_keeps_the_float_repr_and_rounds_half_even() -> None:
    assert t.to_decimal(19.99) == Decimal("19.99")
    assert t.to_decimal("2.345", places=2) == Decimal("2.34")
    assert t.to_decimal("2.355", places=2) == Decimal("2.36")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("yes", True),
        ("FALSE", False),
        (0, False),
        (1, True),
        ("1", True),
    ],
)
def test_bool(value: object, expected: bool) -> None:
    assert t.to_bool(value) is expected


def test_bool_refuses_other_values() -> None:
    with pytest.raises(TransformError, match="'maybe' is not true or false"):
        t.to_bool("maybe")


def test_text_transforms() -> None:
    assert (t.trim("  a b "), t.upper("usd"), t.lower("EUR")) == ("a b", "USD", "eur")
    with pytest.raises(TransformError, match="upper needs text, got 3"):
        t.upper(3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-22", date(2026, 11, 22)),
        ("2026-11-22T10:00:00.000+0000", date(2026, 11, 22)),
        ("2026-11-22T23:30:00.000-0500", date(2026, 11, 23)),
        (datetime(2026, 11, 22, 1, tzinfo=timezone(timedelta(hours=3))), date(2026, 11, 21)),
        (date(2026, 1, 2), date(2026, 1, 2)),
    ],
)
def test_date_reads_salesforce_and_iso_forms_in_utc(value: object, expected: date) -> None:
    assert t.parse_date(value) == expected


def test_datetime_is_aware_utc_and_refuses_naive_values() -> None:
    assert t.parse_datetime("2026-11-22T11:00:00+01:00") == datetime(2026, 11, 22, 10, tzinfo=UTC)
    assert t.parse_datetime("2026-11-22T10:00:00Z").tzinfo is UTC
    with pytest.raises(TransformError, match="2026-11-22T10:00:00 has no time zone"):
        t.parse_datetime("2026-11-22T10:00:00")
    with pytest.raises(TransformError, match="is a date, not a datetime"):
        t.parse_datetime(date(2026, 11, 22))
    with pytest.raises(TransformError, match="'22/11/2026' is not an ISO 8601 date or datetime"):
        t.parse_date("22/11/2026")


def test_unix_seconds_takes_a_date_as_midnight_utc() -> None:
    assert t.unix_seconds("1970-01-02") == 86_400
    assert t.unix_seconds(date(1970, 1, 2)) == 86_400
    assert t.unix_seconds("1970-01-01T01:00:00.999+0000") == 3600


def test_from_unix() -> None:
    assert t.datetime_from_unix(1_795_651_200) == datetime(2026, 11, 26, tzinfo=UTC)
    assert t.date_from_unix(1_795_651_199) == date(2026, 11, 25)


def test_salesforce_renderings() -> None:
    assert t.sf_date("2026-11-22T10:00:00Z") == "2026-11-22"
    moment = datetime(2026, 11, 22, 10, 0, 0, 123_456, tzinfo=UTC)
    assert t.sf_datetime(moment) == "2026-11-22T10:00:00.123+0000"


def test_map_looks_up_text_keys() -> None:
    values = {"true": "Yes", "2": "two", "active": "Active"}
    assert t.map_value(True, values, None, on_unknown_error=False) == "Yes"
    assert t.map_value(2.0, values, None, on_unknown_error=False) == "two"
    assert t.map_value("gone", values, "Other", on_unknown_error=False) == "Other"
    with pytest.raises(TransformError, match="'gone' is not one of the mapped values"):
        t.map_value("gone", values, None, on_unknown_error=True)


_MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(9999, 12, 31)))
def test_date_to_unix_and_back_is_the_same_date(day: date) -> None:
    assert t.date_from_unix(t.unix_seconds(day)) == day


@given(_MOMENTS.map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)))
def test_datetime_to_salesforce_text_and_back_is_the_same_moment(moment: datetime) -> None:
    assert t.parse_datetime(t.sf_datetime(moment)) == moment


@given(_MOMENTS.map(lambda moment: moment.replace(microsecond=0)))
def test_datetime_to_unix_and_back_is_the_same_moment(moment: datetime) -> None:
    assert t.datetime_from_unix(t.unix_seconds(moment)) == moment
