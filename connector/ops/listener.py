"""The operations listener ``run`` serves on ``[ops] listen``: metrics, health, dashboard.

``GET /metrics`` (Prometheus text from the registry passed in), ``GET /healthz`` (the
ledger answers; 503 with the reason otherwise), ``GET /readyz`` (503 with a JSON body
saying why when the last successful cycle is stale or a connection is in error),
``GET /dashboard`` (the reports as one read-only HTML page, see
:mod:`connector.ops.dashboard`; 503 in plain text when the ledger cannot be read). Served
by uvicorn in a background thread, like the webhook receiver; loopback by default.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connector.clock import Clock
from connector.config import Config
from connector.errors import ConfigError
from connector.ops.dashboard import Dashboard
from connector.ops.health import Verdict, health, readiness
from connector.ops.hooks import OpsHooks
from connector.ops.metrics import ClientCollector, LedgerCollector, StateCollector, SyncMetrics
from connector.ops.states import first_line
from connector.webhook.runner import BackgroundServer

log = structlog.get_logger(__name__)
PAGE_HEADERS = {
    # The page is self-contained: inline styles and SVG, no script, nothing fetched.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "img-src data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class OpsEndpoints:
    """What the endpoints read.

    Args:
        registry: the metrics.
        hooks: the engine's hooks (connection states, last successful cycle).
        poll_interval: ``salesforce.poll_interval``.
        clock: the daemon's clock.
        started: when the daemon started.
        pages: renders ``/dashboard`` (None: built from the hooks' ledger and clock).
    """

    registry: CollectorRegistry
    hooks: OpsHooks
    poll_interval: int
    clock: Clock
    started: datetime
    pages: Dashboard | None = None

    async def metrics(self, request: Request) -> Response:
        """``GET /metrics``."""
        body = await asyncio.to_thread(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def healthz(self, request: Request) -> JSONResponse:
        """``GET /healthz``."""
        return _answer(await asyncio.to_thread(health, self.hooks.sessions))

    async def readyz(self, request: Request) -> JSONResponse:
        """``GET /readyz``."""
        hooks = self.hooks
        verdict = await asyncio.to_thread(
            lambda: readiness(hooks.sessions, hooks.states.current(),
                              last_success=hooks.last_success, started=self.started,
                              now=self.clock.now(), poll_interval=self.poll_interval))
        return _answer(verdict)

    async def dashboard(self, request: Request) -> Response:
        """``GET /dashboard``."""
        pages = self.pages or Dashboard(self.hooks.sessions, self.clock)
        try:
            page = await asyncio.to_thread(pages.page)
        except SQLAlchemyError as exc:
            return PlainTextResponse(f"ledger unreachable: {first_line(exc)}", status_code=503)
        return HTMLResponse(page, headers=PAGE_HEADERS)


def _answer(verdict: Verdict) -> JSONResponse:
    return JSONResponse(verdict.body(), status_code=200 if verdict.ok else 503)


def build_app(endpoints: OpsEndpoints) -> Starlette:
    """The ASGI application of the listener."""
    return Starlette(routes=[
        Route("/metrics", endpoints.metrics, methods=["GET"]),
        Route("/healthz", endpoints.healthz, methods=["GET"]),
        Route("/readyz", endpoints.readyz, methods=["GET"]),
        Route("/dashboard", endpoints.dashboard, methods=["GET"]),
    ])


class Operations:
    """The daemon's operations surface: metrics wired into the engine, and the listener.

    Args:
        config: the daemon's config (``[ops] listen``, the poll interval).
        hooks: the engine's hooks; their metrics are set here.
        collectors: the scrape-time collectors beyond the ledger's and the states'
            (the API clients' counts).
    """

    def __init__(self, config: Config, hooks: OpsHooks,
                 collectors: list[ClientCollector] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.metrics = SyncMetrics(self.registry)
        hooks.metrics = self.metrics
        for collector in [LedgerCollector(hooks.sessions, hooks.clock),
                          StateCollector(hooks.states), *(collectors or [])]:
            self.registry.register(collector)
        self._config = config
        self._endpoints = OpsEndpoints(self.registry, hooks, config.salesforce.poll_interval,
                                       hooks.clock, hooks.clock.now(),
                                       Dashboard(hooks.sessions, hooks.clock))
        self._thread: BackgroundServer | None = None

    @property
    def webhook_timer(self) -> Callable[..., object]:
        """Wraps the webhook receiver's app so its answers are counted and timed."""
        return self.metrics.webhook_timer

    @property
    def url(self) -> str | None:
        """The listener's base URL while it serves."""
        return self._thread.url if self._thread else None

    def start(self) -> Operations:
        """Serve the listener unless ``[ops] listen = "off"``.

        Raises:
            ConfigError: ``ops.listen`` cannot be bound.
        """
        settings = self._config.ops
        if not settings.enabled:
            return self
        try:
            self._thread = BackgroundServer(build_app(self._endpoints), settings.host,
                                        settings.port)
        except OSError as exc:
            raise ConfigError([f"{self._config.source or 'config'}: ops.listen: cannot listen "
                               f"on {settings.listen}: {exc.strerror or exc}"]) from None
        self._thread.start()
        log.info("operations listener serving", url=self._thread.url)
        return self

    def stop(self) -> None:
        """Stop serving (a no-op when it did not start)."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
