"""The Stripe emulator driven through the real stripe-python ``StripeClient``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector.clock import ManualClock
from connector.sandbox.server import ServerThread
from connector.sandbox.stripe_billing import StripeEmulator

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "reference" / "stripe-fixtures3.json"


@pytest.fixture
def emulator() -> Iterator[StripeEmulator]:
    emu = StripeEmulator(ManualClock(T0)).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def client(emulator: StripeEmulator) -> stripe.StripeClient:
    return emulator.client()


def _subscribe(client: stripe.StripeClient, price_id: str, quantity: int = 1,
               **extra: Any) -> stripe.Subscription:
    customer = client.v1.customers.create({"name": "Acme", "email": "ap@acme.test"})
    return client.v1.subscriptions.create({"customer": customer.id, "items": [
        {"price": price_id, "quantity": quantity}], **extra})


def test_customers_create_retrieve_update_list(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create({"name": "Acme", "metadata": {"ledger_id": "acc-1"}})
    client.v1.customers.update(created.id, {"email": "billing@acme.test"})

    fetched = client.v1.customers.retrieve(created.id)
    listed = client.v1.customers.list({"email": "billing@acme.test"})

    assert created.id.startswith("cus_")
    assert (fetched.name, fetched.email, fetched.metadata["ledger_id"]) == (
        "Acme", "billing@acme.test", "acc-1")
    assert [c.id for c in listed.data] == [created.id]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nope")
    assert missing.value.code == "resource_missing"
    assert missing.value.http_status == 404


def test_prices_are_found_by_lookup_key(emulator: StripeEmulator,
                                        client: stripe.StripeClient) -> None:
    seeded = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)

    found = client.v1.prices.list({"lookup_keys": ["PLATFORM-MONTHLY"], "active": True})

    assert [p.id for p in found.data] == [seeded["id"]]
    price = found.data[0]
    assert (price.unit_amount, price.currency, price.recurring.interval) == (49900, "usd", "month")
    assert client.v1.prices.list({"lookup_keys": ["NOPE"]}).data == []


def test_a_subscription_opens_a_period_on_its_items_and_pays_its_first_invoice(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)

    sub = _subscribe(client, price["id"], quantity=3)

    item = sub["items"].data[0]
    assert sub.status == "active"
    assert item.current_period_start == int(T0.timestamp())
    assert item.current_period_end == int(datetime(2026, 12, 23, 9, tzinfo=UTC).timestamp())
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid", 149700, "subscription_create")


def test_quantity_changes_prorate_unless_told_not_to(emulator: StripeEmulator,
                                                     client: stripe.StripeClient) -> None:
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 10000)
    sub = _subscribe(client, price["id"], quantity=1)
    item_id = sub["items"].data[0].id
    emulator.advance(timedelta(days=15))

    client.v1.subscriptions.update(sub.id, {"items": [{"id": item_id, "quantity": 2}],
                                            "proration_behavior": "create_prorations"})
    client.v1.subscriptions.update(sub.id, {"items": [{"id": item_id, "quantity": 3}],
                                            "proration_behavior": "none"})
    emulator.advance(timedelta(days=16))

    renewal = client.v1.invoices.list({"subscription": sub.id}).data[0]
    prorations = [line for line in renewal.lines.data
                  if line.parent.subscription_item_details.proration]
    regular = [line for line in renewal.lines.data
               if not line.parent.subscription_item_details.proration]
    assert renewal.billing_reason == "subscription_cycle"
    assert len(prorations) == 2  # unused time on 1, remaining time on 2; none for 2 -> 3
    assert sum(line.amount for line in prorations) > 0
    assert [line.amount for line in regular] == [30000]


def test_cancel_at_period_end_and_immediate_cancel(emulator: StripeEmulator,
                                                   client: stripe.StripeClient) -> None:
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 10000)
    later = _subscribe(client, price["id"])
    now = _subscribe(client, price["id"])

    flagged = client.v1.subscriptions.update(later.id, {"cancel_at_period_end": True})
    canceled = client.v1.subscriptions.cancel(now.id)
    emulator.advance(timedelta(days=31))

    assert flagged.cancel_at == later["items"].data[0].current_period_end
    assert canceled.status == "canceled"
    assert client.v1.subscriptions.retrieve(later.id).status == "canceled"


def test_a_trial_ends_into_an_active_paid_subscription(emulator: StripeEmulator,
                                                       client: stripe.StripeClient) -> None:
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 10000)
    sub = _subscribe(client, price["id"], trial_end=int((T0 + timedelta(days=14)).timestamp()))
    assert sub.status == "trialing"

    emulator.advance(timedelta(days=15))

    after = client.v1.subscriptions.retrieve(sub.id)
    assert after.status == "active"
    assert client.v1.invoices.retrieve(str(after.latest_invoice)).amount_paid == 10000


def test_failed_payments_make_a_subscription_past_due(emulator: StripeEmulator,
                                                      client: stripe.StripeClient) -> None:
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 10000)
    sub = _subscribe(client, price["id"])
    emulator.fail_payments_for(str(sub.customer))

    emulator.advance(timedelta(days=31))

    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    failed = client.v1.events.list({"type": "invoice.payment_failed"}).data
    assert len(failed) == 1
    emulator.fail_payments_for(str(sub.customer), failing=False)
    emulator.advance(timedelta(days=3))
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_events_newest_first_with_filters_and_auto_pagination(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    for n in range(60):
        client.v1.customers.create({"name": f"Customer {n}"})
        emulator.advance(timedelta(seconds=10))
    for n in range(60):
        client.v1.customers.update(client.v1.customers.list({"limit": 1}).data[0].id,
                                   {"description": f"update {n}"})

    every = list(client.v1.events.list({"limit": 100}).auto_paging_iter())
    created = client.v1.events.list({"type": "customer.created", "limit": 100}).data
    recent = client.v1.events.list({"type": "customer.created", "created": {
        "gte": int((T0 + timedelta(seconds=590)).timestamp())}}).data

    assert len(every) == 120
    assert [e.created for e in every] == sorted((e.created for e in every), reverse=True)
    assert len(created) == 60
    assert created[0].data.object["name"] == "Customer 59"
    assert [e.data.object["name"] for e in recent] == ["Customer 59"]


def test_idempotency_replays_and_refuses_other_parameters(client: stripe.StripeClient) -> None:
    first = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})
    again = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"name": "Globex"}, {"idempotency_key": "k1"})
    assert len(client.v1.customers.list().data) == 1


def test_rate_limit_answers_429() -> None:
    emulator = StripeEmulator(ManualClock(T0), rate_limit_per_second=3).start()
    try:
        client = emulator.client()
        for _ in range(3):
            client.v1.customers.list()
        with pytest.raises(stripe.RateLimitError):
            client.v1.customers.list()
    finally:
        emulator.stop()


def test_fault_knobs_fail_the_next_requests(emulator: StripeEmulator,
                                            client: stripe.StripeClient) -> None:
    emulator.faults.fail_next(1, status=503)

    with pytest.raises(stripe.APIError):
        client.v1.customers.list()
    client.v1.customers.list()

    assert emulator.request_count(method="GET", path_prefix="/v1/customers") == 2


def test_webhooks_are_signed_so_construct_event_accepts_them(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    received: list[tuple[bytes, str]] = []

    async def hook(request: Request) -> Response:
        received.append((await request.body(), request.headers["stripe-signature"]))
        return Response(status_code=200)

    with ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as receiver:
        secret = emulator.add_webhook_endpoint(f"{receiver.url}/hook", ["customer.created"])
        client.v1.customers.create({"name": "Acme"})
        client.v1.customers.update(client.v1.customers.list().data[0].id, {"name": "Acme Inc"})
        delivered = emulator.deliver_pending()
        again = emulator.deliver_pending()

    assert (delivered, again) == (1, 0)
    payload, header = received[0]
    event = stripe.Webhook.construct_event(payload.decode(), header, secret,
                                           tolerance=10**10)
    assert event.type == "customer.created"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.decode(), header, "whsec_wrong",
                                       tolerance=10**10)


@pytest.mark.skipif(not FIXTURES.exists(), reason="reference fixtures not on this machine")
@pytest.mark.parametrize("kind", ["customer", "subscription", "invoice", "price", "event"])
def test_objects_have_the_keys_of_the_current_api_version(
        emulator: StripeEmulator, client: stripe.StripeClient, kind: str) -> None:
    reference = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"][kind]
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 10000)
    _subscribe(client, price["id"])

    ours = emulator.objects(kind)[0]

    assert set(ours) == set(reference)
