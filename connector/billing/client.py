"""The Stripe adapter: one pinned ``StripeClient`` and the calls the daemon makes with it.

Transport: a ``stripe.RequestsClient`` subclass that waits on a token bucket and counts
requests (the seam tests and benchmarks read). Retries: tenacity in this module only (the
SDK's own retries are off, because it retries every 409 and trusts ``Stripe-Should-Retry``
over our rules). Vendor errors become :mod:`connector.errors` types in :func:`_convert`.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import stripe
from stripe.params import (
    CreditNoteListParams,
    CustomerCreateParams,
    CustomerListParams,
    EventListParams,
    InvoiceListParams,
    InvoicePaymentListParams,
    PriceListParams,
    RefundListParams,
    SubscriptionCancelParams,
    SubscriptionCreateParams,
    SubscriptionListParams,
    SubscriptionUpdateParams,
)

from connector.billing.ratelimit import TokenBucket
from connector.errors import (
    AuthenticationError,
    ConnectorError,
    IdempotencyConflictError,
    RateLimitedError,
    RetriableError,
    SkippableError,
    ValidationRejectedError,
)
from connector.retry import RetryPolicy

SHOULD_RETRY = "Stripe-Should-Retry"
STRIPE_API_VERSION = "2026-10-28.endive"
"""The API version the daemon speaks; responses and our parsing assume these shapes."""
LEDGER_ID = "ledger_id"
"""The metadata key naming the ledger id on every object the daemon creates in Stripe.

