"""The operations listener over HTTP: /metrics, /healthz, /readyz; the webhook's /healthz."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.config import Config, OpsConfig, SalesforceConfig
from connector.errors import AuthenticationError, ConfigError
from connector.ledger.models import ConnectionState
from connector.ops.hooks import OpsHooks
from connector.ops.listener import Operations
from connector.ops.states import set_paused
from connector.sync.report import CycleReport
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier

CONFIG = Config(ops=OpsConfig(listen="127.0.0.1:0"),
                salesforce=SalesforceConfig(poll_interval=30))


@pytest.fixture
def hooks(sessions: sessionmaker[Session], clock: ManualClock) -> OpsHooks:
    return OpsHooks(sessions, clock)


@pytest.fixture
def listener(hooks: OpsHooks) -> Iterator[Operations]:
    operations = Operations(CONFIG, hooks).start()
    yield operations
    operations.stop()


def _get(listener: Operations, path: str) -> requests.Response:
    return requests.get(f"{listener.url}{path}", timeout=10)


def _cycle(hooks: OpsHooks, report: CycleReport | None = None) -> None:
    hooks.cycle_finished(hooks.cycle_started("full"), report or CycleReport("r"))


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_metrics_are_prometheus_text_with_the_cycle_and_state(
        listener: Operations, hooks: OpsHooks) -> None:
    _cycle(hooks)

    answer = _get(listener, "/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'crm_cycles_total{kind="full",outcome="ok"} 1.0' in answer.text
    assert 'crm_connection_state{state="IDLE",system="stripe"} 1.0' in answer.text
    assert "crm_ledger_up 1.0" in answer.text


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_ready_after_a_cycle_and_not_once_it_is_stale(
        listener: Operations, hooks: OpsHooks, clock: ManualClock) -> None:
    _cycle(hooks)
    assert _get(listener, "/readyz").status_code == 200

    clock.advance(timedelta(seconds=91))
    stale = _get(listener, "/readyz")

    assert stale.status_code == 503
    body = stale.json()
    assert body["status"] == "unavailable"
    assert body["reasons"][0].startswith("last successful sync cycle 91s ago")
    assert _get(listener, "/healthz").status_code == 200


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_not_ready_while_a_connection_is_unauthorized(
        listener: Operations, hooks: OpsHooks) -> None:
    start = hooks.cycle_started("full")
    hooks.step_failed("stripe", AuthenticationError("Stripe 401: key refused"))
    hooks.cycle_finished(start, CycleReport("r"))

    answer = _get(listener, "/readyz")

    assert answer.status_code == 503
    assert answer.json()["connections"] == {"salesforce": "IDLE", "stripe": "UNAUTHORIZED"}
    assert answer.json()["reasons"] == ["stripe is UNAUTHORIZED: Stripe 401: key refused"]


def test_healthz_and_readyz_say_when_the_ledger_is_unreachable(
        unreachable: sessionmaker[Session], clock: ManualClock) -> None:
    hooks = OpsHooks(unreachable, clock)
    operations = Operations(CONFIG, hooks).start()
    try:
        health, ready = _get(operations, "/healthz"), _get(operations, "/readyz")
        metrics = _get(operations, "/metrics")
    finally:
        operations.stop()

    assert health.status_code == ready.status_code == 503
    assert health.json()["reasons"][0].startswith("ledger unreachable: ")
    assert ready.json()["reasons"][0].startswith("ledger unreachable: ")
    assert "crm_ledger_up 0.0" in metrics.text


def test_the_webhook_healthz_means_the_same(unreachable: sessionmaker[Session],
                                            clock: ManualClock) -> None:
    receiver = WebhookServer(SignatureVerifier(["whsec_x"], clock), unreachable, clock,
                             "127.0.0.1", 0).start()
    try:
        answer = requests.get(receiver.url.replace("/webhooks/stripe", "/healthz"), timeout=10)
    finally:
        receiver.stop()

    assert answer.status_code == 503
    assert answer.json()["reasons"][0].startswith("ledger unreachable: ")


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_webhook_answers_are_counted_and_timed(
        sessions: sessionmaker[Session], clock: ManualClock, hooks: OpsHooks) -> None:
    operations = Operations(CONFIG, hooks)
    receiver = WebhookServer(SignatureVerifier(["whsec_x"], clock), sessions, clock,
                             "127.0.0.1", 0, wrap=operations.webhook_timer).start()
    try:
        refused = requests.post(receiver.url, data=b"{}", timeout=10)
    finally:
        receiver.stop()

    assert refused.status_code == 400
    samples = operations.registry.get_sample_value
    assert samples("crm_webhook_requests_total", {"status": "4xx"}) == 1
    assert samples("crm_webhook_ack_duration_seconds_count") == 1


def test_a_taken_port_is_one_config_line(hooks: OpsHooks) -> None:
    first = Operations(CONFIG, hooks).start()
    try:
        assert first.url is not None
        taken = Config(ops=OpsConfig(listen=first.url.removeprefix("http://")))
        with pytest.raises(ConfigError, match=r"ops\.listen: cannot listen on") as refused:
            Operations(taken, hooks).start()
    finally:
        first.stop()
    assert len(refused.value.problems) == 1


def test_listen_off_serves_nothing(hooks: OpsHooks) -> None:
    assert Operations(Config(ops=OpsConfig(listen="off")), hooks).start().url is None


def test_hooks_mark_paused_systems_and_failures(hooks: OpsHooks,
                                                sessions: sessionmaker[Session]) -> None:
    set_paused(sessions, ["salesforce"], True, hooks.clock.now())
    start = hooks.cycle_started("full")

    assert start.paused == {"salesforce"}
    assert hooks.states.current()["salesforce"].state == ConnectionState.PAUSED
    assert hooks.states.current()["stripe"].state == ConnectionState.POLLING
    hooks.cycle_finished(start, CycleReport("r"))
    assert hooks.states.current()["stripe"].state == ConnectionState.IDLE
    assert hooks.states.current()["salesforce"].paused
