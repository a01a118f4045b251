"""The running daemon's Stripe jobs: a webhook is applied at once, the backstop on its interval.

A delivery wakes a Stripe-only cycle that applies the inbox and writes the result to
Salesforce without polling Salesforce or listing ``/v1/events``; the backstop lists the
events every ``stripe.events_poll_interval`` seconds, however often Salesforce is polled.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from connector.clock import SystemClock
from connector.commands.sync_commands import Daemon
from connector.config import Config
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier
from e2e.world import World

TIMEOUT = 30.0


def _activate(world: World) -> str:
    world.cycle()
    record = next(s for s in world.subscriptions()
                  if s["Product__r"]["ProductCode"] == "PLATFORM-MONTHLY")
    world.set_status(record["Id"], "Active")
    world.cycle()
    world.cycle()  # the activation's own events
    return str(record["Id"])


def _renewal_date(world: World, record_id: str) -> str:
    """Read in the emulator, so the test's own reads are not counted as the daemon's."""
    return str(world.stack.salesforce.get("Subscription__c", record_id)["Next_Renewal_Date__c"])


def _config(world: World, *, poll: int, events: int) -> Config:
    config = world.engine.config
    return config.model_copy(update={
        "salesforce": config.salesforce.model_copy(update={"poll_interval": poll}),
        "stripe": config.stripe.model_copy(update={"events_poll_interval": events}),
    })


def _wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _running(daemon: Daemon) -> Iterator[Daemon]:
    thread = threading.Thread(target=daemon.start, name="test-daemon", daemon=True)
    thread.start()
    try:
        yield daemon
    finally:
        daemon.stop()
        thread.join(timeout=TIMEOUT)
    assert not thread.is_alive()


def test_a_webhook_reaches_salesforce_without_waiting_for_a_poll(world: World) -> None:
    record_id = _activate(world)
    before = _renewal_date(world, record_id)
    stripe, salesforce = world.stack.stripe, world.stack.salesforce
    port = _free_port()
    secret = stripe.add_webhook_endpoint(f"http://127.0.0.1:{port}/webhooks/stripe")
    daemon = Daemon(world.engine, _config(world, poll=3600, events=3600))
    receiver = WebhookServer(SignatureVerifier([secret], SystemClock()), world.engine.sessions,
                             world.clock, "127.0.0.1", port, on_stored=daemon.wake).start()
    stripe.reset_counters()
    salesforce.reset_counters()
    try:
        with _running(daemon):
            _wait_for(lambda: stripe.request_count("GET", "/v1/events"), "the first cycle")
            time.sleep(0.5)  # the first cycle's Salesforce reads are behind it
            polls = salesforce.request_count("GET")

            stripe.advance(timedelta(days=31))  # a renewal, told by webhook only
            delivered = stripe.deliver_pending()
            renewed = _wait_for(lambda: _renewal_date(world, record_id) > before,
                                "the renewal date in Salesforce")
    finally:
        receiver.stop()

    assert delivered > 0
    assert renewed
    assert stripe.request_count("GET", "/v1/events") == 1  # the first cycle's listing only
    assert salesforce.request_count("GET") == polls  # written, not polled
    assert salesforce.request_count("PATCH") > 0


def test_the_backstop_lists_events_on_its_own_interval(world: World) -> None:
    _activate(world)
    now = [1000.0]
    daemon = Daemon(world.engine, _config(world, poll=30, events=60), monotonic=lambda: now[0])
    stripe = world.stack.stripe
    stripe.reset_counters()

    def listings() -> int:
        return stripe.request_count("GET", "/v1/events")

    daemon.cycle()  # the first full cycle lists them
    assert listings() == 1
    now[0] += 30
    daemon.cycle()  # Salesforce is polled again; the events are not due
    daemon.stripe_cycle()
    assert listings() == 1
    now[0] += 30
    daemon.stripe_cycle()  # due: listed without polling Salesforce
    polls = world.stack.salesforce.request_count("GET")
    daemon.cycle()  # just listed: not again
    assert listings() == 2
    assert world.stack.salesforce.request_count("GET") > polls


@pytest.mark.parametrize("stop_first", [True, False], ids=["stop-before-start", "stop-at-once"])
def test_a_stop_during_start_up_is_not_lost(world: World, stop_first: bool) -> None:
    """SIGTERM can come as soon as the webhook receiver answers, before the scheduler runs:
    the daemon must still stop (it once kept running with the stop lost in a thread)."""
    daemon = Daemon(world.engine, _config(world, poll=3600, events=3600))
    if stop_first:
        daemon.stop()
    thread = threading.Thread(target=daemon.start, name="test-daemon", daemon=True)
    thread.start()
    if not stop_first:
        daemon.stop()
    thread.join(timeout=TIMEOUT)
    assert not thread.is_alive()
