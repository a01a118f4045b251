"""Signed webhook deliveries to a real HTTP receiver, checked with stripe-python."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_emulators.server import ServerThread
from crm_emulators.stripe_emulator import StripeEmulator


@dataclass
class Receiver:
    """Collects POSTed bodies and signatures; answers 500 while ``failing``."""

    url: str = ""
    received: list[tuple[str, str]] = field(default_factory=list)
    failing: int = 0

    async def hook(self, request: Request) -> Response:
        if self.failing:
            self.failing -= 1
            return Response(status_code=500)
        self.received.append(((await request.body()).decode(),
                              request.headers["stripe-signature"]))
        return Response(status_code=200)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    sink = Receiver()
    with ServerThread(Starlette(routes=[Route("/hook", sink.hook, methods=["POST"])])) as srv:
        sink.url = f"{srv.url}/hook"
        yield sink


def test_webhooks_are_signed_so_construct_event_accepts_them(
        emulator: StripeEmulator, client: stripe.StripeClient, receiver: Receiver) -> None:
    secret = emulator.add_webhook_endpoint(receiver.url, ["customer.created"])
    customer = client.v1.customers.create({"name": "Acme"})
    client.v1.customers.update(customer.id, {"name": "Acme Inc"})

    delivered, again = emulator.deliver_pending(), emulator.deliver_pending()

    assert secret.startswith("whsec_")
    assert (delivered, again) == (1, 0)
    payload, header = receiver.received[0]
    event = stripe.Webhook.construct_event(payload, header, secret)
    assert (event.type, event.data.object["id"]) == ("customer.created", customer.id)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_wrong")


def test_failed_deliveries_are_retried_next_time_oldest_first(
        emulator: StripeEmulator, client: stripe.StripeClient, receiver: Receiver) -> None:
    client.v1.customers.create({"name": "Before the endpoint"})
    secret = emulator.add_webhook_endpoint(receiver.url)
    first = client.v1.customers.create({"name": "First"})
    second = client.v1.customers.create({"name": "Second"})
    receiver.failing = 2

    failed = emulator.deliver_pending()
    retried = emulator.deliver_pending()

    assert (failed, retried) == (0, 2)
    events = [stripe.Webhook.construct_event(p, h, secret) for p, h in receiver.received]
    assert [e.data.object["id"] for e in events] == [first.id, second.id]
    assert client.v1.events.retrieve(events[0].id).pending_webhooks == 0
