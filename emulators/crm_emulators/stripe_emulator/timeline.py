"""The emulator's global time: the injected clock plus however far it was advanced."""

from __future__ import annotations

import threading
from datetime import timedelta

from crm_emulators.clock import Clock, MovableClock


class Timeline:
    """Global emulator time in Unix seconds.

    Advancing moves a clock that can be moved (a ``ManualClock``: its owner gave it to the
    emulator to move together); any other clock keeps running and the emulator adds an
    offset to it.

    Args:
        clock: the time source.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> int:
        """The current global time."""
        return int(self.seconds())

    def seconds(self) -> float:
        """The current global time with its fraction of a second."""
        with self._lock:
            return (self._clock.now() + self._offset).timestamp()

    def advance(self, delta: timedelta) -> None:
        """Move global time forward by ``delta``."""
        if delta < timedelta(0):
            raise ValueError("emulator time does not go backwards")
        if isinstance(self._clock, MovableClock):
            self._clock.advance(delta)
            return
        with self._lock:
            self._offset += delta
