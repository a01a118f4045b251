"""Calendar arithmetic for billing periods.

A subscription's period boundaries are its billing cycle anchor plus whole intervals; a
monthly anchor on the 31st bills on the last day of shorter months, as on Stripe.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, datetime

DAY = 86_400
_FIXED = {"day": DAY, "week": 7 * DAY}
_LONGEST = {"month": 31 * DAY, "year": 366 * DAY, **_FIXED}


def boundary(anchor: int, interval: str, count: int, steps: int) -> int:
    """``anchor`` plus ``steps`` times ``count`` intervals."""
    if interval in _FIXED:
        return anchor + steps * count * _FIXED[interval]
    start = datetime.fromtimestamp(anchor, UTC)
    months = steps * count * (12 if interval == "year" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, monthrange(year, month + 1)[1])
    return int(start.replace(year=year, month=month + 1, day=day).timestamp())


def next_boundary(anchor: int, interval: str, count: int, after: int) -> int:
    """The first period boundary from ``anchor`` strictly later than ``after``."""
    if anchor > after:
        return anchor
    steps = max(0, (after - anchor) // (_LONGEST[interval] * count))
    while boundary(anchor, interval, count, steps) <= after:
        steps += 1
    return boundary(anchor, interval, count, steps)


def fraction_left(start: int, end: int, at: int) -> tuple[int, int]:
    """Seconds of ``[start, end)`` left at ``at``, and the period's length."""
    length = max(end - start, 1)
    return max(0, min(end - at, length)), length


def prorate(amount: int, left: int, length: int) -> int:
    """``amount * left / length``, rounded half away from zero."""
    magnitude = (abs(amount) * left * 2 + length) // (2 * length)
    return magnitude if amount >= 0 else -magnitude


def format_date(moment: int) -> str:
    """``12 Jan 2026``, the way Stripe's line descriptions print dates."""
    return datetime.fromtimestamp(moment, UTC).strftime("%d %b %Y").lstrip("0")
