"""The demo's outbound webhook receiver: a Starlette app on loopback, served by uvicorn,
verifying each delivery with the ``standardwebhooks`` library as a customer's would, so the
demo can print what a receiver gets.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from connector.commands.demo import Narrator

START_TIMEOUT = 10.0


class DemoReceiver:
    """``with DemoReceiver() as receiver``: listening on a free loopback port until the end.

    Attributes:
        received: ``(headers, payload)`` of every delivery that verified.
        rejected: why each delivery that did not verify was refused.
    """

    def __init__(self) -> None:
        self.secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        self._webhook = Webhook(self.secret)
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.rejected: list[str] = []
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/hooks/crm"
        app = Starlette(routes=[Route("/hooks/crm", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(
            app, log_config=None, timeout_graceful_shutdown=1))  # leave logging alone
        self._thread = threading.Thread(target=self._server.run, name="demo-receiver",
                                        kwargs={"sockets": [self._socket]}, daemon=True)

    def environment(self) -> dict[str, str]:
        """The secret the daemon signs with (the receiver verifies with the same one)."""
        return {"OUTBOUND_WEBHOOK_SECRET": self.secret}

    def subscribe(self, config_path: Path) -> None:
        """Add this receiver to the demo's config as an endpoint for every event type."""
        with config_path.open("a", encoding="utf-8") as config:
            config.write(f'\n[[webhooks.endpoints]]\nurl = "{self.url}"\nevents = ["*"]\n'
                         'description = "the demo receiver"\n')

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        try:
            payload = self._webhook.verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            self.rejected.append(str(exc))
            return Response(status_code=400)
        self.received.append((dict(request.headers), payload))
        return Response(status_code=204)

    def __enter__(self) -> DemoReceiver:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the demo's webhook receiver did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT)
        self._socket.close()


def show_deliveries(say: Narrator, receiver: DemoReceiver, event_type: str) -> bool:
    """Print the first verified delivery of ``event_type``; return whether there was one."""
    say.step(f"A signed outbound webhook reached the receiver at {receiver.url}")
    counts: dict[str, int] = {}
    for _, payload in receiver.received:
        counts[payload["type"]] = counts.get(payload["type"], 0) + 1
    say.say("verified deliveries so far: " + ", ".join(f"{t} x{n}" for t, n in counts.items()))
    found = [(h, p) for h, p in receiver.received if p["type"] == event_type]
    if not found:
        say.say(f"no {event_type} delivery arrived")
        return False
    headers, payload = found[0]
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        say.say(f"{name}: {headers[name]}")
    data = payload["data"]
    say.say(f"type: {payload['type']}  timestamp: {payload['timestamp']}")
    say.say(f"data: subscription {data['subscription_id']} ({data['status']}), Stripe "
            f"{data['stripe_subscription_id']}, quantity {data['quantity']}")
    say.say("verified with standardwebhooks: Webhook(secret).verify(body, headers)")
    return not receiver.rejected
