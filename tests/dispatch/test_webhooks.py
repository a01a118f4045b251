"""Outbound webhooks: fan-out, signing, retries, 410 and slow receivers (a real ledger).

Deliveries go over real HTTP to :class:`webhook_receiver.Receiver`, which verifies each with
the ``standardwebhooks`` library as a customer's receiver would; the retry schedule runs on a
manual clock against a recording transport (no sleeping).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from webhook_receiver import SECRET, Receiver

from connector.clock import ManualClock
from connector.commands.ledger_commands import _requeue
from connector.commands.webhook_status import webhook_section
from connector.dispatch.webhook_transport import Answer, HttpTransport, Signer, TransportFailure
from connector.dispatch.webhooks import RETRY_SCHEDULE, WebhookDispatch, WebhookSender
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import DeadLetter
from connector.ledger.unit_of_work import Ledger
from connector.ledger.webhook_deliveries import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    enable_endpoint,
    message_id,
    queue_event,
    sync_endpoints,
)
from connector.webhooks_config import WebhooksConfig

NOW = datetime.now(UTC).replace(microsecond=0)
OCCURRED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def sessions(ledger_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(ledger_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


class Recording:
    """A transport that answers ``status`` and keeps every request."""

    def __init__(self, status: int = 503) -> None:
        self.status = status
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str],
             timeout: float) -> Answer:
        self.requests.append((url, body, dict(headers)))
        if self.status == 0:
            raise TransportFailure("cannot connect: ConnectionError")
        return Answer(self.status, "try later")


class Hub:
    """A ledger with endpoints configured, a clock, and a dispatcher."""

    def __init__(self, sessions: sessionmaker[Session], endpoints: list[dict[str, Any]],
                 transport: Any = None, **settings: Any) -> None:
        self.clock = ManualClock(NOW)
        self.ledger = Ledger(sessions, self.clock, "test")
        self.sessions = sessions
        self.settings = WebhooksConfig.model_validate({"endpoints": endpoints, **settings})
        with self.ledger.unit() as uow:
            sync_endpoints(uow, self.settings)
        self.sender = WebhookSender(self.settings, {"OUTBOUND_WEBHOOK_SECRET":
                                                    Signer("OUTBOUND_WEBHOOK_SECRET", SECRET)},
                                    transport or HttpTransport())

    def queue(self, type_: str, key: str, **data: Any) -> int:
        with self.ledger.unit() as uow:
            return queue_event(uow, type_, data, key, OCCURRED)

    def dispatch(self) -> Any:
        return WebhookDispatch(self.ledger, self.sender, self.clock).dispatch()

    def deliveries(self) -> list[tuple[str, str, int]]:
        with self.sessions() as session:
            return [(url, d.status, d.attempts) for d, url in session.execute(
                select(WebhookDelivery, WebhookEndpoint.url)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .order_by(WebhookDelivery.id))]


def test_a_delivery_verifies_as_a_receiver_checks_it(sessions: sessionmaker[Session],
                                                     receiver: Receiver) -> None:
    hub = Hub(sessions, [{"url": receiver.url("crm"), "events": ["*"]}])
    hub.queue("subscription.activated", "subscription.activated:sub-1",
              subscription_id="sub-1", quantity=3)

    sent = hub.dispatch()

    [got] = receiver.of("crm")
    assert receiver.rejected == []
    assert got.payload == {"type": "subscription.activated", "timestamp": "2026-11-23T09:30:00Z",
                           "data": {"subscription_id": "sub-1", "quantity": 3}}
    assert got.headers["webhook-id"] == message_id("subscription.activated:sub-1")
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    assert sent.delivered == [(got.headers["webhook-id"], receiver.url("crm"))]
    assert hub.deliveries() == [(receiver.url("crm"), "delivered", 1)]
    assert hub.dispatch().counts()["delivered"] == 0  # nothing is sent twice
    assert len(receiver.received) == 1


def test_each_endpoint_gets_only_the_types_it_asked_for_and_a_fact_queues_once(
        sessions: sessionmaker[Session], receiver: Receiver) -> None:
    hub = Hub(sessions, [
        {"url": receiver.url("billing"), "events": ["invoice.paid", "invoice.payment_failed"]},
        {"url": receiver.url("everything"), "events": ["*"]},
        {"url": receiver.url("licences"), "events": ["license.changed"]},
    ])

    assert hub.queue("invoice.paid", "invoice.paid:in_1", invoice_id="inv-1") == 2
    assert hub.queue("invoice.paid", "invoice.paid:in_1", invoice_id="inv-1") == 0
    assert hub.queue("subscription.updated", "subscription.updated:sub-1:x") == 1
    hub.dispatch()

    assert [r.payload["type"] for r in receiver.of("billing")] == ["invoice.paid"]
    assert sorted(r.payload["type"] for r in receiver.of("everything")) == [
        "invoice.paid", "subscription.updated"]
    assert receiver.of("licences") == []
    ids = {r.headers["webhook-id"] for r in receiver.received if r.payload["type"] ==
           "invoice.paid"}
    assert ids == {message_id("invoice.paid:in_1")}  # one message, to two endpoints


def test_failures_are_retried_on_the_schedule_then_dead_lettered(
        sessions: sessionmaker[Session]) -> None:
    transport = Recording(503)
    hub = Hub(sessions, [{"url": "https://hooks.example.com/crm", "events": ["*"]}], transport)
    hub.queue("invoice.payment_failed", "invoice.payment_failed:in_1:attempt:1")
    started = hub.clock.now()

    hub.dispatch()
    for n, wait in enumerate(RETRY_SCHEDULE, start=1):
        hub.clock.advance(wait - timedelta(seconds=1))
        hub.dispatch()
        assert len(transport.requests) == n  # not due yet
        hub.clock.advance(timedelta(seconds=1))
        hub.dispatch()
        assert len(transport.requests) == n + 1

    assert len(transport.requests) == 8
    assert hub.clock.now() - started >= timedelta(hours=24)
    assert {headers["webhook-id"] for _, _, headers in transport.requests} == {
        message_id("invoice.payment_failed:in_1:attempt:1")}  # stable across retries
    assert len({body for _, body, _ in transport.requests}) == 1
    assert hub.deliveries() == [("https://hooks.example.com/crm", "failed", 8)]
    with sessions() as session:
        [letter] = session.scalars(select(DeadLetter))
        assert letter.source == "webhook"
        assert letter.error_code == "WEBHOOK_UNDELIVERED"
        assert "after 8 attempts" in letter.reason
        assert "HTTP 503: try later" in letter.reason
    hub.clock.advance(timedelta(days=3))
    hub.dispatch()
    assert len(transport.requests) == 8  # a dead letter is not retried by itself

    with sessions() as session, session.begin():
        assert _requeue(session, session.get_one(DeadLetter, letter.id))
    transport.status = 200
    assert len(hub.dispatch().delivered) == 1


def test_no_connection_is_retried_like_an_error_answer(sessions: sessionmaker[Session]) -> None:
    hub = Hub(sessions, [{"url": "https://hooks.example.com/crm", "events": ["*"]}],
              Recording(0))
    hub.queue("license.changed", "license.changed:acc-1:1")

    assert hub.dispatch().retried == 1

    with sessions() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert delivery.next_attempt_at == NOW + RETRY_SCHEDULE[0]
        assert delivery.last_error == "cannot connect: ConnectionError"


def test_a_410_disables_the_endpoint_and_status_says_so(sessions: sessionmaker[Session],
                                                         receiver: Receiver) -> None:
    receiver.answers["gone"] = 410
    hub = Hub(sessions, [{"url": receiver.url("gone"), "events": ["*"]},
                         {"url": receiver.url("alive"), "events": ["*"]}])
    hub.queue("invoice.paid", "invoice.paid:in_1")
    hub.queue("invoice.paid", "invoice.paid:in_2")

    sent = hub.dispatch()

    assert (sent.disabled, sent.skipped, len(sent.delivered)) == (1, 1, 2)
    assert len(receiver.of("gone")) == 1  # the rest is not even tried
    assert hub.queue("invoice.paid", "invoice.paid:in_3") == 1  # only to the live one
    with sessions() as session:
        section, lines, attention = webhook_section(session)
    gone = next(e for e in section if e["url"] == receiver.url("gone"))
    assert gone["state"] == "disabled"
    assert "410 Gone" in gone["disabled_reason"]
    assert gone["deliveries"]["skipped"] == 2
    assert any("DISABLED" in line for line in lines)
    assert attention
    assert "webhooks enable" in attention[0]

    receiver.answers["gone"] = 200
    with sessions() as session, session.begin():
        assert enable_endpoint(session, receiver.url("gone"), hub.clock.now()) == 2
    assert len(hub.dispatch().delivered) == 3  # the two skipped, and in_3 to the live one
    assert len(receiver.of("gone")) == 3


def test_a_receiver_that_times_out_blocks_nobody(sessions: sessionmaker[Session],
                                                  receiver: Receiver) -> None:
    receiver.delays["slow"] = 5
    hub = Hub(sessions, [{"url": receiver.url("slow"), "events": ["*"], "timeout": 0.5},
                         {"url": receiver.url("fast"), "events": ["*"]}])
    for n in range(3):
        hub.queue("license.discrepancy", f"license.discrepancy:acc-1:{n}")

    started = time.monotonic()
    sent = hub.dispatch()
    elapsed = time.monotonic() - started

    assert elapsed < 3  # one 0.5 s timeout, not three, and not in series with the fast one
    assert len(receiver.of("fast")) == 3
    assert len(sent.delivered) == 3
    assert sent.retried == 1
    states = hub.deliveries()
    slow = [s for s in states if s[0] == receiver.url("slow")]
    assert slow == [(receiver.url("slow"), "pending", 1), (receiver.url("slow"), "pending", 0),
                    (receiver.url("slow"), "pending", 0)]
    with sessions() as session:
        endpoint = session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.url == receiver.url("slow"))).one()
        assert endpoint.last_error == "no answer within 0.5 s"


def test_an_endpoint_removed_from_the_config_skips_what_waits_for_it(
        sessions: sessionmaker[Session]) -> None:
    hub = Hub(sessions, [{"url": "https://a.example.com/h", "events": ["*"]}], Recording(503))
    hub.queue("invoice.paid", "invoice.paid:in_1")

    with hub.ledger.unit() as uow:
        sync_endpoints(uow, WebhooksConfig())

    assert hub.deliveries() == [("https://a.example.com/h", DeliveryStatus.SKIPPED, 0)]
    assert hub.queue("invoice.paid", "invoice.paid:in_2") == 0
    with sessions() as session:
        [entry], _, _ = webhook_section(session)
    assert entry["state"] == "removed"