An idempotency key makes a repeated create safe only while Stripe keeps it (at least 24
hours, then it may be pruned and the repeat creates a second object). So a create retried
after an attempt whose outcome is unknown (a crash or a timeout after the request went out)
first looks for what that attempt made, by this metadata, through a *list* call:
:meth:`StripeGateway.find_customer` (customers created since the attempt) and
:meth:`StripeGateway.find_subscription` (the customer's subscriptions). Not the Search API
(``customers.search(query="metadata['ledger_id']:'...'")``): Stripe says not to use it for
read-after-write, as new objects become searchable within a minute normally and up to an hour
behind during outages, and it is not offered to accounts in India. A daemon restarted by
systemd seconds after a crash is exactly the read-after-write case; the list APIs are
strongly consistent. Nor the list's ``email`` filter: an account may have no billing email,
and it may change between the attempt and the retry; the ledger id never does.
"""

T = TypeVar("T")


class MeteredHttpClient(stripe.RequestsClient):
    """The SDK's requests transport, rate-limited by a token bucket and counted per path."""

    def __init__(self, bucket: TokenBucket, timeout: float = 80.0) -> None:
        super().__init__(timeout=timeout)
        self._bucket = bucket
        self.calls: Counter[str] = Counter()
        self.rate_limited = 0
        """Answers 429 (Stripe's rate limit), for the metrics."""
        self._lock = threading.Lock()

    def request(self, method: str, url: str, headers: Mapping[str, str] | None,
                post_data: Any = None, *, _usage: list[str] | None = None) -> Any:
        """Wait for a token, count the call, then send it."""
        self._bucket.acquire()
        with self._lock:
            self.calls[f"{method.upper()} {urlsplit(url).path}"] += 1
        answer = super().request(method, url, headers, post_data)
        if answer[1] == 429:
            with self._lock:
                self.rate_limited += 1
        return answer

    @property
    def total_calls(self) -> int:
        """Every request sent so far."""
        with self._lock:
            return sum(self.calls.values())


@dataclass(frozen=True)
class WebhookEndpointInfo:
    """A webhook endpoint of the Stripe account, as ``diagnose`` checks it."""

    url: str
    enabled_events: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class WebhookEndpoints:
    """The account's webhook endpoints, and the ``Date`` Stripe's answer carried."""

    endpoints: list[WebhookEndpointInfo]
    server_date: datetime | None


LISTED = {"customer": "customers", "subscription": "subscriptions", "invoice": "invoices",
          "refund": "refunds", "credit_note": "credit_notes"}
"""The object kinds :meth:`StripeGateway.list_pages` lists, and their services."""
LISTED_PARAMS: dict[str, dict[str, Any]] = {"subscription": {"status": "all"}}


@dataclass(frozen=True)
class ListPage:
    """One page of a Stripe list, as JSON.

    ``objects`` newest first; ``has_more``: a next page exists.
    """

    objects: list[dict[str, Any]]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        """The id to list ``starting_after`` for the next page (None: an empty page)."""
        return str(self.objects[-1]["id"]) if self.objects else None


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

    def webhook_endpoints(self) -> WebhookEndpoints:
        """Every webhook endpoint of the account (first 100), with the server's clock."""
        listed = self._call(lambda: self.client.v1.webhook_endpoints.list(
            params={"limit": 100}))
        found = [WebhookEndpointInfo(e.url, tuple(e.enabled_events), e.status)
                 for e in listed.data]
        header = listed.last_response.headers.get("Date") if listed.last_response else None
        return WebhookEndpoints(found, parsedate_to_datetime(header) if header else None)

    def find_inactive_price(self, lookup_key: str) -> stripe.Price | None:
        """An archived (inactive) price with ``lookup_key``, to explain why none is active."""
        params: PriceListParams = {"lookup_keys": [lookup_key], "active": False, "limit": 1}
        prices = self._call(lambda: self.client.v1.prices.list(params=params))
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

    def fetch(self, object_type: str, object_id: str) -> dict[str, Any]:
        """The current JSON of a ``subscription``, ``invoice``, ``customer``, ``charge`` or
        ``credit_note``.

        Raises:
            ValidationRejectedError: the object does not exist (code ``resource_missing``).
        """
        services = self.client.v1
        retrieve: dict[str, Callable[[str], Any]] = {
            "subscription": services.subscriptions.retrieve,
            "invoice": services.invoices.retrieve, "customer": services.customers.retrieve,
            "charge": services.charges.retrieve,
            "credit_note": services.credit_notes.retrieve,
        }
        found = self._call(functools.partial(retrieve[object_type], object_id))
        return plain(found.to_dict())

    def invoice_paid_by(self, payment_intent: str) -> str | None:
        """The id of the invoice ``payment_intent`` pays (through its invoice payment)."""
        params: InvoicePaymentListParams = {
            "payment": {"type": "payment_intent", "payment_intent": payment_intent},
            "limit": 1}
        page = self._call(lambda: self.client.v1.invoice_payments.list(params))
        return str(page.data[0].invoice) if page.data else None

    def all_subscriptions(self) -> Iterator[dict[str, Any]]:
        """Every subscription of the account, any status (for reconciliation)."""
        params: SubscriptionListParams = {"status": "all", "limit": 100}
        yield from self._pages(self.client.v1.subscriptions.list, params)

    def all_customers(self) -> Iterator[dict[str, Any]]:
        """Every customer of the account (for reconciliation)."""
        params: CustomerListParams = {"limit": 100}
        yield from self._pages(self.client.v1.customers.list, params)

    def invoices_since(self, created_gte: int) -> Iterator[dict[str, Any]]:
        """Invoices created at or after ``created_gte`` (Unix seconds), for reconciliation."""
        params: InvoiceListParams = {"created": {"gte": created_gte}, "limit": 100}
        yield from self._pages(self.client.v1.invoices.list, params)

    def refunds_since(self, created_gte: int) -> Iterator[dict[str, Any]]:
        """Refunds created at or after ``created_gte``, for reconciliation."""
        params: RefundListParams = {"created": {"gte": created_gte}, "limit": 100}
        yield from self._pages(self.client.v1.refunds.list, params)

    def credit_notes_since(self, created_gte: int) -> Iterator[dict[str, Any]]:
        """Credit notes created at or after ``created_gte``, for reconciliation."""
        params: CreditNoteListParams = {"created": {"gte": created_gte}, "limit": 100}
        yield from self._pages(self.client.v1.credit_notes.list, params)

    def find_customer(self, ledger_id: str, created_gte: int) -> stripe.Customer | None:
        """The customer created at or after ``created_gte`` (Unix seconds, Stripe's clock)
        whose ``metadata.ledger_id`` is ``ledger_id``, or None.

        Made only to recover from an attempt whose outcome is unknown (see
        :data:`LEDGER_ID`); it reads the customers created since that attempt, 100 a page.
        """
        params: CustomerListParams = {"created": {"gte": created_gte}, "limit": 100}
        return self._created_for(self.client.v1.customers.list, params, ledger_id)

    def find_subscription(self, customer_id: str, ledger_id: str) -> stripe.Subscription | None:
        """The customer's subscription (any status) whose ``metadata.ledger_id`` is
        ``ledger_id``, or None (see :data:`LEDGER_ID`)."""
        params: SubscriptionListParams = {"customer": customer_id, "status": "all", "limit": 100}
        return self._created_for(self.client.v1.subscriptions.list, params, ledger_id)

    def events_since(self, created_gte: int, types: Sequence[str]) -> list[stripe.Event]:
        """Events of ``types`` created at or after ``created_gte`` (Unix seconds), oldest first.

        Stripe lists events newest first; every page is read, then the order is reversed.
        """
        params: EventListParams = {"created": {"gte": created_gte}, "types": list(types),
                                   "limit": 100}
        events: list[stripe.Event] = list(self._paginate(self.client.v1.events.list, params))
        return events[::-1]

    def _created_for(self, lister: Callable[[Any], Any], params: Any,
                     ledger_id: str) -> Any | None:
        """The first object ``lister`` lists with ``params`` whose metadata names
        ``ledger_id``, reading page after page."""
        for found in self._paginate(lister, params):
            metadata: Mapping[str, str] = found.to_dict().get("metadata") or {}
            if metadata.get(LEDGER_ID) == ledger_id:
                return found
        return None

    def list_pages(self, kind: str, *, created_gte: int | None = None,
                   starting_after: str | None = None) -> Iterator[ListPage]:
        """Every object of ``kind`` (a key of :data:`LISTED`; subscriptions in any status),
        newest first, 100 a page; a page at a time, so ``import stripe`` can commit each and
        keep its last id as the cursor to resume ``starting_after``.

        Args:
            created_gte: only objects created at or after it (Unix seconds).
        """
        params: dict[str, Any] = {"limit": 100, **LISTED_PARAMS.get(kind, {})}
        if created_gte is not None:
            params["created"] = {"gte": created_gte}
        if starting_after is not None:
            params["starting_after"] = starting_after
        lister = getattr(self.client.v1, LISTED[kind]).list
        for page in self._raw_pages(lister, params):
            yield ListPage([plain(obj.to_dict()) for obj in page.data], bool(page.has_more))

    def _paginate(self, lister: Callable[[Any], Any], params: Any) -> Iterator[Any]:
        for page in self._raw_pages(lister, params):
            yield from page.data

    def _raw_pages(self, lister: Callable[[Any], Any], params: Any) -> Iterator[Any]:
        """Every page a Stripe list call returns (``starting_after`` the last object of the
        page before), each page one request through :meth:`_call`'s retries.

        The one paginator of this adapter; pages are read lazily, so a caller that stops
        early (a lookup that found its object) makes no further requests.
        """
        while True:
            page = self._call(functools.partial(lister, params))
            yield page
            if not page.has_more or not page.data:
                return
            params = {**params, "starting_after": page.data[-1].id}

    def _pages(self, lister: Callable[[Any], Any], params: Any) -> Iterator[dict[str, Any]]:
        yield from (plain(obj.to_dict()) for obj in self._paginate(lister, params))

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
    """Turn a stripe-python exception into a connector error.

    An idempotency conflict is never retried. Otherwise ``Stripe-Should-Retry`` decides
    when Stripe sent it; without it, 429, 5xx and connection errors are retried.
    """
    text = f"Stripe {exc.http_status or '-'} {exc.code or type(exc).__name__}: {exc.user_message}"
    code = exc.code or type(exc).__name__
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflictError(text, code=exc.code or "idempotency_error")
    should_retry = (exc.headers or {}).get(SHOULD_RETRY)
    if should_retry == "true" or (should_retry is None and _transient(exc)):
        if isinstance(exc, stripe.RateLimitError) or exc.http_status == 429:
            return RateLimitedError(text, retry_after=_retry_after(exc))
        return RetriableError(text, retry_after=_retry_after(exc))
    if exc.http_status == 409:
        return IdempotencyConflictError(text, code=code)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return AuthenticationError(text)
    if isinstance(exc, stripe.InvalidRequestError):
        return ValidationRejectedError(text, code=code)
    return SkippableError(text, code=code)


def _transient(exc: stripe.StripeError) -> bool:
    return (isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError)
            or (exc.http_status or 0) >= 500 or exc.http_status == 429)


def _retry_after(exc: stripe.StripeError) -> float | None:
    value = (exc.headers or {}).get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def plain(value: dict[str, Any]) -> dict[str, Any]:
    """A Stripe object as JSON holds it (stripe-python turns ``*_decimal`` into Decimal)."""
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result
