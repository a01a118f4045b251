"""The webhook receiver over real HTTP on loopback: verify, store (committed), acknowledge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import stripe
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from connector.clock import ManualClock, SystemClock
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import InboxStatus, StripeInboxEvent
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier
from crm_emulators.stripe_emulator import StripeEmulator

SECRET = "whsec_current"
PREVIOUS = "whsec_previous"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    return session_factory(engine)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def server(sessions: sessionmaker[Session], clock: ManualClock) -> Iterator[WebhookServer]:
    started = WebhookServer(SignatureVerifier([SECRET, PREVIOUS], clock), sessions, clock,
                            "127.0.0.1", 0).start()
    yield started
    started.stop()


def _event(event_id: str = "evt_1", event_type: str = "invoice.paid") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type,
                       "created": int(NOW.timestamp()), "api_version": "2026-10-28.endive",
                       "data": {"object": {"id": "in_1", "object": "invoice"}}}).encode()


def _post(server: WebhookServer, body: bytes, secret: str = SECRET,
          at: datetime = NOW) -> requests.Response:
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, int(at.timestamp()))
    return requests.post(server.url, data=body, timeout=10, headers={
        "Content-Type": "application/json", "Stripe-Signature": header})


def _inbox(sessions: sessionmaker[Session]) -> list[StripeInboxEvent]:
    with sessions() as session:
        return list(session.scalars(select(StripeInboxEvent)))


def test_a_signed_event_is_committed_pending_before_the_200(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    answer = _post(server, _event())

    assert answer.status_code == 200
    [row] = _inbox(sessions)  # read in a fresh session: committed
    assert (row.event_id, row.type, row.status) == ("evt_1", "invoice.paid", InboxStatus.PENDING)
    assert row.payload["data"]["object"]["id"] == "in_1"


def test_a_redelivery_answers_200_and_changes_nothing(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    _post(server, _event())
    with sessions.begin() as session:
        session.get_one(StripeInboxEvent, "evt_1").status = InboxStatus.PROCESSED

    again = _post(server, _event())

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    [row] = _inbox(sessions)
    assert row.status == InboxStatus.PROCESSED


@pytest.mark.parametrize(("secret", "at"), [
    ("whsec_someone_else", NOW),                      # not our endpoint's secret
    (SECRET, NOW - timedelta(seconds=301)),           # replayed later than the tolerance
    (SECRET, NOW + timedelta(seconds=301)),           # from the future
])
def test_a_bad_or_stale_signature_gets_400_and_leaves_no_trace(
        server: WebhookServer, sessions: sessionmaker[Session], secret: str,
        at: datetime) -> None:
    answer = _post(server, _event(), secret=secret, at=at)

    assert answer.status_code == 400
    assert _inbox(sessions) == []


def test_a_tampered_body_or_no_signature_gets_400(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    header = stripe.WebhookSignature.generate_signature_header(
        _event().decode(), SECRET, int(NOW.timestamp()))
    tampered = requests.post(server.url, data=_event("evt_2"), timeout=10,
                             headers={"Stripe-Signature": header})
    unsigned = requests.post(server.url, data=_event(), timeout=10)

    assert (tampered.status_code, unsigned.status_code) == (400, 400)
    assert _inbox(sessions) == []


@pytest.mark.parametrize("body", [b"{not json", b'{"id": "evt_3"}', b"\xff\xfe"])
def test_a_signed_body_that_is_not_an_event_gets_400(
        server: WebhookServer, sessions: sessionmaker[Session], body: bytes) -> None:
    header = f"t={int(NOW.timestamp())},v1=" + stripe.WebhookSignature._compute_signature(
        f"{int(NOW.timestamp())}.{body.decode(errors='replace')}", SECRET)
    answer = requests.post(server.url, data=body, timeout=10,
                           headers={"Stripe-Signature": header})

    assert answer.status_code == 400
    assert _inbox(sessions) == []


def test_the_previous_secret_is_accepted_during_rotation(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    answer = _post(server, _event(), secret=PREVIOUS)

    assert answer.status_code == 200
    assert len(_inbox(sessions)) == 1


def test_healthz_answers_when_the_ledger_does(server: WebhookServer) -> None:
    answer = requests.get(server.url.replace("/webhooks/stripe", "/healthz"), timeout=10)

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "reasons": []}


def test_the_emulators_signed_deliveries_land_in_the_inbox_once(
        sessions: sessionmaker[Session]) -> None:
    secrets: list[str] = []
    clock = SystemClock()  # the emulator signs with the wall clock
    receiver = WebhookServer(SignatureVerifier(secrets, clock), sessions, clock,
                             "127.0.0.1", 0).start()
    emulator = StripeEmulator().start()
    try:
        secrets.append(emulator.add_webhook_endpoint(receiver.url))
        emulator.client().v1.customers.create({"name": "Acme"})
        delivered = emulator.deliver_pending()
        again = emulator.deliver_pending()
    finally:
        emulator.stop()
        receiver.stop()

    assert (delivered, again) == (1, 0)
    [row] = _inbox(sessions)
    assert row.type == "customer.created"


def test_an_oversized_body_gets_413_and_leaves_no_trace(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    answer = requests.post(server.url, data=b"x" * (1024 * 1024 + 1), timeout=10,
                           headers={"Stripe-Signature": "t=1,v1=00"})

    assert answer.status_code == 413
    assert _inbox(sessions) == []


def test_a_rejection_is_logged_with_its_reason(server: WebhookServer) -> None:
    with capture_logs() as logs:
        _post(server, _event(), secret="whsec_someone_else")

    [rejected] = [entry for entry in logs if entry["event"] == "stripe webhook rejected"]
    assert (rejected["code"], rejected["log_level"]) == ("bad_signature", "warning")


def test_only_a_new_stored_event_wakes_the_daemon(
        sessions: sessionmaker[Session], clock: ManualClock) -> None:
    woken: list[str] = []
    waking = WebhookServer(SignatureVerifier([SECRET], clock), sessions, clock, "127.0.0.1", 0,
                           on_stored=lambda: woken.append("inbox")).start()
    try:
        answers = [_post(waking, _event("evt_new")).status_code,
                   _post(waking, _event("evt_new")).status_code,  # a redelivery
                   _post(waking, _event("evt_forged"), secret="whsec_other").status_code]
    finally:
        waking.stop()

    assert answers == [200, 200, 400]
    assert woken == ["inbox"]


def _signed_event(**fields: object) -> bytes:
    return json.dumps({"id": "evt_t", "object": "event", "type": "invoice.paid",
                       "created": int(NOW.timestamp()),
                       "data": {"object": {"id": "in_1", "object": "invoice"}},
                       **fields}).encode()


@pytest.mark.parametrize("created", [10**20, 1e20, -1, 1.5, True, "1700000000", [1]])
def test_a_signed_event_with_an_implausible_created_gets_400_with_the_reason(
        server: WebhookServer, sessions: sessionmaker[Session], created: object) -> None:
    with capture_logs() as logs:
        answer = _post(server, _signed_event(created=created))

    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_timestamp"
    assert "created" in answer.json()["message"]
    assert _inbox(sessions) == []
    assert [entry for entry in logs if entry["log_level"] in ("error", "critical")] == []


@pytest.mark.parametrize(("fields", "reason"), [
    ({"id": 42}, "id"),
    ({"id": "evt\x00nul"}, "id"),
    ({"id": "e" * 256}, "id"),
    ({"type": "Invoice Paid"}, "type"),
    ({"data": {"object": "in_1"}}, "data.object"),
    ({"data": {"object": {"id": "in_1", "object": None}}}, "data.object.object"),
])
def test_a_signed_event_with_bad_fields_gets_400_naming_the_field(
        server: WebhookServer, sessions: sessionmaker[Session], fields: dict[str, object],
        reason: str) -> None:
    answer = _post(server, _signed_event(**fields))

    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_event"
    assert reason in answer.json()["message"]
    assert _inbox(sessions) == []


@pytest.mark.parametrize("body", [
    b'{"id": "evt_n", "created": NaN}',
    b'{"id": "evt_s", "note": "\\ud800"}',
    b"[" * 100 + b"]" * 100,
])
def test_signed_json_the_ledger_could_not_hold_gets_400(
        server: WebhookServer, sessions: sessionmaker[Session], body: bytes) -> None:
    answer = _post(server, body)

    assert (answer.status_code, answer.json()["error"]) == (400, "bad_json")
    assert _inbox(sessions) == []


def test_an_inbox_that_cannot_be_written_answers_503_and_stores_nothing(
        server: WebhookServer, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE stripe_inbox RENAME TO stripe_inbox_away"))

    answer = _post(server, _event("evt_later"))

    with sessions.begin() as session:
        session.execute(text("ALTER TABLE stripe_inbox_away RENAME TO stripe_inbox"))
    assert (answer.status_code, answer.json()["error"]) == (503, "ledger_unavailable")
    assert _inbox(sessions) == []
    assert _post(server, _event("evt_later")).status_code == 200  # Stripe's retry
