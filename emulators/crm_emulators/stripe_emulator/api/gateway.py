"""The pipeline every ``/v1`` request goes through, in the order Stripe's edge applies it.

latency → injected fault → API key → rate limit → route → idempotent replay → handler (with
due billing run first, under the account lock) → ``expand`` → JSON. Every answer carries
``Request-Id`` and ``Stripe-Version``; every request is logged with its status.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from crm_emulators.stripe_emulator.api.expand import expand
from crm_emulators.stripe_emulator.api.faults import Faults
from crm_emulators.stripe_emulator.api.idempotency import IdempotencyKeys, fingerprint
from crm_emulators.stripe_emulator.api.limits import TokenBucket
from crm_emulators.stripe_emulator.api.requestlog import RequestLog
from crm_emulators.stripe_emulator.api.routing import Call, Handler, Router
from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing.scheduler import run_due
from crm_emulators.stripe_emulator.errors import ApiError
from crm_emulators.stripe_emulator.events import AUTOMATIC, RequestRef
from crm_emulators.stripe_emulator.forms import decode
from crm_emulators.stripe_emulator.params import Params, or_default

TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
NO_KEY = ("You did not provide an API key. You need to provide your API key in the "
          "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
          "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
          "or we can help at https://support.stripe.com/.")


@dataclass(frozen=True)
class Answer:
    """A response before it becomes HTTP.

    Attributes:
        status: the HTTP status.
        body: the JSON body, exactly as sent.
        keep: whether an idempotent retry should get this answer back.
        replay_of: on a replay, the ``Request-Id`` of the first answer.
    """

    status: int
    body: bytes
    keep: bool = False
    replay_of: str | None = None


@dataclass(frozen=True)
class _Incoming:
    method: str
    path: str
    raw: str
    request_id: str


class Gateway:
    """Answers API requests for one emulated account.

    Args:
        backend: the account.
        router: the endpoints.
        faults: injected failures and latency.
        log: where every answered request is noted.
        limiter: the rate limit, or None for none.
        default_version: the ``Stripe-Version`` answered when a request names none.
    """

    def __init__(self, backend: Backend, router: Router, faults: Faults, log: RequestLog, *,
                 limiter: TokenBucket | None, default_version: str) -> None:
        self._backend = backend
        self._router = router
        self._faults = faults
        self._log = log
        self._limiter = limiter
        self._version = default_version
        self._keys = IdempotencyKeys(backend.timeline.seconds)

    async def respond(self, request: Request) -> Response:
        """The HTTP response to ``request`` (a Starlette endpoint)."""
        raw = (await request.body()).decode() if request.method == "POST" else request.url.query
        incoming = _Incoming(request.method, request.url.path, raw,
                             self._backend.ids.new("req"))
        if self._faults.delay:
            await asyncio.sleep(self._faults.delay)
        answer = self._answer(incoming, request.headers)
        self._log.record(incoming.method, incoming.path, answer.status)
        return Response(answer.body, answer.status, media_type="application/json",
                        headers=self._headers(incoming, request.headers, answer))

    def _answer(self, incoming: _Incoming, headers: Headers) -> Answer:
        try:
            self._faults.check()
            api_key = authenticate(headers.get("authorization", ""))
            if self._limiter is not None:
                self._limiter.take()
            handler, ids = self._router.find(incoming.method, incoming.path)
            key = headers.get("idempotency-key") if incoming.method == "POST" else None
            if key is None:
                return self._run(handler, ids, incoming, None)
            return self._idempotent(handler, ids, incoming, (api_key, key))
        except ApiError as error:
            return _error(error, incoming.request_id)

    def _idempotent(self, handler: Handler, ids: dict[str, str], incoming: _Incoming,
                    slot: tuple[str, str]) -> Answer:
        digest = fingerprint(incoming.method, incoming.path, incoming.raw)
        with self._backend.lock:  # a retry waits for the first attempt to finish
            saved = self._keys.replay(*slot, digest)
            if saved is not None:
                return Answer(saved.status, saved.body, replay_of=saved.request_id)
            answer = self._run(handler, ids, incoming, slot[1])
            if answer.keep:
                self._keys.save(*slot, answer.status, answer.body, fingerprint=digest,
                                request_id=incoming.request_id)
            return answer

    def _run(self, handler: Handler, ids: dict[str, str], incoming: _Incoming,
             key: str | None) -> Answer:
        params = Params(decode(incoming.raw))
        paths = or_default(params.texts("expand"), [])
        with self._backend.lock:
            run_due(self._backend)
            self._backend.events.request = RequestRef(incoming.request_id, key)
            try:
                body = handler(Call(self._backend, params, ids, incoming.path))
                return Answer(200, _json(expand(body, paths, self._backend)), keep=True)
            except ApiError as error:
                return _error(error, incoming.request_id)
            finally:
                self._backend.events.request = AUTOMATIC

    def _headers(self, incoming: _Incoming, headers: Headers, answer: Answer) -> dict[str, str]:
        out = {"Request-Id": incoming.request_id,
               "Stripe-Version": headers.get("stripe-version", self._version),
               # On a reused loopback connection the headers and body go out as two writes
               # and the body waits ~40 ms for a delayed ACK; a fresh connection costs ~1 ms.
               "Connection": "close"}
        if "idempotency-key" in headers and incoming.method == "POST":
            out["Idempotency-Key"] = headers["idempotency-key"]
        if answer.replay_of is not None:
            out["Idempotent-Replayed"] = "true"
            out["Original-Request"] = answer.replay_of
        if answer.status == 429 or answer.status >= 500:
            out["Stripe-Should-Retry"] = "true"
        return out


def authenticate(authorization: str) -> str:
    """The test-mode API key in an ``Authorization`` header (Bearer, or Basic as curl's
    ``-u sk_test_...:`` sends it).

    Raises:
        ApiError: 401 when the key is missing or not a test-mode secret or restricted key.
    """
    scheme, _, credential = authorization.partition(" ")
    key = credential.strip() if scheme.lower() == "bearer" else ""
    if scheme.lower() == "basic":
        try:
            key = base64.b64decode(credential).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    if not key:
        raise ApiError(401, "invalid_request_error", NO_KEY)
    if not key.startswith(TEST_KEY_PREFIXES):
        raise ApiError(401, "invalid_request_error",
                       f"Invalid API Key provided: {_mask(key)}", code="api_key_invalid")
    return key


def _mask(key: str) -> str:
    return key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "*" * len(key)


def _error(error: ApiError, request_id: str) -> Answer:
    return Answer(error.status, _json(error.body(request_id)), keep=error.replayable)


def _json(body: object) -> bytes:
    return json.dumps(body, indent=2).encode()
