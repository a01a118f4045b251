"""The request rate limit: a token bucket that answers 429 once it runs dry."""

from __future__ import annotations

import threading
from collections.abc import Callable

from crm_emulators.stripe_emulator.errors import ApiError


class TokenBucket:
    """Allows ``rate`` requests per second on average, in bursts of up to ``rate``.

    Args:
        rate: requests per second; also the bucket's size.
        now: seconds on some clock (the emulator's, so a frozen test clock never refills).
    """

    def __init__(self, rate: float, now: Callable[[], float]) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._rate = rate
        self._now = now
        self._tokens = rate
        self._last = now()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Spend one token.

        Raises:
            ApiError: 429 ``rate_limit`` when the bucket is empty.
        """
        with self._lock:
            moment = self._now()
            self._tokens = min(self._rate, self._tokens + (moment - self._last) * self._rate)
            self._last = moment
            if self._tokens < 1:
                raise rate_limited()
            self._tokens -= 1


def rate_limited() -> ApiError:
    """Stripe's 429 answer."""
    return ApiError(429, "invalid_request_error", "Request rate limit exceeded. Learn more "
                    "about rate limits here https://stripe.com/docs/rate-limits.",
                    code="rate_limit")
