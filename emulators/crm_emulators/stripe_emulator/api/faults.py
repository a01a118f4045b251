"""Knobs that make the API misbehave on purpose: failures and slowness."""

from __future__ import annotations

import random
import threading

from crm_emulators.stripe_emulator.errors import server_error

SERVER_ERRORS = (500, 502, 503, 504)


class Faults:
    """Injected failures and latency, shared by every request; safe between threads.

    A failing request is answered with Stripe's ``api_error`` before it reaches the
    account, so nothing changes and nothing is saved for idempotent replay.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[int] = []
        self._fraction = 0.0
        self._random = random.Random(0)
        self._delay = 0.0

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status`` (a 5xx)."""
        if status not in SERVER_ERRORS:
            raise ValueError(f"status must be one of {SERVER_ERRORS}")
        with self._lock:
            self._queued.extend([status] * count)

    def fail_fraction(self, fraction: float, seed: int = 0) -> None:
        """Answer a random ``fraction`` (0..1) of requests with 500, reproducibly from
        ``seed``; 0 turns it off."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        with self._lock:
            self._fraction, self._random = fraction, random.Random(seed)

    def latency(self, seconds: float) -> None:
        """Delay every response by ``seconds`` (0 turns it off)."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        with self._lock:
            self._delay = seconds

    def clear(self) -> None:
        """Turn every fault off."""
        with self._lock:
            self._queued.clear()
            self._fraction, self._delay = 0.0, 0.0

    @property
    def delay(self) -> float:
        """The latency added to each response, in seconds."""
        with self._lock:
            return self._delay

    def check(self) -> None:
        """Raise the injected failure this request must get, if any.

        Raises:
            ApiError: a queued or randomly drawn server error.
        """
        with self._lock:
            if self._queued:
                raise server_error(self._queued.pop(0))
            if self._fraction and self._random.random() < self._fraction:
                raise server_error(500)

