"""Customers, products and prices through StripeClient: CRUD, filters and pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe

from crm_emulators.stripe_emulator import StripeEmulator


def test_customers_are_created_read_updated_listed_and_deleted(
        client: stripe.StripeClient) -> None:
    created = client.v1.customers.create({
        "name": "Acme", "email": "ap@acme.test", "metadata": {"ledger_id": "acc-1", "x": "y"},
        "address": {"city": "Lyon", "country": "FR"}})
    client.v1.customers.update(created.id, {"email": "billing@acme.test",
                                            "metadata": {"x": ""}})

    fetched = client.v1.customers.retrieve(created.id)
    listed = client.v1.customers.list({"email": "billing@acme.test"})
    deleted = client.v1.customers.delete(created.id)

    assert created.id.startswith("cus_")
    assert (fetched.name, fetched.email, fetched.address.city) == (
        "Acme", "billing@acme.test", "Lyon")
    assert fetched.metadata.to_dict() == {"ledger_id": "acc-1"}
    assert [c.id for c in listed.data] == [created.id]
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(created.id).deleted is True
    assert client.v1.customers.list().data == []


def test_customers_are_listed_by_created_newest_first(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    older = client.v1.customers.create({"name": "Older"})
    emulator.advance(timedelta(hours=2))
    since = int(older.created) + 3600
    newer = [client.v1.customers.create({"name": f"New {i}"}) for i in range(3)]

    listed = client.v1.customers.list({"created": {"gte": since}, "limit": 2})
    rest = client.v1.customers.list({"created": {"gte": since}, "limit": 2,
                                     "starting_after": listed.data[-1].id})

    assert [c.id for c in listed.data + rest.data] == [c.id for c in reversed(newer)]
    assert (listed.has_more, rest.has_more) == (True, False)


def test_a_missing_customer_is_a_404_naming_it(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nope")

    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert missing.value.param == "id"
    assert str(missing.value.user_message) == "No such customer: 'cus_nope'"


def test_unknown_parameters_are_refused_before_anything_changes(
        client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create({"name": "Acme", "colour": "red"})  # type: ignore[typeddict-unknown-key]

    assert unknown.value.code == "parameter_unknown"
    assert unknown.value.param == "colour"
    assert client.v1.customers.list().data == []


def test_customer_lists_page_newest_first_with_both_cursors(
        client: stripe.StripeClient) -> None:
    ids = [client.v1.customers.create({"name": f"C{n}"}).id for n in range(5)]

    first = client.v1.customers.list({"limit": 2})
    second = client.v1.customers.list({"limit": 2, "starting_after": first.data[-1].id})
    back = client.v1.customers.list({"limit": 2, "ending_before": second.data[0].id})
    everyone = [c.id for c in client.v1.customers.list({"limit": 2}).auto_paging_iter()]

    assert ([c.id for c in first.data], first.has_more) == ([ids[4], ids[3]], True)
    assert [c.id for c in second.data] == [ids[2], ids[1]]
    assert [c.id for c in back.data] == [ids[4], ids[3]]
    assert everyone == ids[::-1]
    assert first.url == "/v1/customers"


def test_seeded_prices_are_found_by_lookup_key(emulator: StripeEmulator,
                                               client: stripe.StripeClient) -> None:
    monthly = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)
    emulator.seed_price("Seat", "SEAT-ANNUAL", 24000, interval="year")

    found = client.v1.prices.list(params={"lookup_keys": ["PLATFORM-MONTHLY"]})
    price = found.data[0]

    assert [p.id for p in found.data] == [monthly]
    assert (price.unit_amount, price.currency, price.type) == (49900, "usd", "recurring")
    assert (price.recurring.interval, price.recurring.interval_count) == ("month", 1)
    assert client.v1.products.retrieve(str(price.product)).name == "Platform"
    assert client.v1.prices.list({"lookup_keys": ["NOPE"]}).data == []


def test_prices_created_over_the_api_with_lookup_key_rules_and_filters(
        client: stripe.StripeClient) -> None:
    first = client.v1.prices.create({
        "currency": "usd", "unit_amount": 1000, "lookup_key": "BASIC",
        "product_data": {"name": "Basic"}, "recurring": {"interval": "month"}})
    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.v1.prices.create({"currency": "usd", "unit_amount": 1200,
                                 "product": str(first.product), "lookup_key": "BASIC"})
    second = client.v1.prices.create({
        "currency": "usd", "unit_amount": 1200, "product": str(first.product),
        "lookup_key": "BASIC", "transfer_lookup_key": True, "recurring": {"interval": "month"}})
    client.v1.prices.update(first.id, {"active": False})

    assert taken.value.param == "lookup_key"
    assert [p.id for p in client.v1.prices.list({"lookup_keys": ["BASIC"]}).data] == [second.id]
    assert client.v1.prices.retrieve(first.id).lookup_key is None
    assert [p.id for p in client.v1.prices.list({"active": False}).data] == [first.id]
    assert [p.id for p in client.v1.prices.list({"active": True}).data] == [second.id]


def test_products_are_updated_and_filtered(client: stripe.StripeClient) -> None:
    kept = client.v1.products.create({"name": "Platform", "metadata": {"code": "P"}})
    retired = client.v1.products.create({"name": "Legacy"})

    client.v1.products.update(retired.id, {"active": False, "description": "old"})

    assert client.v1.products.retrieve(retired.id).description == "old"
    assert [p.id for p in client.v1.products.list({"active": True}).data] == [kept.id]
