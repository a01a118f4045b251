"""The receiver's HTTP surface: ``POST /webhooks/stripe`` and ``GET /healthz``.

A delivery is verified on its raw bytes, parsed, and committed to the Stripe inbox before it
is answered 2xx, so an acknowledged event survives a crash. Nothing is applied here: the sync
cycle applies pending inbox rows, which keeps the answer fast (Stripe waits at most a few
seconds and retries for days); the daemon is told a new event is waiting, so it applies it
promptly instead of at its next poll. A bad signature or a body that is not an event gets 400 and
leaves no trace; a redelivery gets 200 and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connector import crashpoints
from connector.clock import Clock
from connector.errors import ValidationRejectedError
from connector.sync import stripe_inbox
from connector.sync.stripe_inbox import StripeEventRecord
from connector.webhook.signature import SignatureVerifier

log = structlog.get_logger(__name__)

PATH = "/webhooks/stripe"
MAX_BODY = 1024 * 1024
"""Largest delivery accepted, in bytes (Stripe's events are far smaller)."""


@dataclass(frozen=True)
class Receiver:
    """What the endpoints need.

    Args:
        verifier: checks ``Stripe-Signature``.
        sessions: the ledger, where the inbox lives.
        clock: stamps ``received_at``.
        on_stored: called (without arguments, from the server's thread) after a new event
            is committed; it must return at once, e.g. by scheduling work.
    """

    verifier: SignatureVerifier
    sessions: sessionmaker[Session]
    clock: Clock
    on_stored: Callable[[], None] | None = None

    async def stripe(self, request: Request) -> JSONResponse:
        """``POST /webhooks/stripe``: verify, store (committed), then acknowledge."""
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return JSONResponse({"error": "too_large"}, status_code=413)
        body = await request.body()
        try:
            self.verifier.verify(body, request.headers.get("stripe-signature"))
            event = StripeEventRecord.parse(_json(body))
        except ValidationRejectedError as exc:
            log.warning("stripe webhook rejected", reason=str(exc), code=exc.code)
            return JSONResponse({"error": exc.code, "message": str(exc)}, status_code=400)
        added = await run_in_threadpool(stripe_inbox.store_committed, self.sessions, event,
                                        self.clock.now())
        log.debug("stripe webhook stored", event_id=event.id, type=event.type, new=added)
        crashpoints.reached("webhook.stored")
        if added and self.on_stored is not None:
            self.on_stored()
        return JSONResponse({"received": True, "duplicate": not added})

    async def health(self, request: Request) -> JSONResponse:
        """``GET /healthz``: the receiver is up."""
        return JSONResponse({"status": "ok"})


def build_app(receiver: Receiver) -> Starlette:
    """The ASGI application serving ``receiver``."""
    return Starlette(routes=[
        Route(PATH, receiver.stripe, methods=["POST"]),
        Route("/healthz", receiver.health, methods=["GET"]),
    ])


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        raise ValidationRejectedError("body is not JSON", code="bad_json") from None
