"""What every request goes through: keys, idempotency, rate limit, faults, headers,
``expand``, unknown URLs and the request counters."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
import stripe
from stripe_emu_helpers import T0

from crm_emulators.clock import ManualClock
from crm_emulators.stripe_emulator import API_VERSION, StripeEmulator


def test_an_idempotent_retry_replays_the_first_answer_byte_for_byte(
        client: stripe.StripeClient) -> None:
    first = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})
    again = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert again.last_response.body == first.last_response.body
    assert len(client.v1.customers.list().data) == 1


def test_a_reused_key_with_other_parameters_is_refused(client: stripe.StripeClient) -> None:
    client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.customers.create({"name": "Globex"}, {"idempotency_key": "k1"})

    assert refused.value.http_status == 400
    assert "can only be used with the same parameters" in str(refused.value.user_message)
    assert len(client.v1.customers.list().data) == 1


def test_a_key_is_replayed_for_24_hours_of_the_account_clock(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    first = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})
    emulator.advance(timedelta(hours=23, minutes=59))

    again = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"


def test_a_key_reused_after_24_hours_makes_a_new_request(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    first = client.v1.customers.create({"name": "Acme"}, {"idempotency_key": "k1"})
    emulator.advance(timedelta(hours=24))

    later = client.v1.customers.create({"name": "Globex"}, {"idempotency_key": "k1"})

    assert later.id != first.id
    assert "Idempotent-Replayed" not in later.last_response.headers
    assert sorted(c.name or "" for c in client.v1.customers.list().data) == ["Acme", "Globex"]


def test_idempotency_keys_belong_to_one_api_key(emulator: StripeEmulator) -> None:
    mine = emulator.client("sk_test_mine").v1.customers.create(
        {"name": "Acme"}, {"idempotency_key": "shared"})
    theirs = emulator.client("sk_test_theirs").v1.customers.create(
        {"name": "Globex"}, {"idempotency_key": "shared"})

    assert mine.id != theirs.id


def test_a_declined_payment_is_replayed_too(client: stripe.StripeClient,
                                            price_id: str) -> None:
    customer = client.v1.customers.create({"name": "Acme"})
    sub = client.v1.subscriptions.create({
        "customer": customer.id, "items": [{"price": price_id}],
        "default_payment_method": "pm_card_chargeCustomerFail"})
    options: stripe.RequestOptions = {"idempotency_key": "pay-once"}

    with pytest.raises(stripe.CardError) as first:
        client.v1.invoices.pay(str(sub.latest_invoice), None, options)
    with pytest.raises(stripe.CardError) as again:
        client.v1.invoices.pay(str(sub.latest_invoice), None, options)

    assert again.value.http_body == first.value.http_body
    assert client.v1.invoices.retrieve(str(sub.latest_invoice)).attempt_count == 2


def test_past_the_rate_limit_requests_get_429_until_time_moves() -> None:
    emulator = StripeEmulator(ManualClock(T0), rate_limit_per_second=3).start()
    try:
        client = emulator.client()
        for _ in range(3):
            client.v1.customers.list()
        with pytest.raises(stripe.RateLimitError) as limited:
            client.v1.customers.list()
        emulator.advance(timedelta(seconds=1))
        client.v1.customers.list()
    finally:
        emulator.stop()

    assert limited.value.http_status == 429
    assert limited.value.json_body["error"]["code"] == "rate_limit"
    assert str(limited.value.user_message).startswith("Request rate limit exceeded.")


def test_fault_knobs_fail_requests(emulator: StripeEmulator,
                                   client: stripe.StripeClient) -> None:
    emulator.faults.fail_next(1, status=503)
    with pytest.raises(stripe.APIError) as unavailable:
        client.v1.customers.create({"name": "Acme"})
    emulator.faults.fail_fraction(1.0, seed=1)
    with pytest.raises(stripe.APIError):
        client.v1.customers.list()
    emulator.faults.clear()

    assert unavailable.value.http_status == 503
    assert client.v1.customers.list().data == []  # the failed create changed nothing


def test_fail_fraction_is_reproducible_from_its_seed(emulator: StripeEmulator,
                                                     client: stripe.StripeClient) -> None:
    def outcomes() -> list[bool]:
        emulator.faults.fail_fraction(0.5, seed=7)
        results = []
        for _ in range(8):
            try:
                client.v1.customers.list()
                results.append(True)
            except stripe.APIError:
                results.append(False)
        return results

    first = outcomes()

    assert outcomes() == first
    assert True in first
    assert False in first


def test_latency_slows_every_answer(emulator: StripeEmulator,
                                    client: stripe.StripeClient) -> None:
    emulator.faults.latency(0.2)
    started = time.monotonic()
    client.v1.customers.list()

    assert time.monotonic() - started >= 0.2


def test_keys_must_be_test_mode_secret_keys(emulator: StripeEmulator) -> None:
    with pytest.raises(stripe.AuthenticationError) as live:
        emulator.client("sk_live_0123456789abcdef").v1.customers.list()
    unauthenticated = requests.get(f"{emulator.url}/v1/customers", timeout=5)

    assert live.value.http_status == 401
    assert "sk_live_" in str(live.value.user_message)
    assert "0123456789ab" not in str(live.value.user_message)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["type"] == "invalid_request_error"


def test_every_answer_has_a_request_id_and_the_api_version(emulator: StripeEmulator) -> None:
    pinned = emulator.client().v1.customers.list()
    older = stripe.StripeClient("sk_test_x", base_addresses={"api": emulator.url},
                                stripe_version="2025-03-31.basil", max_network_retries=0)
    answered = older.v1.customers.list()
    error = requests.get(f"{emulator.url}/v1/nowhere",
                         headers={"Authorization": "Bearer sk_test_x"}, timeout=5)

    assert pinned.last_response.request_id.startswith("req_")
    assert pinned.last_response.headers["Stripe-Version"] == API_VERSION
    assert answered.last_response.headers["Stripe-Version"] == "2025-03-31.basil"
    assert error.status_code == 404
    assert error.headers["Request-Id"].startswith("req_")
    assert error.json()["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/nowhere).")


def test_expand_replaces_ids_with_objects(client: stripe.StripeClient, price_id: str) -> None:
    customer = client.v1.customers.create({"name": "Acme"})
    sub = client.v1.subscriptions.create({"customer": customer.id,
                                          "items": [{"price": price_id}]})

    expanded = client.v1.subscriptions.retrieve(sub.id, {
        "expand": ["customer", "latest_invoice.customer"]})
    listed = client.v1.subscriptions.list({"expand": ["data.customer"]})

    assert isinstance(expanded.customer, stripe.Customer)
    assert expanded.customer.name == "Acme"
    assert isinstance(expanded.latest_invoice, stripe.Invoice)
    assert isinstance(expanded.latest_invoice.customer, stripe.Customer)
    assert isinstance(listed.data[0].customer, stripe.Customer)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.subscriptions.retrieve(sub.id, {"expand": ["status"]})
    assert refused.value.param == "expand"


def test_request_counters_count_per_endpoint(emulator: StripeEmulator,
                                             client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Acme"})
    client.v1.customers.retrieve(customer.id)
    client.v1.customers.list()
    client.v1.prices.list()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve("cus_nope")

    assert emulator.request_count() == 5
    assert emulator.request_count(method="GET", path_prefix="/v1/customers") == 3
    assert emulator.request_count(method="POST") == 1
    assert emulator.request_count(path_prefix="/v1/prices") == 1
    assert emulator.request_log[-1] == ("GET", "/v1/customers/cus_nope", 404)
    emulator.reset_counters()
    assert (emulator.request_count(), emulator.request_log) == (0, [])
