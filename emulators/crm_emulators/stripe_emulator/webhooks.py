"""Signed webhook deliveries: each event POSTed to every endpoint that subscribed to it.

An endpoint receives the events created after it was added, oldest first, each once it
answers 2xx; failures are retried on the next :meth:`Webhooks.deliver_pending`. Requests are
made without holding the account lock, so a receiver may call the API while handling one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import requests

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.records import Event, WebhookEndpoint

TIMEOUT = 10.0
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"

Post = Callable[..., requests.Response]


@dataclass(frozen=True)
class _Delivery:
    event: Event
    endpoint: WebhookEndpoint
    payload: str


def signature_header(secret: str, payload: str, timestamp: int) -> str:
    """``Stripe-Signature`` for ``payload``: ``t=<ts>,v1=<HMAC-SHA256 of "ts.payload">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class Webhooks:
    """The account's webhook endpoints and what has been delivered to them.

    Args:
        backend: the account whose events are sent.
        post: the HTTP POST function (``requests.post``).
        wall_clock: Unix seconds for signatures; real time, since receivers check the
            signature's age against their own clock.
    """

    def __init__(self, backend: Backend, post: Post = requests.post,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._backend = backend
        self._post = post
        self._wall_clock = wall_clock
        self._delivered: set[tuple[str, str]] = set()

    def add_endpoint(self, url: str, enabled_events: Sequence[str] = ("*",)) -> str:
        """Subscribe ``url`` to ``enabled_events`` (``*`` for all); return its signing
        secret (``whsec_...``)."""
        backend = self._backend
        with backend.lock:
            endpoint = backend.store.add(WebhookEndpoint(
                id=backend.ids.new("we"), created=backend.now(), url=url,
                secret="whsec_" + backend.ids.token(32), enabled_events=list(enabled_events),
                api_version=backend.api_version))
        return endpoint.secret

    def deliver_pending(self) -> int:
        """POST every undelivered event to each endpoint that wants it, oldest first;
        return how many deliveries succeeded."""
        delivered = 0
        for delivery in self._pending():
            if self._send(delivery):
                self._mark_delivered(delivery)
                delivered += 1
        return delivered

    def _pending(self) -> list[_Delivery]:
        store = self._backend.store
        with self._backend.lock:
            endpoints = store.all(WebhookEndpoint, lambda e: e.status == "enabled")
            return [_Delivery(event, endpoint, json.dumps(self._backend.render(event),
                                                          indent=2))
                    for event in store.all(Event) for endpoint in endpoints
                    if endpoint.seq < event.seq and endpoint.wants(event.type)
                    and (event.id, endpoint.id) not in self._delivered]

    def _send(self, delivery: _Delivery) -> bool:
        header = signature_header(delivery.endpoint.secret, delivery.payload,
                                  int(self._wall_clock()))
        try:
            answer = self._post(delivery.endpoint.url, data=delivery.payload.encode(),
                                timeout=TIMEOUT, headers={
                                    "Content-Type": "application/json; charset=utf-8",
                                    "Stripe-Signature": header, "User-Agent": USER_AGENT})
        except requests.RequestException:
            return False
        return 200 <= answer.status_code < 300

    def _mark_delivered(self, delivery: _Delivery) -> None:
        with self._backend.lock:
            self._delivered.add((delivery.event.id, delivery.endpoint.id))
            delivery.event.pending_webhooks = max(0, delivery.event.pending_webhooks - 1)
