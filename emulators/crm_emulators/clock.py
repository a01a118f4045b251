"""The emulators' sense of time: whatever clock the test or demo hands them.

A clock is any object with ``now()`` returning an aware datetime. One that also has
``advance(delta)`` (a :class:`ManualClock`, or the caller's own kind) is moved by the
emulators when their time is advanced, so everyone sharing it sees the same moment.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


class Clock(Protocol):
    """Anything that tells the time."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


@runtime_checkable
class MovableClock(Protocol):
    """A clock that moves only when told to."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta``; return the new moment."""
        ...


class WallClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The machine's current time in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A thread-safe clock that stands still until advanced.

    Args:
        start: where it starts; must carry a time zone.

    Raises:
        ValueError: ``start`` is naive.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a ManualClock starts at a timezone-aware moment")
        self._moment = start.astimezone(UTC)
        self._guard = threading.Lock()

    def now(self) -> datetime:
        """The moment the clock shows."""
        with self._guard:
            return self._moment

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (not negative); return the new moment."""
        if delta < timedelta(0):
            raise ValueError("time does not run backwards")
        with self._guard:
            self._moment += delta
            return self._moment
