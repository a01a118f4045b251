"""A receiver of outbound webhooks, as a customer would run one: a Starlette app served by
uvicorn on loopback, verifying every request with the ``standardwebhooks`` library.

``POST /hooks/{name}`` answers ``answers[name]`` (default 204) after ``delays[name]``
seconds; a request that does not verify gets 400 and is kept in ``rejected``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret


@dataclass(frozen=True)
class Received:
    """One verified delivery."""

    name: str
    headers: dict[str, str]
    payload: dict[str, Any]


class Receiver:
    """Started and stopped by the test (``with Receiver() as receiver``)."""

    def __init__(self, secret: str = SECRET) -> None:
        self.webhook = Webhook(secret)
        self.received: list[Received] = []
        self.rejected: list[str] = []
        self.answers: dict[str, int] = {}
        self.delays: dict[str, float] = {}
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        app = Starlette(routes=[Route("/hooks/{name}", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(
            app, log_config=None, timeout_graceful_shutdown=1))  # leave logging alone
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._socket]}, daemon=True)

    def url(self, name: str) -> str:
        """The URL of the hook ``name``."""
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def of(self, name: str) -> list[Received]:
        """What the hook ``name`` received, in order."""
        return [r for r in self.received if r.name == name]

    async def _hook(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await request.body()
        try:
            payload = self.webhook.verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            self.rejected.append(f"{name}: {exc}")
            return Response(status_code=400)
        await asyncio.sleep(self.delays.get(name, 0))
        self.received.append(Received(name, dict(request.headers), payload))
        return Response(status_code=self.answers.get(name, 204))

    def __enter__(self) -> Receiver:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
