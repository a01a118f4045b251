"""The gateway's write discipline against the emulator: pacing, retries, conflicts."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import stripe

from connector.billing.client import MeteredHttpClient, StripeGateway, build_stripe_client
from connector.billing.ratelimit import TokenBucket
from connector.errors import IdempotencyConflictError, RetriableError, SkippableError
from connector.retry import NO_WAIT, RetryPolicy
from crm_emulators.stripe_emulator import StripeEmulator

KEY = "sk_test_writes"


@pytest.fixture
def limited() -> Iterator[StripeEmulator]:
    """An emulator on the wall clock that answers 429 past 25 requests per second."""
    emulator = StripeEmulator(rate_limit_per_second=25).start()
    emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)
    yield emulator
    emulator.stop()


def _gateway(emulator: StripeEmulator, rate: float,
             retry: RetryPolicy = NO_WAIT) -> StripeGateway:
    client, transport = build_stripe_client(KEY, emulator.url, max_requests_per_second=rate)
    return StripeGateway(client, transport, retry)


def _statuses(emulator: StripeEmulator) -> list[int]:
    return [entry[2] for entry in emulator.request_log]


def test_a_burst_paced_by_the_token_bucket_earns_no_429(limited: StripeEmulator) -> None:
    gateway = _gateway(limited, rate=24)
    limited.reset_counters()

    for n in range(60):
        gateway.create_customer({"name": f"Customer {n}"}, key=f"customer:burst-{n}")

    assert len(limited.objects("customer")) == 60
    assert 429 not in _statuses(limited)


def test_429s_are_retried_with_backoff_until_they_pass() -> None:
    # A limit low enough that even a loaded machine's client outruns it.
    strict = StripeEmulator(rate_limit_per_second=5).start()
    try:
        gateway = _gateway(strict, rate=1000,  # our own pacing off: the server pushes back
                           retry=RetryPolicy(attempts=8, initial=0.1, maximum=1.0, deadline=30))

        for n in range(20):
            gateway.create_customer({"name": f"Customer {n}"}, key=f"customer:push-{n}")

        assert len(strict.objects("customer")) == 20  # none lost, none doubled
        assert 429 in _statuses(strict)
    finally:
        strict.stop()


def test_server_errors_are_retried_under_the_same_key_and_create_once() -> None:
    emulator = StripeEmulator().start()
    try:
        gateway = _gateway(emulator, rate=100)
        emulator.faults.fail_next(2, status=503)
        created = gateway.create_customer({"name": "Acme"}, key="customer:acc-1")
        customers = emulator.objects("customer")
        statuses = _statuses(emulator)
    finally:
        emulator.stop()

    assert [c["id"] for c in customers] == [created.id]
    assert statuses == [503, 503, 200]


def test_a_reused_key_with_other_parameters_is_a_conflict_and_never_retried() -> None:
    emulator = StripeEmulator().start()
    try:
        gateway = _gateway(emulator, rate=100)
        gateway.create_customer({"name": "Acme"}, key="customer:acc-1")
        with pytest.raises(IdempotencyConflictError):
            gateway.create_customer({"name": "Globex"}, key="customer:acc-1")
        posts = emulator.request_count(method="POST")
    finally:
        emulator.stop()

    assert posts == 2


class _Scripted(stripe.HTTPClient):
    """A transport answering from a script: (status, headers) per request."""

    name = "scripted"

    def __init__(self, answers: list[tuple[int, Mapping[str, str]]]) -> None:
        super().__init__()
        self.answers = answers
        self.sent = 0

    def request(self, method: str, url: str, headers: Mapping[str, str] | None,
                post_data: Any = None) -> tuple[bytes, int, Mapping[str, str]]:
        status, answer_headers = self.answers[min(self.sent, len(self.answers) - 1)]
        self.sent += 1
        body = {"error": {"type": "api_error", "message": "boom"}} if status >= 400 else {
            "id": "cus_1", "object": "customer"}
        return json.dumps(body).encode(), status, answer_headers

    def close(self) -> None:
        """Nothing to close."""


def _scripted_gateway(answers: list[tuple[int, Mapping[str, str]]]) -> tuple[StripeGateway,
                                                                              _Scripted]:
    http = _Scripted(answers)
    client = stripe.StripeClient(KEY, http_client=http, max_network_retries=0)
    return StripeGateway(client, MeteredHttpClient(TokenBucket(100)), NO_WAIT), http


def test_stripe_should_retry_false_stops_retries_of_a_server_error() -> None:
    gateway, http = _scripted_gateway([(503, {"Stripe-Should-Retry": "false"})])

    with pytest.raises(SkippableError):
        gateway.create_customer({"name": "Acme"}, key="customer:acc-1")

    assert http.sent == 1


def test_stripe_should_retry_true_retries_even_a_conflict_status() -> None:
    gateway, http = _scripted_gateway([(409, {"Stripe-Should-Retry": "true"}), (200, {})])

    created = gateway.create_customer({"name": "Acme"}, key="customer:acc-1")

    assert (created.id, http.sent) == ("cus_1", 2)


def test_without_the_header_a_5xx_is_retriable() -> None:
    gateway, http = _scripted_gateway([(500, {})])

    with pytest.raises(RetriableError):
        gateway.create_customer({"name": "Acme"}, key="customer:acc-1")

    assert http.sent == NO_WAIT.attempts


def test_connection_errors_are_retried_then_reported_as_retriable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client, transport = build_stripe_client(KEY, f"http://127.0.0.1:{port}", 100)
    gateway = StripeGateway(client, transport, NO_WAIT)

    with pytest.raises(RetriableError):
        gateway.create_customer({"name": "Acme"}, key="customer:acc-1")

    assert transport.total_calls == NO_WAIT.attempts
