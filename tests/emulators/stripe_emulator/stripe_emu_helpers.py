"""Shared constants of the Stripe emulator tests (conftest modules are not imported)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import stripe

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""Where every test's ManualClock starts."""

Subscribe = Callable[..., stripe.Subscription]


def at(moment: datetime) -> int:
    """Unix seconds of ``moment``."""
    return int(moment.timestamp())
