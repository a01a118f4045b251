"""The token bucket keeps a steady rate and allows a burst of its capacity."""

from __future__ import annotations

import pytest

from connector.billing.ratelimit import TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_up_to_capacity_then_waits_at_the_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=10, monotonic=time.monotonic, sleep=time.sleep)
    waits = [bucket.acquire() for _ in range(15)]
    assert waits[:10] == [0.0] * 10
    assert time.now == pytest.approx(0.5)
    assert sum(waits) == pytest.approx(0.5)


def test_sustained_rate_never_exceeds_the_limit() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=20, capacity=1, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(201):
        bucket.acquire()
    assert time.now == pytest.approx(10.0)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0)
