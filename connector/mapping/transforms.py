"""The transform library: pure functions that convert one value, each raising TransformError.

``None`` is handled by the pipeline (it passes every step untouched except ``not_null``), so
the functions here never receive it. Money and recurring amounts live in
:mod:`connector.mapping.money`; the step registry that names these functions for mapping
files is :mod:`connector.mapping.steps`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar

T = TypeVar("T")


class TransformError(ValueError):
    """A value cannot be converted; the message says which and why."""


def to_int(value: Any) -> int:
    """A whole number from int, integral float/Decimal (``2.0``) or digits (``" 42 "``).

    Raises:
        TransformError: booleans, fractions (``2.5`` is never truncated) and non-numbers.
    """
    if isinstance(value, bool):
        raise TransformError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise TransformError(f"{value} is not a whole number")
    return int(number)


def to_decimal(value: Any, places: int | None = None) -> Decimal:
    """A Decimal from int, float (via its shortest repr), Decimal or numeric text.

    With ``places``, rounded half-even to that many decimal places.

    Raises:
        TransformError: booleans, non-numbers, NaN and infinities.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TransformError(f"{value!r} is not a number")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise TransformError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise TransformError(f"{value!r} is not a finite number")
    if places is None:
        return number
    return number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def to_bool(value: Any) -> bool:
    """True/False from a bool, 1/0, or text ``true/false``, ``yes/no``, ``1/0`` (any case).

    Raises:
        TransformError: anything else (``"maybe"``, ``2``).
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise TransformError(f"{value!r} is not true or false")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TransformError(f"{name} needs text, got {value!r}")
    return value


def trim(value: Any) -> str:
    """Text without leading and trailing whitespace."""
    return _text(value, "trim").strip()


def upper(value: Any) -> str:
    """Text in upper case (``usd`` → ``USD``)."""
    return _text(value, "upper").upper()


def lower(value: Any) -> str:
    """Text in lower case."""
    return _text(value, "lower").lower()


def parse_date(value: Any) -> date:
    """A calendar date from a date, an aware datetime (its UTC date), or text.

    Text may be ``2026-11-22``, a Salesforce datetime ``2026-11-22T10:00:00.000+0000`` or any
    ISO 8601 datetime with an offset; datetimes are converted to UTC before taking the date.

    Raises:
        TransformError: unparseable text, naive datetimes, other types.
    """
    if isinstance(value, datetime):
        return _aware(value).date()
    if isinstance(value, date):
        return value
    text = _text(value, "date").strip()
    if len(text) == 10:
        return _iso(date.fromisoformat, text)
    return parse_datetime(text).date()


def parse_datetime(value: Any) -> datetime:
    """A timezone-aware UTC datetime from an aware datetime or ISO 8601 / Salesforce text.

    Accepts ``2026-11-22T10:00:00.000+0000``, ``2026-11-22T10:00:00Z``,
    ``2026-11-22T11:00:00+01:00``.

    Raises:
        TransformError: text or datetimes without a time zone, dates, other types.
    """
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        raise TransformError(f"{value.isoformat()} is a date, not a datetime; use unix_seconds")
    return _aware(_iso(datetime.fromisoformat, _text(value, "datetime").strip()))


def _iso(parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except ValueError:
        raise TransformError(f"{text!r} is not an ISO 8601 date or datetime") from None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TransformError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def unix_seconds(value: Any) -> int:
    """Whole seconds since 1970-01-01 UTC; a date means midnight UTC of that day.

    Accepts whatever ``parse_date`` (for ``YYYY-MM-DD`` text and dates) or ``parse_datetime``
    accept; fractions of a second are dropped.
    """
    if isinstance(value, str) and len(value.strip()) == 10:
        value = parse_date(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    return int(parse_datetime(value).timestamp() // 1)


def datetime_from_unix(value: Any) -> datetime:
    """The aware UTC datetime of a Unix timestamp (Stripe's ``created``, ``current_period_end``).

    Raises:
        TransformError: not a whole number of seconds.
    """
    seconds = to_int(value)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise TransformError(f"{value} is out of the range of dates") from None


def date_from_unix(value: Any) -> date:
    """The UTC calendar date of a Unix timestamp."""
    return datetime_from_unix(value).date()


def sf_date(value: Any) -> str:
    """A date as Salesforce writes it: ``2026-11-22`` (input as for ``parse_date``)."""
    return parse_date(value).isoformat()


def sf_datetime(value: Any) -> str:
    """A datetime as Salesforce writes it: ``2026-11-22T10:00:00.000+0000`` (UTC, milliseconds).

    Input as for ``parse_datetime``; microseconds are cut to milliseconds.
    """
    moment = parse_datetime(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def map_value(value: Any, values: dict[str, Any], default: Any, on_unknown_error: bool) -> Any:
    """Look ``value`` up in ``values`` (keys are text; booleans match ``true``/``false``).

    Raises:
        TransformError: the value is not listed and ``on_unknown_error`` is set.
    """
    key = map_key(value)
    if key in values:
        return values[key]
    if on_unknown_error:
        listed = ", ".join(repr(name) for name in values)
        raise TransformError(f"{value!r} is not one of the mapped values ({listed})")
    return default


def map_key(value: Any) -> str:
    """The text a value is looked up by in a ``map``: ``True`` → ``"true"``, ``2.0`` → ``"2"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def not_null(value: Any) -> Any:
    """The value itself (the pipeline raises before calling this when the value is null)."""
    return value
