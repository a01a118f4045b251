"""A local, stateful Stripe Billing account over HTTP, in the pinned API version's shapes.

    emulator = StripeEmulator(clock=ManualClock(start)).start()
    client = emulator.client()                  # a stripe.StripeClient aimed at it
    price_id = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)
    ...
    emulator.advance(timedelta(days=31))        # renewals, trial ends, retries happen
    emulator.deliver_pending()                  # signed webhooks to registered endpoints

Layers: :mod:`.records` (typed objects) in a :mod:`.store`, changed by the operations in
:mod:`.customers`, :mod:`.catalog` and :mod:`.billing` through a :class:`.backend.Backend`
that emits events; :mod:`.render` turns records into Stripe's JSON; :mod:`.api` serves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import stripe

from crm_emulators.clock import Clock, WallClock
from crm_emulators.server import ServerThread
from crm_emulators.stripe_emulator import catalog
from crm_emulators.stripe_emulator.api import build_app
from crm_emulators.stripe_emulator.api.app import router
from crm_emulators.stripe_emulator.api.faults import Faults
from crm_emulators.stripe_emulator.api.gateway import Gateway
from crm_emulators.stripe_emulator.api.limits import TokenBucket
from crm_emulators.stripe_emulator.api.requestlog import LoggedRequest, RequestLog
from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing.scheduler import run_due
from crm_emulators.stripe_emulator.catalog import NewPrice, NewProduct
from crm_emulators.stripe_emulator.records import Json, Recurring
from crm_emulators.stripe_emulator.settings import API_VERSION, DunningPolicy
from crm_emulators.stripe_emulator.store import kind_named
from crm_emulators.stripe_emulator.webhooks import Webhooks

__all__ = ["API_VERSION", "DunningPolicy", "Faults", "StripeEmulator"]

DEMO_KEY = "sk_test_emulator"


class StripeEmulator:
    """A Stripe account on loopback, with knobs for tests.

    Args:
        clock: the account's time (the system clock by default). A ManualClock is moved
            by :meth:`advance`; any other clock keeps running and ``advance`` adds to it.
        rate_limit_per_second: answer 429 past this many requests per second (measured on
            the account's clock); None for no limit.
        port: port to listen on; 0 picks a free one.
        host: interface to bind.
        dunning: what happens after failed payments (Stripe's default retry schedule when
            None).
    """

    def __init__(self, clock: Clock | None = None, rate_limit_per_second: float | None = None,
                 port: int = 0, host: str = "127.0.0.1",
                 dunning: DunningPolicy | None = None) -> None:
        self._backend = Backend(clock or WallClock(), API_VERSION, dunning or DunningPolicy())
        self._log = RequestLog()
        self._webhooks = Webhooks(self._backend)
        self.faults = Faults()
        """Knobs that make requests fail or slow down."""
        limiter = (None if rate_limit_per_second is None
                   else TokenBucket(rate_limit_per_second, self._backend.timeline.seconds))
        gateway = Gateway(self._backend, router(), self.faults, self._log, limiter=limiter,
                          default_version=API_VERSION)
        self._app = build_app(gateway)
        self._server = ServerThread(self._app, host, port)
        self._stopped = False

    @property
    def url(self) -> str:
        """The API base, e.g. ``http://127.0.0.1:54321``."""
        return self._server.url

    def start(self) -> StripeEmulator:
        """Serve in a background thread; return self. After :meth:`stop`, serve again on the
        same host and port with the account as it was (while stopped, connections to the
        port are refused)."""
        if self._stopped:
            self._server = ServerThread(self._app, self._server.host, self._server.port)
            self._stopped = False
        self._server.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until SIGINT or SIGTERM."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the port (:meth:`start` serves on it again)."""
        self._server.stop()
        self._stopped = True

    def client(self, api_key: str = DEMO_KEY) -> stripe.StripeClient:
        """A StripeClient for this account (no automatic retries)."""
        return stripe.StripeClient(api_key, base_addresses={"api": self.url},
                                   max_network_retries=0)

    def seed_price(self, product_name: str, lookup_key: str | None, unit_amount: int, *,
                   currency: str = "usd", interval: str = "month",
                   interval_count: int = 1) -> str:
        """Create a product and a recurring price of it directly; return the price id.

        Raises:
            ApiError: the lookup key is taken, or the interval is not day/week/month/year.
        """
        with self._backend.lock:
            product = catalog.create_product(self._backend, NewProduct(name=product_name))
            return catalog.create_price(self._backend, NewPrice(
                product=product.id, currency=currency, unit_amount=unit_amount,
                recurring=Recurring(interval, interval_count), lookup_key=lookup_key)).id

    def add_webhook_endpoint(self, url: str, enabled_events: Sequence[str] = ("*",)) -> str:
        """Send events created from now on to ``url`` (those in ``enabled_events``, ``*``
        for all), signed; return the endpoint's secret (``whsec_...``)."""
        return self._webhooks.add_endpoint(url, enabled_events)

    def deliver_pending(self) -> int:
        """POST each undelivered event to each endpoint that wants it, oldest first;
        return how many deliveries succeeded (failed ones are retried next call)."""
        return self._webhooks.deliver_pending()

    def advance(self, delta: timedelta) -> None:
        """Move the account's time forward by ``delta`` and bill what came due, in order
        (renewal invoices, trial ends, finalizations, payment retries, cancellations)."""
        self._backend.timeline.advance(delta)
        with self._backend.lock:
            run_due(self._backend)

    def fail_payments_for(self, customer_id: str, failing: bool = True) -> None:
        """Make the customer's later payments fail with ``card_declined`` (or succeed again
        with ``failing=False``)."""
        with self._backend.lock:
            if failing:
                self._backend.failing_customers.add(customer_id)
            else:
                self._backend.failing_customers.discard(customer_id)

    def objects(self, object_type: str) -> list[Json]:
        """The JSON of every stored object of a type (``customer``, ``subscription``,
        ``invoice``, ``event``...), oldest first.

        Raises:
            KeyError: an object type the emulator does not keep.
        """
        kind = kind_named(object_type)
        with self._backend.lock:
            return [self._backend.render(record) for record in self._backend.store.all(kind)]

    @property
    def request_log(self) -> list[LoggedRequest]:
        """``(method, path, status)`` of every request answered, in order."""
        return self._log.entries()

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests answered, optionally only of ``method`` and under ``path_prefix``."""
        return self._log.count(method, path_prefix)

    def reset_counters(self) -> None:
        """Forget the requests answered so far."""
        self._log.clear()
