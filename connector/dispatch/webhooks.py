"""Delivering the queued outbound webhooks (Standard Webhooks), once per cycle.

Each due delivery is POSTed to its endpoint with the event's fixed body and a fresh
signature (:mod:`connector.dispatch.webhook_transport`). The answer decides:

* 2xx: ``delivered``.
* 410 Gone: the receiver does not want webhooks any more: the endpoint is disabled (when
  and why shown in ``status``), this delivery and the endpoint's other pending ones are
  ``skipped``; ``webhooks enable URL`` turns it on again and queues them once more.
* anything else (3xx, 4xx, 5xx, no answer in ``timeout``, no connection): retried on the
  specification's schedule, :data:`RETRY_SCHEDULE` after each failed attempt (5 s, 5 min,
  30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over 27 h 35 min); after the last one the
  delivery is ``failed`` and dead-lettered with the reason (``deadletter retry`` queues it
  again).

Nothing blocks on a slow receiver: endpoints are served in parallel (at most
``[webhooks] concurrency`` at once, each endpoint's deliveries in order, at most ``batch`` a
cycle), every request has the endpoint's ``timeout``, and an endpoint that gives no answer
is left for the next cycle after that one attempt. The network calls run outside any ledger
transaction; the outcomes commit together afterwards. Delivery is at-least-once: a crash
between the POST and that commit sends the same ``webhook-id`` again, which receivers
deduplicate on.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy import select

from connector.clock import Clock, SystemClock
from connector.dispatch.webhook_transport import Answer, Signer, Transport, TransportFailure
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.ledger.webhook_deliveries import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    skip_pending,
)
from connector.webhooks_config import WebhooksConfig

log = structlog.get_logger(__name__)

RETRY_SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
                  timedelta(hours=2), timedelta(hours=5), timedelta(hours=10),
                  timedelta(hours=10))
"""The wait after each failed attempt; after the last, the delivery is dead-lettered."""
GONE = 410


@dataclass(frozen=True)
class _Attempt:
    delivery_id: int
    endpoint_id: int
    url: str
    msg_id: str
    body: bytes
    timeout: float
    secret_name: str


@dataclass(frozen=True)
class _Outcome:
    attempt: _Attempt
    answer: Answer | None
    error: str | None


@dataclass
class WebhooksSent:
    """What one dispatch of outbound webhooks did (counts by outcome, and what went out).

    Attributes:
        delivered: ``(webhook-id, url)`` of each delivery the receiver accepted.
    """

    delivered: list[tuple[str, str]] = field(default_factory=list)
    retried: int = 0
    failed: int = 0
    disabled: int = 0
    skipped: int = 0

    def counts(self) -> dict[str, int]:
        """Deliveries by outcome (the metric's labels)."""
        return {"delivered": len(self.delivered), "retried": self.retried,
                "failed": self.failed, "disabled": self.disabled, "skipped": self.skipped}


@dataclass(frozen=True)
class WebhookSender:
    """How outbound webhooks leave: the endpoint settings, a signer per secret name, the
    HTTP transport (see :mod:`connector.sync.wiring`).

    Attributes:
        wall_clock: the time signed into ``webhook-timestamp``. Receivers compare it with
            their own clock (5 minutes' tolerance), so it is the machine's time even where
            the ledger runs on another clock (tests, the demo's emulated time).
    """

    settings: WebhooksConfig
    signers: Mapping[str, Signer]
    transport: Transport
    wall_clock: Clock = field(default_factory=SystemClock)


class WebhookDispatch:
    """Delivers the due outbound webhooks of every enabled endpoint.

    Args:
        ledger: the ledger.
        sender: settings, signers and transport.
        clock: the ledger's time: when attempts are due, and retried.
    """

    def __init__(self, ledger: Ledger, sender: WebhookSender, clock: Clock) -> None:
        self._ledger = ledger
        self._sender = sender
        self._clock = clock

    def dispatch(self) -> WebhooksSent:
        """Attempt every due delivery once; settle each outcome in the ledger."""
        result = WebhooksSent()
        with self._ledger.unit() as uow:
            due = self._due(uow)
        if not due:
            return result
        workers = min(self._sender.settings.concurrency, len(due))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
            outcomes = [o for batch in pool.map(self._deliver_endpoint, due) for o in batch]
        with self._ledger.unit() as uow:
            for outcome in outcomes:
                _settle(uow, outcome, result)
        return result

    def _due(self, uow: UnitOfWork) -> list[list[_Attempt]]:
        """Each enabled endpoint's due deliveries, oldest first, at most ``batch``."""
        endpoints = uow.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.enabled.is_(True), WebhookEndpoint.configured.is_(True))
            .order_by(WebhookEndpoint.id))
        settings = {e.url: e for e in self._sender.settings.endpoints}
        due = []
        for endpoint in endpoints:
            config = settings.get(endpoint.url)
            if config is None:
                continue
            rows = uow.session.execute(
                select(WebhookDelivery.id, WebhookEvent.id, WebhookEvent.body)
                .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.endpoint_id == endpoint.id,
                       WebhookDelivery.status == DeliveryStatus.PENDING,
                       WebhookDelivery.next_attempt_at <= uow.now)
                .order_by(WebhookDelivery.id).limit(self._sender.settings.batch))
            attempts = [_Attempt(delivery, endpoint.id, endpoint.url, msg_id,
                                 body.encode("utf-8"), config.timeout, config.secret_name)
                        for delivery, msg_id, body in rows]
            if attempts:
                due.append(attempts)
        return due

    def _deliver_endpoint(self, attempts: list[_Attempt]) -> list[_Outcome]:
        """One endpoint's deliveries in order; stop at the first that gets no answer or
        a 410 (the rest wait, untried, for the next cycle)."""
        outcomes = []
        for attempt in attempts:
            outcome = self._post(attempt)
            outcomes.append(outcome)
            if outcome.answer is None or outcome.answer.status == GONE:
                break
        return outcomes

    def _post(self, attempt: _Attempt) -> _Outcome:
        signer = self._sender.signers[attempt.secret_name]
        headers = signer.headers(attempt.msg_id, self._sender.wall_clock.now(), attempt.body)
        try:
            answer = self._sender.transport.post(attempt.url, attempt.body, headers,
                                                 attempt.timeout)
        except TransportFailure as exc:
            return _Outcome(attempt, None, str(exc))
        return _Outcome(attempt, answer, None)


