"""Rendered objects have exactly the keys of Stripe's own examples for the pinned version.

The reference fixtures live outside the repository; the test is skipped where they are not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stripe
from stripe_emu_helpers import Subscribe

from crm_emulators.stripe_emulator import StripeEmulator

FIXTURES = Path("/work/shared/reference/stripe-fixtures3.json")
KINDS = ["customer", "subscription", "subscription_item", "invoice", "line_item", "price",
         "product", "event", "invoiceitem", "payment_intent", "charge", "test_helpers.test_clock"]


@pytest.mark.skipif(not FIXTURES.exists(), reason="reference fixtures not on this machine")
@pytest.mark.parametrize("kind", KINDS)
def test_objects_have_the_keys_of_the_current_api_version(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe,
        kind: str) -> None:
    reference = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"][kind]
    sub = subscribe()
    client.v1.subscriptions.update(sub.id, {"items": [{"id": sub["items"].data[0].id,
                                                       "quantity": 2}]})
    client.v1.test_helpers.test_clocks.create({"frozen_time": sub.created})

    ours = emulator.objects(kind)[0]

    assert set(ours) == set(reference)
