"""Test clocks: a customer on one bills on the clock's time, not the emulator's."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe
from stripe_emu_helpers import T0, at


def test_advancing_a_test_clock_renews_only_its_subscriptions(
        client: stripe.StripeClient, price_id: str) -> None:
    start = at(T0 - timedelta(days=100))
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": start, "name": "q1"})
    frozen = client.v1.customers.create({"name": "Frozen", "test_clock": clock.id})
    live = client.v1.customers.create({"name": "Live"})
    on_clock = client.v1.subscriptions.create({"customer": frozen.id,
                                               "items": [{"price": price_id}]})
    client.v1.subscriptions.create({"customer": live.id, "items": [{"price": price_id}]})

    advanced = client.v1.test_helpers.test_clocks.advance(
        clock.id, {"frozen_time": start + 40 * 86400})

    assert (on_clock.created, on_clock.test_clock) == (start, clock.id)
    assert (advanced.status, advanced.frozen_time) == ("ready", start + 40 * 86400)
    assert [i.billing_reason for i in client.v1.invoices.list({"customer": frozen.id}).data] == [
        "subscription_cycle", "subscription_create"]
    assert len(client.v1.invoices.list({"customer": live.id}).data) == 1
    types = [e.type for e in client.v1.events.list({"type": "test_helpers.test_clock.*"}).data]
    assert types == ["test_helpers.test_clock.ready", "test_helpers.test_clock.advancing",
                     "test_helpers.test_clock.created"]
    with pytest.raises(stripe.InvalidRequestError) as backwards:
        client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": start})
    assert backwards.value.param == "frozen_time"
