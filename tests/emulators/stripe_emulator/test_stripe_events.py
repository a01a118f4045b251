"""The events API: newest first, paging past 100, filters by type and time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe
from stripe_emu_helpers import T0, at

from crm_emulators.stripe_emulator import StripeEmulator


@pytest.fixture
def sixty_customers(emulator: StripeEmulator, client: stripe.StripeClient) -> list[str]:
    """60 customers, 10 s apart, each then updated once: 120 events."""
    ids = []
    for n in range(60):
        ids.append(client.v1.customers.create({"name": f"Customer {n}"}).id)
        emulator.advance(timedelta(seconds=10))
    for ident in ids:
        client.v1.customers.update(ident, {"description": "renamed"})
    return ids


@pytest.mark.usefixtures("sixty_customers")
def test_events_page_newest_first_past_a_hundred(client: stripe.StripeClient) -> None:
    every = list(client.v1.events.list({"limit": 100}).auto_paging_iter())

    assert len(every) == 120
    assert len({e.id for e in every}) == 120
    assert [e.type for e in every[:60]] == ["customer.updated"] * 60
    assert every[-1].data.object["name"] == "Customer 0"
    assert [e.created for e in every] == sorted((e.created for e in every), reverse=True)


@pytest.mark.usefixtures("sixty_customers")
def test_events_filter_by_type_types_wildcard_and_created(client: stripe.StripeClient) -> None:
    created = client.v1.events.list({"type": "customer.created", "limit": 100}).data
    both = client.v1.events.list({"types": ["customer.created", "customer.updated"],
                                  "limit": 100}).auto_paging_iter()
    wildcard = client.v1.events.list({"type": "customer.*", "limit": 100}).auto_paging_iter()
    recent = client.v1.events.list({"type": "customer.created", "created": {
        "gte": at(T0 + timedelta(seconds=580))}}).data
    early = client.v1.events.list({"created": {"lt": at(T0 + timedelta(seconds=20))}}).data

    assert len(created) == 60
    assert created[0].data.object["name"] == "Customer 59"
    assert len(list(both)) == len(list(wildcard)) == 120
    assert [e.data.object["name"] for e in recent] == ["Customer 59", "Customer 58"]
    assert [e.data.object["name"] for e in early] == ["Customer 1", "Customer 0"]


def test_an_event_records_the_request_and_what_changed(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "make-acme"})
    client.v1.customers.update(customer.id, {"name": "Acme Inc"})

    updated = client.v1.events.list({"type": "customer.updated"}).data[0]
    made = client.v1.events.retrieve(
        client.v1.events.list({"type": "customer.created"}).data[0].id)

    assert updated.data.previous_attributes.to_dict() == {"name": "Acme"}
    assert updated.data.object["name"] == "Acme Inc"
    assert made.request.idempotency_key == "make-acme"
    assert made.request.id == customer.last_response.request_id
    assert made.api_version == "2026-10-28.endive"


def test_events_made_by_billing_carry_no_request(
        emulator: StripeEmulator, client: stripe.StripeClient, price_id: str) -> None:
    customer = client.v1.customers.create({"name": "Acme"})
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price_id}]})

    emulator.advance(timedelta(days=32))

    renewal = client.v1.events.list({"type": "invoice.created"}).data[0]
    assert renewal.data.object["billing_reason"] == "subscription_cycle"
    assert (renewal.request.id, renewal.request.idempotency_key) == (None, None)
