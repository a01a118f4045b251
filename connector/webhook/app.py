"""The receiver's HTTP surface: ``POST /webhooks/stripe`` and ``GET /healthz``.

A delivery is verified on its raw bytes, parsed, and committed to the Stripe inbox before it
is answered 2xx, so an acknowledged event survives a crash or a power loss (the commit is
synced to disk; commits are grouped, see :mod:`connector.webhook.inbox_writer`). Nothing is
applied here: the sync cycle applies pending inbox rows, which keeps the answer fast (Stripe
waits at most a few seconds and retries for days); the daemon is told a new event is waiting,
so it applies it promptly instead of at its next poll.

Answers: 200 stored (``duplicate: true`` for a redelivery, which changes nothing); 400 with
the reason for a bad signature or a body that is not an event (including a ``created`` that
is not a plausible timestamp), leaving no trace; 408/413 for a body too slow or too large
(:mod:`connector.webhook.limits`); 503 when the ledger cannot store it (Stripe retries).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connector import crashpoints
from connector.errors import ValidationRejectedError
from connector.ledger.stripe_inbox import StripeEventRecord
from connector.webhook.inbox_writer import InboxWriter, LedgerUnavailableError
from connector.webhook.limits import BoundedBody, HttpLimits
from connector.webhook.signature import SignatureVerifier

log = structlog.get_logger(__name__)

PATH = "/webhooks/stripe"
MAX_DEPTH = 64
"""Deepest nesting of a delivery's JSON (Stripe's events nest about ten levels)."""


@dataclass(frozen=True)
class Receiver:
    """What the endpoints need.

    Args:
        verifier: checks ``Stripe-Signature``.
        inbox: stores events in the ledger's inbox (running).
        on_stored: called (without arguments, from the server's thread) after a new event
            is committed; it must return at once, e.g. by scheduling work.
        ledger_problem: why the ledger cannot be reached, or None when it can
            (``/healthz``; without it the receiver only says it is up).
    """

    verifier: SignatureVerifier
    inbox: InboxWriter
    on_stored: Callable[[], None] | None = None
    ledger_problem: Callable[[], str | None] | None = None

    async def stripe(self, request: Request) -> JSONResponse:
        """``POST /webhooks/stripe``: verify, store (committed), then acknowledge."""
        body = await request.body()  # bounded in size and time by BoundedBody
        try:
            self.verifier.verify(body, request.headers.get("stripe-signature"))
            event = StripeEventRecord.parse(_json(body))
        except ValidationRejectedError as exc:
            log.warning("stripe webhook rejected", reason=str(exc), code=exc.code)
            return JSONResponse({"error": exc.code, "message": str(exc)}, status_code=400)
        try:
            added = await asyncio.wrap_future(self.inbox.submit(event))
        except LedgerUnavailableError:
            return JSONResponse({"error": "ledger_unavailable",
                                 "message": "the event could not be stored; retry later"},
                                status_code=503)
        log.debug("stripe webhook stored", event_id=event.id, type=event.type, new=added)
        crashpoints.reached("webhook.stored")
        if added and self.on_stored is not None:
            self.on_stored()
        return JSONResponse({"received": True, "duplicate": not added})

    async def health(self, request: Request) -> JSONResponse:
        """``GET /healthz``: the receiver is up and the ledger reachable (503 and the reason
        otherwise), as the ops listener's ``/healthz`` means it."""
        problem = await asyncio.to_thread(self.ledger_problem) if self.ledger_problem else None
        if problem is not None:
            return JSONResponse({"status": "unavailable", "reasons": [problem]},
                                status_code=503)
        return JSONResponse({"status": "ok", "reasons": []})


def build_app(receiver: Receiver, limits: HttpLimits | None = None) -> Starlette:
    """The ASGI application serving ``receiver``, its bodies bounded by ``limits``."""
    return Starlette(routes=[
        Route(PATH, receiver.stripe, methods=["POST"]),
        Route("/healthz", receiver.health, methods=["GET"]),
    ], middleware=[Middleware(BoundedBody, limits=limits or HttpLimits())])


def _json(body: bytes) -> object:
    """The body's JSON, as strict as the ledger's databases need: no NaN or Infinity, no
    lone surrogate escapes, at most ``MAX_DEPTH`` levels of nesting."""
    try:
        payload = json.loads(body, parse_constant=_no_constant)
        if b"\\u" in body:
            json.dumps(payload, ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        raise ValidationRejectedError("body is not JSON", code="bad_json") from None
    if _depth(payload) > MAX_DEPTH:
        raise ValidationRejectedError(f"body nests deeper than {MAX_DEPTH} levels",
                                      code="bad_json")
    return payload


def _depth(value: object) -> int:
    """Levels of nesting of a JSON value: a scalar 0, ``{}`` 1, ``{"a": []}`` 2."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node \
            if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
