"""Retry policy for calls to external services: tenacity with jittered exponential backoff.

Only :class:`connector.errors.RetriableError` is retried, except a spent API budget
(:class:`~connector.errors.BudgetExhaustedError`), which pauses the system instead; a wait the
service asked for (``Retry-After``) is honoured when it is longer than the backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from connector.errors import BudgetExhaustedError, RetriableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure.

    Attributes:
        attempts: total tries, the first included.
        initial: first backoff in seconds (doubled each time, plus jitter).
        maximum: ceiling of one backoff in seconds.
        deadline: give up once this many seconds have passed since the first try.
    """

    attempts: int = 5
    initial: float = 0.5
    maximum: float = 30.0
    deadline: float = 120.0

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying RetriableError (not a spent budget); re-raise the last error."""
        retrying = Retrying(
            retry=(retry_if_exception_type(RetriableError)
                   & retry_if_not_exception_type(BudgetExhaustedError)),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.deadline),
            wait=self._wait,
            reraise=True,
        )
        return retrying(fn)

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_exponential_jitter(multiplier=self.initial, max=self.maximum)(state)
        error = state.outcome.exception() if state.outcome else None
        asked = error.retry_after if isinstance(error, RetriableError) else None
        return max(backoff, min(asked or 0.0, self.maximum))


NO_WAIT = RetryPolicy(attempts=3, initial=0.0, maximum=0.0, deadline=5.0)
"""A policy for tests: retries without sleeping."""
