"""A local, stateful Stripe Billing account over HTTP, in the current API shapes.

    emulator = StripeEmulator().start()
    client = emulator.client()          # a stripe.StripeClient pointed at the emulator
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)

Time comes from a :class:`~connector.clock.Clock`; with a ManualClock, :meth:`advance` moves
it and bills what came due (renewals, trial ends, cancellations at period end, payment
retries).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import stripe

from connector.clock import Clock, ManualClock, SystemClock
from connector.sandbox.server import ServerThread
from connector.sandbox.stripe_billing import billing
from connector.sandbox.stripe_billing.api import build_app
from connector.sandbox.stripe_billing.state import API_VERSION, Account, Endpoint, Faults

__all__ = ["API_VERSION", "StripeEmulator", "serve_forever"]


class StripeEmulator:
    """A Stripe account on loopback.

    Args:
        clock: the account's time (the system clock by default).
        rate_limit_per_second: answer 429 past this many requests per second; None: no limit.
        port: port to listen on; 0 picks a free one.
        host: interface to bind.
    """

    def __init__(self, clock: Clock | None = None, rate_limit_per_second: float | None = None,
                 port: int = 0, host: str = "127.0.0.1") -> None:
        self.clock = clock or SystemClock()
        self._account = Account(self.clock, rate_limit_per_second)
        self._server = ServerThread(build_app(self._account), host, port)
        self.host, self.port = host, self._server.port

    @property
    def url(self) -> str:
        """The API base, e.g. ``http://127.0.0.1:54321``."""
        return self._server.url

    @property
    def faults(self) -> Faults:
        """Knobs that make requests fail or slow down."""
        return self._account.faults

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        """``(method, path, status)`` of every request, in order."""
        return self._account.request_log

    def start(self) -> StripeEmulator:
        """Serve in a background thread; return self."""
        self._server.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def client(self, api_key: str = "sk_test_emulator") -> stripe.StripeClient:
        """A StripeClient for this account, pinned to the emulator's API version."""
        return stripe.StripeClient(api_key, base_addresses={"api": self.url},
                                   stripe_version=API_VERSION, max_network_retries=0)

    def seed_price(self, product_name: str, lookup_key: str | None, unit_amount: int, *,
                   currency: str = "usd", interval: str = "month",
                   interval_count: int = 1) -> dict[str, Any]:
        """Create a product and its recurring price directly; return the price."""
        with self._account.lock:
            product = billing.create_product(self._account, {"name": product_name})
            return copy.deepcopy(billing.create_price(self._account, {
                "product": product["id"], "lookup_key": lookup_key, "currency": currency,
                "unit_amount": unit_amount,
                "recurring": {"interval": interval, "interval_count": interval_count}}))

    def add_webhook_endpoint(self, url: str, enabled_events: Sequence[str] = ("*",)) -> str:
        """Register an endpoint for signed event deliveries; return its signing secret."""
        secret = "whsec_" + secrets.token_hex(16)
        with self._account.lock:
            self._account.endpoints.append(Endpoint(
                self._account.new_id("webhook_endpoint"), url, secret, tuple(enabled_events)))
        return secret

    def deliver_pending(self) -> int:
        """POST undelivered events to the endpoints; return how many were delivered."""
        with self._account.lock:
            return self._account.deliver()

    def advance(self, delta: timedelta) -> None:
        """Move a ManualClock forward and bill everything that came due, in order."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs the emulator to run on a ManualClock")
        step = timedelta(hours=1)
        remaining = delta
        while remaining > timedelta(0):
            moved = min(step, remaining)
            self.clock.advance(moved)
            remaining -= moved
            with self._account.lock:
                billing.advance(self._account)

    def run_due(self) -> None:
        """Bill what came due on the current time (after moving a shared clock yourself)."""
        with self._account.lock:
            billing.advance(self._account)

    def fail_payments_for(self, customer_id: str, failing: bool = True) -> None:
        """Make the customer's later payments fail (``card_declined``), or succeed again."""
        with self._account.lock:
            if failing:
                self._account.failing_customers.add(customer_id)
            else:
                self._account.failing_customers.discard(customer_id)

    def objects(self, object_type: str) -> list[dict[str, Any]]:
        """Copies of every stored object of a type (``customer``, ``subscription``...)."""
        with self._account.lock:
            if object_type == "event":
                return copy.deepcopy(self._account.events)
            return copy.deepcopy(list(self._account.objects[object_type].values()))

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests received, optionally of one method and under one path."""
        return sum(1 for m, p, _ in self._account.request_log
                   if (method is None or m == method)
                   and (path_prefix is None or p.startswith(path_prefix)))

    def reset_counters(self) -> None:
        """Forget the request log."""
        self._account.request_log.clear()


def serve_forever(port: int, seed: bool = False) -> None:
    """``python -m connector.sandbox stripe``: serve until SIGINT/SIGTERM."""
    from connector.sandbox.seed import seed_stripe  # noqa: PLC0415 - seed imports us

    emulator = StripeEmulator(port=port)
    if seed:
        seed_stripe(emulator)
    print(f"Stripe emulator on {emulator.url}; any sk_test_ key works\n"
          f"try: curl -u sk_test_emulator: {emulator.url}/v1/prices", flush=True)
    emulator.serve_forever()  # uvicorn stops on SIGINT and SIGTERM
