"""Whether the daemon's cycles are making progress: what the systemd watchdog pings rest on.

A cycle progresses when, on the thread running it, a ledger statement executes, or when the
Salesforce or Stripe adapters count another API call. A cycle with neither for ``stall``
seconds is hung (every call is bounded by its timeout and its retries, so a healthy cycle is
never quiet for long). Between cycles the daemon is alive while the next cycle is still
expected: the last one ended less than ``idle`` seconds ago.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Health:
    """One look at the cycles.

    Attributes:
        alive: a cycle runs and progressed within ``stall``, or none runs and the last
            ended within ``idle``.
        running: the kind of cycle under way (``full``, ``stripe``), or None.
        quiet: seconds since the last progress (running) or the last cycle's end (idle).
    """

    alive: bool
    running: str | None
    quiet: float


class CycleMonitor:
    """Tracks cycles and their progress; every method is safe from any thread.

    Args:
        calls: the total of API calls made so far (sampled at each :meth:`check`).
        stall: seconds without progress after which a running cycle counts as hung.
        idle: seconds after a cycle's end by which the next one must have started.
        monotonic: the clock (injected for tests).
    """

    def __init__(self, calls: Callable[[], int], *, stall: float, idle: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.stall = stall
        self.idle = idle
        self._calls = calls
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._running: str | None = None
        self._thread: int | None = None
        self._statements = 0
        self._seen = -1
        self._moved = monotonic()

    def watch(self, engine: Engine) -> None:
        """Count the statements ``engine`` executes on the cycle's thread as progress."""
        event.listen(engine, "before_cursor_execute", self._statement)

    def started(self, kind: str) -> None:
        """A cycle of ``kind`` begins on the calling thread."""
        with self._lock:
            self._running, self._thread = kind, threading.get_ident()
            self._moved = self._monotonic()

    def finished(self) -> None:
        """The cycle under way has ended (whatever its outcome)."""
        with self._lock:
            self._running, self._thread = None, None
            self._moved = self._monotonic()

    def check(self) -> Health:
        """Sample the progress counters and say whether the cycles are alive."""
        total = self._calls()
        with self._lock:
            now = self._monotonic()
            if self._running is not None and total + self._statements != self._seen:
                self._moved = now
            self._seen = total + self._statements
            quiet = now - self._moved
            limit = self.stall if self._running is not None else self.idle
            return Health(alive=quiet < limit, running=self._running, quiet=quiet)

    def _statement(self, *_: Any) -> None:
        if threading.get_ident() == self._thread:
            with self._lock:
                self._statements += 1
