"""The webhook receiver as the daemon runs it: uvicorn in a background thread.

Started by ``run`` when ``stripe.webhook_listen`` is set and a signing secret is known;
stopped when the daemon stops (SIGTERM), after the requests in flight are answered. Bodies,
headers, connections and keep-alive are bounded (:mod:`connector.webhook.limits`); events
are committed by one writer thread in groups (:mod:`connector.webhook.inbox_writer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.config import StripeConfig
from connector.errors import ConfigError
from connector.ops.health import ledger_problem
from connector.secrets import Secrets
from connector.webhook.app import PATH, Receiver, build_app
from connector.webhook.inbox_writer import InboxWriter
from connector.webhook.limits import HttpLimits, uvicorn_options
from connector.webhook.runner import BackgroundServer
from connector.webhook.signature import SignatureVerifier

log = structlog.get_logger(__name__)

SIGNING_KEYS = ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET_PREVIOUS")
"""The secrets' names: the endpoint's current signing secret, then the one being rotated out."""


class WebhookServer:
    """The receiver bound to a host and port (port 0 picks a free one).

    Args:
        verifier: checks signatures.
        sessions: the ledger.
        clock: the daemon's clock.
        host: interface to bind.
        port: port to bind.
        on_stored: called after each new event is committed (see :class:`Receiver`).
        limits: what one client may cost (defaults: :class:`HttpLimits`).
        durable: sync each inbox commit to disk before the 2xx; False only to measure.
        wrap: wraps the ASGI app (the ops metrics time each answer).
    """

    def __init__(self, verifier: SignatureVerifier, sessions: sessionmaker[Session],
                 clock: Clock, host: str, port: int, *,
                 on_stored: Callable[[], None] | None = None,
                 limits: HttpLimits | None = None, durable: bool = True,
                 wrap: Callable[[Any], Any] | None = None) -> None:
        limits = limits or HttpLimits()
        self._inbox = InboxWriter(sessions, clock, durable=durable)
        receiver = Receiver(verifier, self._inbox, on_stored,
                            ledger_problem=lambda: ledger_problem(sessions))
        app = build_app(receiver, limits)
        self._thread = BackgroundServer(wrap(app) if wrap else app, host, port,
                                        options=uvicorn_options(limits))

    @property
    def url(self) -> str:
        """Where Stripe should POST, e.g. ``http://127.0.0.1:8765/webhooks/stripe``."""
        return self._thread.url + PATH

    @property
    def port(self) -> int:
        """The bound port."""
        return self._thread.port

    def start(self) -> WebhookServer:
        """Serve in the background; return once connections are accepted."""
        self._inbox.start()
        self._thread.start()
        log.info("stripe webhook receiver listening", url=self.url)
        return self

    def stop(self) -> None:
        """Stop serving, then let the writer commit what it was given."""
        self._thread.stop()
        self._inbox.stop()
        log.info("stripe webhook receiver stopped")


def webhook_server(settings: StripeConfig, secrets: Secrets, sessions: sessionmaker[Session],
                   clock: Clock, *, on_stored: Callable[[], None] | None = None,
                   wrap: Callable[[Any], Any] | None = None) -> WebhookServer | None:
    """The receiver ``settings`` ask for, or None when it is off or has no secret.

    ``on_stored`` is called after each new event is committed (the daemon's wake-up);
    ``wrap`` wraps the ASGI app (metrics).

    Raises:
        ConfigError: the address cannot be bound (in use, not an interface of this host).
    """
    if not settings.webhook_enabled:
        return None
    current, previous = (secrets.get(name) for name in SIGNING_KEYS)
    if current is None:
        log.warning("stripe webhook receiver off: STRIPE_WEBHOOK_SECRET is not set; "
                    "Stripe events arrive through the /v1/events backstop only")
        return None
    keys = [current.get_secret_value()] + ([previous.get_secret_value()] if previous else [])
    try:
        return WebhookServer(SignatureVerifier(keys, clock), sessions, clock,
                             settings.webhook_host, settings.webhook_port,
                             on_stored=on_stored, wrap=wrap)
    except OSError as exc:
        raise ConfigError([f"stripe.webhook_listen: cannot listen on "
                           f"{settings.webhook_listen}: {exc.strerror or exc}"]) from None