def _settle(uow: UnitOfWork, outcome: _Outcome, result: WebhooksSent) -> None:
    delivery = uow.session.get_one(WebhookDelivery, outcome.attempt.delivery_id)
    endpoint = uow.session.get_one(WebhookEndpoint, outcome.attempt.endpoint_id)
    if delivery.status != DeliveryStatus.PENDING:
        return  # settled meanwhile (another replica, or the endpoint was disabled)
    answer = outcome.answer
    delivery.last_status = answer.status if answer else None
    endpoint.last_attempt_at = uow.now
    if answer is not None and 200 <= answer.status < 300:
        delivery.attempts += 1
        delivery.status, delivery.delivered_at, delivery.last_error = (
            DeliveryStatus.DELIVERED, uow.now, None)
        endpoint.last_success_at, endpoint.last_error = uow.now, None
        result.delivered.append((outcome.attempt.msg_id, endpoint.url))
    elif answer is not None and answer.status == GONE:
        _disable(uow, endpoint, delivery, result)
    else:
        _failed(uow, endpoint, delivery, _reason(outcome), result)


def _reason(outcome: _Outcome) -> str:
    if outcome.answer is None:
        return outcome.error or "no answer"
    text = " ".join(outcome.answer.text.split())[:120]
    return f"HTTP {outcome.answer.status}" + (f": {text}" if text else "")


def _disable(uow: UnitOfWork, endpoint: WebhookEndpoint, delivery: WebhookDelivery,
             result: WebhooksSent) -> None:
    """The receiver answered 410 Gone: disable the endpoint, skip what waits for it."""
    delivery.attempts += 1
    reason = (f"the receiver answered 410 Gone at {uow.now:%Y-%m-%d %H:%M:%S} UTC "
              f"(webhook {delivery.event_id})")
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, uow.now, reason
    endpoint.last_error, endpoint.updated_at = "HTTP 410 Gone", uow.now
    delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, reason
    uow.session.flush()
    result.disabled += 1
    result.skipped += skip_pending(uow.session, endpoint.id, f"endpoint disabled: {reason}")
    log.warning("outbound webhook endpoint disabled", url=endpoint.url, reason=reason)


def _failed(uow: UnitOfWork, endpoint: WebhookEndpoint, delivery: WebhookDelivery,
            reason: str, result: WebhooksSent) -> None:
    """Retry on :data:`RETRY_SCHEDULE`; dead-letter after the last attempt."""
    delivery.attempts += 1
    delivery.last_error = endpoint.last_error = reason
    if delivery.attempts <= len(RETRY_SCHEDULE):
        delivery.next_attempt_at = uow.now + RETRY_SCHEDULE[delivery.attempts - 1]
        result.retried += 1
        return
    delivery.status = DeliveryStatus.FAILED
    event = uow.session.get_one(WebhookEvent, delivery.event_id)
    uow.dead_letter("webhook", f"{event.id} -> {endpoint.url}",
                    f"not delivered to {endpoint.url} after {delivery.attempts} attempts since "
                    f"{delivery.created_at:%Y-%m-%d %H:%M} UTC; last: {reason}",
                    "WEBHOOK_UNDELIVERED",
                    {"delivery_id": delivery.id, "event_id": event.id, "type": event.type,
                     "url": endpoint.url})
    result.failed += 1
    log.warning("outbound webhook dead-lettered", url=endpoint.url, webhook_id=event.id,
                type=event.type, reason=reason)
