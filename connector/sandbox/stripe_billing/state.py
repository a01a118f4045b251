"""The emulated Stripe account: objects, ids, events, idempotency, webhooks and knobs.

Objects are stored as the JSON the API returns (dicts), with nested objects referenced by
id and expanded when rendered, so a response and an event snapshot are the same thing.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from connector.clock import Clock

Json = dict[str, Any]
API_VERSION = "2026-10-28.endive"
"""The API version the emulator speaks (the one stripe-python 16.1 pins)."""
PREFIXES = {
    "customer": "cus", "product": "prod", "price": "price", "subscription": "sub",
    "subscription_item": "si", "invoice": "in", "line_item": "il", "invoiceitem": "ii",
    "event": "evt", "webhook_endpoint": "we", "payment_intent": "pi", "charge": "ch",
}


class StripeError(Exception):
    """An API error: HTTP status and Stripe's ``error`` object."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error: Json = {"type": kind, "message": message, **extra}
        if code:
            self.error["code"] = code
            self.error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.error["param"] = param


def no_such(kind: str, ident: str, param: str = "id") -> StripeError:
    """``No such customer: 'cus_x'`` (404 resource_missing)."""
    return StripeError(404, f"No such {kind}: '{ident}'", code="resource_missing", param=param)


@dataclass
class Endpoint:
    """A webhook endpoint and the events already delivered to it."""

    id: str
    url: str
    secret: str
    enabled_events: tuple[str, ...]
    delivered: set[str] = field(default_factory=set)

    def wants(self, event_type: str) -> bool:
        """Whether this endpoint subscribes to ``event_type``."""
        return "*" in self.enabled_events or event_type in self.enabled_events


@dataclass
class Faults:
    """Knobs that make the next requests fail or slow down."""

    _next: list[int] = field(default_factory=list)
    _fraction: float = 0.0
    _random: random.Random = field(default_factory=random.Random)
    _latency: float = 0.0

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status`` (500, 502, 503...)."""
        self._next.extend([status] * count)

    def fail_fraction(self, fraction: float, seed: int = 0) -> None:
        """Answer a random ``fraction`` of requests with 500, reproducibly."""
        self._fraction, self._random = fraction, random.Random(seed)

    def latency(self, seconds: float) -> None:
        """Delay every request by ``seconds``."""
        self._latency = seconds

    def pick(self) -> int | None:
        """The status this request must fail with, if any (after the latency)."""
        if self._latency:
            time.sleep(self._latency)
        if self._next:
            return self._next.pop(0)
        if self._fraction and self._random.random() < self._fraction:
            return 500
        return None


class Account:
    """Everything the API and the billing engine read and change; hold :attr:`lock`."""

    def __init__(self, clock: Clock, rate_limit_per_second: float | None) -> None:
        self.clock = clock
        self.objects: dict[str, dict[str, Json]] = {kind: {} for kind in PREFIXES}
        self.events: list[Json] = []
        self.idempotency: dict[tuple[str, str], tuple[str, int, bytes]] = {}
        self.endpoints: list[Endpoint] = []
        self.failing_customers: set[str] = set()
        self.faults = Faults()
        self.request_log: list[tuple[str, str, int]] = []
        self.rate_limit = rate_limit_per_second
        self._window: list[float] = []
        self._counter = itertools.count(1)
        self._random = random.Random(7)
        self.lock = threading.RLock()

    def now(self) -> int:
        """The account's time in Unix seconds."""
        return int(self.clock.now().timestamp())

    def new_id(self, kind: str) -> str:
        """A fresh id in Stripe's format, e.g. ``sub_1QaZ…``."""
        tail = "".join(self._random.choices(string.ascii_letters + string.digits, k=14))
        return f"{PREFIXES[kind]}_1{next(self._counter):09d}{tail}"

    def get(self, kind: str, ident: str, param: str = "id") -> Json:
        """The stored object, or 404 resource_missing."""
        found = self.objects[kind].get(ident)
        if found is None:
            raise no_such(kind.replace("_", " "), ident, param)
        return found

    def emit(self, event_type: str, snapshot: Json, previous: Json | None = None) -> None:
        """Record an event with a snapshot of the object (and what changed)."""
        data: Json = {"object": json.loads(json.dumps(snapshot))}
        if previous:
            data["previous_attributes"] = previous
        event = {"id": self.new_id("event"), "object": "event", "api_version": API_VERSION,
                 "created": self.now(), "data": data, "livemode": False,
                 "pending_webhooks": sum(1 for e in self.endpoints if e.wants(event_type)),
                 "request": {"id": None, "idempotency_key": None}, "type": event_type}
        self.events.append(event)

    def throttled(self) -> bool:
        """Whether this request exceeds the configured requests per second."""
        if self.rate_limit is None:
            return False
        moment = time.monotonic()
        self._window = [t for t in self._window if moment - t < 1.0]
        if len(self._window) >= self.rate_limit:
            return True
        self._window.append(moment)
        return False

    def deliver(self, post: Callable[..., requests.Response] = requests.post) -> int:
        """POST every undelivered event to each endpoint that wants it, signed; oldest first."""
        delivered = 0
        for event in list(self.events):
            for endpoint in self.endpoints:
                if event["id"] in endpoint.delivered or not endpoint.wants(event["type"]):
                    continue
                payload = json.dumps(event)
                stamp = self.now()
                signature = hmac.new(endpoint.secret.encode(), f"{stamp}.{payload}".encode(),
                                     hashlib.sha256).hexdigest()
                try:
                    answer = post(endpoint.url, data=payload, timeout=10, headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Stripe-Signature": f"t={stamp},v1={signature}"})
                except requests.RequestException:
                    continue
                if 200 <= answer.status_code < 300:
                    endpoint.delivered.add(event["id"])
                    delivered += 1
        return delivered
