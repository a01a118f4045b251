"""A Stripe emulator on a ManualClock, and the StripeClient that drives it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from stripe_emu_helpers import T0, Subscribe

from crm_emulators.clock import ManualClock
from crm_emulators.stripe_emulator import StripeEmulator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[StripeEmulator]:
    emu = StripeEmulator(clock).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def client(emulator: StripeEmulator) -> stripe.StripeClient:
    return emulator.client()


@pytest.fixture
def price_id(emulator: StripeEmulator) -> str:
    """A $100.00 monthly price."""
    return emulator.seed_price("Platform", "PLATFORM-MONTHLY", 10000)


@pytest.fixture
def subscribe(client: stripe.StripeClient, price_id: str) -> Subscribe:
    """Subscribe a new customer to ``price_id`` (or ``price=``) with extra parameters."""

    def make(quantity: int = 1, price: str | None = None,
             customer: dict[str, Any] | None = None, **extra: Any) -> stripe.Subscription:
        made = client.v1.customers.create({"name": "Acme", **(customer or {})})
        return client.v1.subscriptions.create({
            "customer": made.id, "items": [{"price": price or price_id, "quantity": quantity}],
            **extra})

    return make
