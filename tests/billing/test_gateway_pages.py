"""The gateway's one paginator: every list call reads page after page, lazily."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.billing.client import StripeGateway, build_stripe_client
from connector.retry import NO_WAIT
from crm_emulators.stripe_emulator import StripeEmulator

KEY = "sk_test_pages"
CUSTOMERS = 205  # three pages of 100


@pytest.fixture(scope="module")
def gateway() -> Iterator[StripeGateway]:
    """A gateway to an emulator holding :data:`CUSTOMERS` customers, one a ledger account."""
    emulator = StripeEmulator().start()
    client, transport = build_stripe_client(KEY, emulator.url, max_requests_per_second=10000)
    gateway = StripeGateway(client, transport, NO_WAIT)
    for n in range(CUSTOMERS):
        gateway.create_customer({"name": f"Customer {n}", "metadata": {"ledger_id": f"acc-{n}"}},
                                key=f"customer:acc-{n}")
    yield gateway
    emulator.stop()


def _lists(gateway: StripeGateway) -> int:
    return gateway.transport.calls["GET /v1/customers"]


def test_every_page_is_read(gateway: StripeGateway) -> None:
    before = _lists(gateway)
    names = {customer["name"] for customer in gateway.all_customers()}
    assert names == {f"Customer {n}" for n in range(CUSTOMERS)}
    assert _lists(gateway) - before == 3


def test_a_lookup_stops_at_the_page_that_holds_its_object(gateway: StripeGateway) -> None:
    before = _lists(gateway)
    newest = gateway.find_customer(f"acc-{CUSTOMERS - 1}", 0)  # Stripe lists newest first
    assert newest is not None
    assert newest.name == f"Customer {CUSTOMERS - 1}"
    assert _lists(gateway) - before == 1
    assert gateway.find_customer("acc-none", 0) is None
    assert _lists(gateway) - before == 4
