"""The Stripe gateway against recorded traffic (see ``tests/cassettes.py`` to re-record)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cassettes import RECORDING, recorder

from connector.billing.client import StripeGateway, build_stripe_client
from connector.errors import IdempotencyConflictError
from connector.retry import NO_WAIT

API_KEY = "sk_test_cassette"  # emulator-only key
RECORDED_AT = int(datetime(2026, 11, 23, tzinfo=UTC).timestamp())


@pytest.fixture
def api_base() -> Iterator[str]:
    """The Stripe emulator while recording; a placeholder the cassette answers for otherwise."""
    if not RECORDING:
        yield "https://stripe.cassette.invalid"
        return
    from connector.clock import ManualClock  # noqa: PLC0415 - recording only
    from crm_emulators.stripe_emulator import StripeEmulator  # noqa: PLC0415

    emulator = StripeEmulator(clock=ManualClock(datetime.fromtimestamp(RECORDED_AT, UTC)))
    emulator.start()
    emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)
    try:
        yield emulator.url
    finally:
        emulator.stop()


def _gateway(api_base: str) -> StripeGateway:
    client, transport = build_stripe_client(API_KEY, api_base, max_requests_per_second=100)
    return StripeGateway(client, transport, NO_WAIT)


def test_prices_are_found_by_lookup_key(api_base: str) -> None:
    with recorder().use_cassette("stripe_find_price.yaml"):
        gateway = _gateway(api_base)
        found = gateway.find_price("PLATFORM-MONTHLY")
        missing = gateway.find_price("NO-SUCH-KEY")

    assert found is not None
    assert (found.lookup_key, found.unit_amount, found.currency) == (
        "PLATFORM-MONTHLY", 49900, "usd")
    assert missing is None


def test_a_repeated_create_with_its_key_returns_the_same_objects(api_base: str) -> None:
    with recorder().use_cassette("stripe_idempotent_creates.yaml"):
        gateway = _gateway(api_base)
        price = gateway.find_price("PLATFORM-MONTHLY")
        assert price is not None
        customer = gateway.create_customer({"name": "Acme"}, key="customer:acc-1")
        again = gateway.create_customer({"name": "Acme"}, key="customer:acc-1")
        params = {"customer": customer.id, "items": [{"price": price.id, "quantity": 3}],
                  "metadata": {"ledger_id": "sub-1"}}
        subscription = gateway.create_subscription(params, key="subscription:sub-1")  # type: ignore[arg-type]
        repeated = gateway.create_subscription(params, key="subscription:sub-1")  # type: ignore[arg-type]
        found = gateway.find_subscription(customer.id, "sub-1")
        with pytest.raises(IdempotencyConflictError):
            gateway.create_customer({"name": "Someone else"}, key="customer:acc-1")

    assert again.id == customer.id
    assert repeated.id == subscription.id
    assert found is not None
    assert found.id == subscription.id
    assert subscription["items"].data[0].quantity == 3


def test_a_customer_is_found_by_its_ledger_id_among_those_created_since(
        api_base: str) -> None:
    with recorder().use_cassette("stripe_find_customer.yaml"):
        gateway = _gateway(api_base)
        gateway.create_customer({"name": "Globex", "metadata": {"ledger_id": "acc-2"}},
                                key="customer:acc-2")
        made = gateway.create_customer({"name": "Acme", "metadata": {"ledger_id": "acc-1"}},
                                       key="customer:acc-1")
        found = gateway.find_customer("acc-1", RECORDED_AT - 3600)
        missing = gateway.find_customer("acc-3", RECORDED_AT - 3600)

    assert found is not None
    assert found.id == made.id
    assert missing is None


def test_events_come_oldest_first(api_base: str) -> None:
    with recorder().use_cassette("stripe_events.yaml"):
        gateway = _gateway(api_base)
        price = gateway.find_price("PLATFORM-MONTHLY")
        assert price is not None
        customer = gateway.create_customer({"name": "Globex"}, key="customer:acc-2")
        created = [gateway.create_subscription(
            {"customer": customer.id, "items": [{"price": price.id, "quantity": n}]},
            key=f"subscription:events-{n}") for n in (1, 2, 3)]
        events = gateway.events_since(RECORDED_AT - 60, ["customer.subscription.created"])

    assert [e.data.object["id"] for e in events] == [s.id for s in created]
