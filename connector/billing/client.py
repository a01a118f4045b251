"""The Stripe adapter: one pinned ``StripeClient`` and the calls the daemon makes with it.

Transport: a ``stripe.RequestsClient`` subclass that waits on a token bucket and counts
requests (the seam tests and benchmarks read). Retries: tenacity in this module only (the
SDK's own retries are off, because it retries every 409 and trusts ``Stripe-Should-Retry``
over our rules). Vendor errors become :mod:`connector.errors` types in :func:`_convert`.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import stripe
from stripe.params import (
    CustomerCreateParams,
    EventListParams,
    SubscriptionCancelParams,
    SubscriptionCreateParams,
    SubscriptionListParams,
    SubscriptionUpdateParams,
)

from connector.billing.ratelimit import TokenBucket
from connector.errors import (
    ConnectorError,
    FatalError,
    IdempotencyConflictError,
    RateLimitedError,
    RetriableError,
    SkippableError,
    ValidationRejectedError,
)
from connector.retry import RetryPolicy

STRIPE_API_VERSION = "2026-10-28.endive"
"""The API version the daemon speaks; responses and our parsing assume these shapes."""

T = TypeVar("T")


class MeteredHttpClient(stripe.RequestsClient):
    """The SDK's requests transport, rate-limited by a token bucket and counted per path."""

    def __init__(self, bucket: TokenBucket, timeout: float = 80.0) -> None:
        super().__init__(timeout=timeout)
        self._bucket = bucket
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def request(self, method: str, url: str, headers: Mapping[str, str] | None,
                post_data: Any = None, *, _usage: list[str] | None = None) -> Any:
        """Wait for a token, count the call, then send it."""
        self._bucket.acquire()
        with self._lock:
            self.calls[f"{method.upper()} {urlsplit(url).path}"] += 1
        return super().request(method, url, headers, post_data)

    @property
    def total_calls(self) -> int:
        """Every request sent so far."""
        with self._lock:
            return sum(self.calls.values())


class StripeGateway:
    """The Stripe calls the daemon makes, each idempotent where it writes.

    Args:
        client: a StripeClient built by :func:`build_stripe_client`.
        transport: its transport, for call counts.
        retry: policy for transient failures.
    """

    def __init__(self, client: stripe.StripeClient, transport: MeteredHttpClient,
                 retry: RetryPolicy) -> None:
        self.client = client
        self.transport = transport
        self._retry = retry

    def find_price(self, lookup_key: str) -> stripe.Price | None:
        """The active price whose ``lookup_key`` is ``lookup_key``, or None."""
        prices = self._call(lambda: self.client.v1.prices.list(
            params={"lookup_keys": [lookup_key], "active": True, "limit": 1}))
        return prices.data[0] if prices.data else None

    def create_customer(self, params: CustomerCreateParams, key: str) -> stripe.Customer:
        """Create a customer; ``key`` makes a repeat of the same call return the same one."""
        return self._call(lambda: self.client.v1.customers.create(
            params, options={"idempotency_key": key}))

    def create_subscription(self, params: SubscriptionCreateParams,
                            key: str) -> stripe.Subscription:
        """Create a subscription; ``key`` makes a repeat of the same call return the same one."""
        return self._call(lambda: self.client.v1.subscriptions.create(
            params, options={"idempotency_key": key}))

    def update_subscription(self, subscription_id: str, params: SubscriptionUpdateParams,
                            key: str) -> stripe.Subscription:
        """Update a subscription idempotently."""
        return self._call(lambda: self.client.v1.subscriptions.update(
            subscription_id, params, options={"idempotency_key": key}))

    def cancel_subscription(self, subscription_id: str, params: SubscriptionCancelParams,
                            key: str) -> stripe.Subscription:
        """Cancel a subscription now, idempotently."""
        return self._call(lambda: self.client.v1.subscriptions.cancel(
            subscription_id, params, options={"idempotency_key": key}))

    def retrieve_subscription(self, subscription_id: str) -> stripe.Subscription:
        """The subscription as Stripe holds it now."""
        return self._call(lambda: self.client.v1.subscriptions.retrieve(subscription_id))

    def find_subscription(self, customer_id: str, metadata_key: str,
                          value: str) -> stripe.Subscription | None:
        """The customer's subscription (any status) whose metadata ``metadata_key`` is ``value``."""
        for subscription in self._subscriptions_of(customer_id):
            metadata: Mapping[str, str] = subscription.to_dict().get("metadata") or {}
            if metadata.get(metadata_key) == value:
                return subscription
        return None

    def events_since(self, created_gte: int, types: Sequence[str]) -> list[stripe.Event]:
        """Events of ``types`` created at or after ``created_gte`` (Unix seconds), oldest first.

        Stripe lists events newest first; every page is read, then the order is reversed.
        """
        params: EventListParams = {"created": {"gte": created_gte}, "types": list(types),
                                   "limit": 100}
        events: list[stripe.Event] = []
        while True:
            page = self._call(functools.partial(self.client.v1.events.list, params))
            events.extend(page.data)
            if not page.has_more:
                return events[::-1]
            params = {**params, "starting_after": page.data[-1].id}

    def _subscriptions_of(self, customer_id: str) -> Iterator[stripe.Subscription]:
        params: SubscriptionListParams = {"customer": customer_id, "status": "all", "limit": 100}
        while True:
            page = self._call(functools.partial(self.client.v1.subscriptions.list, params))
            yield from page.data
            if not page.has_more:
                return
            params = {**params, "starting_after": page.data[-1].id}

    def _call(self, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return fn()
            except stripe.StripeError as exc:
                raise _convert(exc) from None
        return self._retry.call(attempt)


def build_stripe_client(api_key: str, api_base: str | None,
                        max_requests_per_second: float) -> tuple[stripe.StripeClient,
                                                                  MeteredHttpClient]:
    """A StripeClient pinned to :data:`STRIPE_API_VERSION`, with our metered transport.

    Args:
        api_key: the secret or restricted key.
        api_base: where the API lives, for emulators; None for the real Stripe.
        max_requests_per_second: the token bucket's rate.
    """
    transport = MeteredHttpClient(TokenBucket(max_requests_per_second))
    bases: Any = {"api": api_base} if api_base else None
    client = stripe.StripeClient(
        api_key, stripe_version=STRIPE_API_VERSION, base_addresses=bases,
        http_client=transport, max_network_retries=0,
    )
    return client, transport


def _convert(exc: stripe.StripeError) -> ConnectorError:
    """Turn a stripe-python exception into a connector error."""
    text = f"Stripe {exc.http_status or '-'} {exc.code or type(exc).__name__}: {exc.user_message}"
    if isinstance(exc, stripe.IdempotencyError) or exc.http_status == 409:
        return IdempotencyConflictError(text, code=exc.code or "idempotency_error")
    if isinstance(exc, stripe.RateLimitError):
        return RateLimitedError(text, retry_after=_retry_after(exc))
    if isinstance(exc, stripe.APIConnectionError) or (exc.http_status or 0) >= 500:
        return RetriableError(text)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return FatalError(text)
    if isinstance(exc, stripe.InvalidRequestError):
        return ValidationRejectedError(text, code=exc.code or "invalid_request_error")
    return SkippableError(text, code=exc.code or type(exc).__name__)


def _retry_after(exc: stripe.StripeError) -> float | None:
    value = (exc.headers or {}).get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
