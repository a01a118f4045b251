"""What one client of the webhook receiver may cost: bytes, seconds and connections.

The receiver faces the internet (Stripe must reach it), so every resource a request holds is
bounded, whatever the client does:

==========================  ===================  ==========================================
limit                       default              what happens past it
==========================  ===================  ==========================================
``max_body``                1 MiB                413 as soon as the declared length or the
                                                 bytes received (chunked or not) pass it;
                                                 the connection is closed, nothing more read
``body_timeout``            10 s                 408 when the body is not complete this
                                                 long after its headers; connection closed
``header_timeout``          10 s                 the connection is closed when a request's
                                                 headers are not complete this long after
                                                 the connection opened (the first request)
                                                 or after their first byte (the next ones)
``max_header_bytes``        16 KiB               400 (h11's incomplete event size)
``keep_alive``              5 s                  an idle kept-alive connection is closed
``max_connections``         512                  a connection beyond it is closed on
                                                 accept, before a byte is read; a request
                                                 arriving while more are still being
                                                 handled gets 503 (uvicorn's
                                                 ``limit_concurrency``; Stripe retries)
``backlog``                 1024                 the kernel refuses connections past it
==========================  ===================  ==========================================

The body is bounded by :class:`BoundedBody`, an ASGI middleware that reads it chunk by chunk
before the app sees it. The header timeout and the accept-time connection limit live in a
subclass of uvicorn's h11 protocol (:func:`bounded_protocol`): uvicorn itself does not time
out a request whose headers never complete. No HTTP is parsed here; h11 parses it all.
Everything else is uvicorn's own settings (:func:`uvicorn_options`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import h11
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class HttpLimits:
    """The receiver's limits (see the module's table); tests shorten the timeouts.

    Attributes:
        max_body: largest body accepted, in bytes (Stripe's events are far smaller).
        body_timeout: seconds a body may take to arrive, from the end of its headers.
        header_timeout: seconds a request's headers may take to arrive.
        max_header_bytes: largest request line plus headers, in bytes.
        keep_alive: seconds an idle connection is kept open (whole seconds, uvicorn's unit).
        max_connections: connections held open at once.
        backlog: connections the kernel queues before they are accepted.
    """

    max_body: int = 1024 * 1024
    body_timeout: float = 10.0
    header_timeout: float = 10.0
    max_header_bytes: int = 16 * 1024
    keep_alive: int = 5
    max_connections: int = 512
    backlog: int = 1024


def uvicorn_options(limits: HttpLimits) -> dict[str, Any]:
    """The ``uvicorn.Config`` settings that enforce ``limits``."""
    # uvicorn answers 503 once connections or running requests reach limit_concurrency; the
    # protocol keeps connections at max_connections, so only running requests can reach it.
    return {"http": bounded_protocol(limits), "limit_concurrency": limits.max_connections + 1,
            "backlog": limits.backlog, "timeout_keep_alive": limits.keep_alive,
            "h11_max_incomplete_event_size": limits.max_header_bytes}


class _Bounded(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's headers and a hard
    connection limit at accept."""

    header_timeout: float
    max_connections: int
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.close()
            return
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._header_deadline is None:
            self._await_headers()  # the next request on a kept-alive connection has begun
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._headers_arrived()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._headers_arrived()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _headers_arrived(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()


def bounded_protocol(limits: HttpLimits) -> type[H11Protocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` enforcing the header timeout and
    the connection limit of ``limits``."""
    class BoundedH11Protocol(_Bounded):
        header_timeout = limits.header_timeout
        max_connections = limits.max_connections
    return BoundedH11Protocol


class BoundedBody:
    """ASGI middleware: the app gets the request's whole body, at most ``max_body`` bytes,
    received within ``body_timeout``; otherwise the client gets 413 or 408 and the
    connection is closed.

    The body is read before the app is called, chunk by chunk as it arrives, so no more than
    ``max_body`` bytes (plus one chunk) are ever held for a request.

    Args:
        app: the application.
        limits: ``max_body`` and ``body_timeout`` apply.
    """

    def __init__(self, app: ASGIApp, limits: HttpLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read and check the body, then call the app with it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.limits.max_body:
            await _refuse(scope, receive, send, 413, code="too_large", message=self._too_large)
            return
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                body = await self._read(receive)
        except TimeoutError:
            await _refuse(scope, receive, send, 408, code="body_timeout",
                          message=f"the body did not arrive in {self.limits.body_timeout:g} s")
            return
        except _TooLargeError:
            await _refuse(scope, receive, send, 413, code="too_large", message=self._too_large)
            return
        if body is not None:
            await self.app(scope, _replay(body, receive), send)

    @property
    def _too_large(self) -> str:
        return f"the body is larger than {self.limits.max_body} bytes"

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None when the client went away."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body:
                raise _TooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _TooLargeError(Exception):
    """The body passed ``max_body``."""


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0  # h11 has checked its syntax
    return 0


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, *, code: str,
                  message: str) -> None:
    """Answer ``status`` and close the connection, leaving the rest of the body unread."""
    answer = JSONResponse({"error": code, "message": message}, status_code=status,
                          headers={"Connection": "close"})
    await answer(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` giving ``body`` in one message, then whatever the client does next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()
    return replayed
