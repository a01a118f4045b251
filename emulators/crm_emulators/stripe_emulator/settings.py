"""The emulated account's billing settings."""

from __future__ import annotations

from dataclasses import dataclass

API_VERSION = "2026-10-28.endive"
"""The API version the emulator speaks (stripe-python 16.1's pinned version)."""

EVENT_RETENTION_SECONDS = 30 * 24 * 3600
"""Events older than this (on the account's clock) are no longer listed or retrievable."""


@dataclass(frozen=True)
class DunningPolicy:
    """What happens after a subscription payment fails (Stripe's "custom retry schedule").

    Attributes:
        retry_days: days to wait before each automatic retry after a failure; the invoice
            is retried ``len(retry_days)`` times.
        final_subscription_status: after the last retry fails: ``canceled``, ``unpaid``
            or ``past_due`` (leave it).
        mark_uncollectible: also mark the invoice uncollectible after the last retry.
        incomplete_expiry_hours: an ``incomplete`` subscription whose first invoice stays
            unpaid this long becomes ``incomplete_expired``.
    """

    retry_days: tuple[int, ...] = (3, 5, 7)
    final_subscription_status: str = "canceled"
    mark_uncollectible: bool = False
    incomplete_expiry_hours: int = 23

    def __post_init__(self) -> None:
        if self.final_subscription_status not in ("canceled", "unpaid", "past_due"):
            raise ValueError("final_subscription_status must be canceled, unpaid or past_due")
