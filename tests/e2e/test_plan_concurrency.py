"""``plan`` beside a running daemon: its network calls hold no lock the daemon waits on.

The org answers slowly (the emulator's injected latency); while a plan is still waiting on
it, webhook deliveries are acknowledged and committed, and a cycle's write transaction
starts at once. The proof is that each of them finishes while the plan is still running,
not a measured duration.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import stripe
from sqlalchemy import select, text

from connector.ledger.models import StripeInboxEvent
from connector.plan import Plan, plan_next_sync
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier
from e2e.world import World

SECRET = "whsec_plan_test"
LATENCY = 2.0
"""Seconds each Salesforce answer is held back during the plan."""


@pytest.fixture
def receiver(world: World) -> Iterator[WebhookServer]:
    server = WebhookServer(SignatureVerifier([SECRET], world.clock), world.engine.sessions,
                           world.clock, "127.0.0.1", 0).start()
    yield server
    server.stop()


def _deliver(world: World, server: WebhookServer, event_id: str) -> requests.Response:
    body = json.dumps({"id": event_id, "object": "event", "type": "invoice.paid",
                       "created": int(world.clock.now().timestamp()),
                       "api_version": "2026-10-28.endive",
                       "data": {"object": {"id": "in_x", "object": "invoice"}}})
    header = stripe.WebhookSignature.generate_signature_header(
        body, SECRET, int(world.clock.now().timestamp()))
    return requests.post(server.url, data=body, timeout=60, headers={
        "Content-Type": "application/json", "Stripe-Signature": header})


class _Planning(threading.Thread):
    """``plan`` in the background, keeping its result or error."""

    def __init__(self, world: World) -> None:
        super().__init__(daemon=True)
        self.world = world
        self.plan: Plan | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.plan = plan_next_sync(self.world.engine)
        except BaseException as exc:  # re-raised by the test
            self.error = exc


def _wait_until_planning_talks_to_salesforce(world: World, planning: _Planning) -> None:
    seen = len(world.stack.salesforce.request_log)
    planning.start()
    for _ in range(200):
        if len(world.stack.salesforce.request_log) > seen or not planning.is_alive():
            return
        planning.join(0.02)


def test_webhooks_are_acknowledged_while_a_plan_waits_on_a_slow_org(
        world: World, receiver: WebhookServer) -> None:
    world.clock.advance(timedelta(seconds=2))
    world.stack.salesforce.faults.latency(LATENCY)
    planning = _Planning(world)
    _wait_until_planning_talks_to_salesforce(world, planning)

    answers = [_deliver(world, receiver, f"evt_during_plan_{n}") for n in range(3)]
    with world.engine.sessions() as session, session.begin():
        session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is free
    still_planning = planning.is_alive()
    world.stack.salesforce.faults.latency(0)
    planning.join(120)

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert still_planning, "the plan finished before the deliveries; raise LATENCY"
    assert planning.error is None
    assert planning.plan is not None
    assert planning.plan.changes
    with world.engine.sessions() as session:
        stored = set(session.scalars(select(StripeInboxEvent.event_id)))
    assert {"evt_during_plan_0", "evt_during_plan_1", "evt_during_plan_2"} <= stored


def test_a_plan_leaves_no_copy_behind(world: World) -> None:
    before = sorted(p.name for p in world.folder.iterdir())
    world.clock.advance(timedelta(seconds=2))

    plan_next_sync(world.engine)

    assert sorted(p.name for p in world.folder.iterdir()) == before
