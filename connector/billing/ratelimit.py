"""A client-side token bucket, so bursts to Stripe never earn a 429."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Allows ``rate`` acquisitions per second on average, bursts up to ``capacity``.

    Args:
        rate: tokens added per second.
        capacity: most tokens held at once (the largest burst); defaults to ``rate``.
        monotonic: time source in seconds (injected for tests).
        sleep: how to wait (injected for tests).
    """

    def __init__(self, rate: float, capacity: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._rate = rate
        self._capacity = capacity if capacity is not None else max(rate, 1.0)
        self._tokens = self._capacity
        self._monotonic = monotonic
        self._sleep = sleep
        self._stamp = monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting until one is available; return the seconds waited."""
        with self._lock:
            wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def _reserve(self) -> float:
        now = self._monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate
