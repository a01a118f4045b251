"""Catalog notifications in the dispatcher: one SMTP connection per batch, a temporary
refusal retried after an exponential backoff and given up after MAX_ATTEMPTS, an unreachable
relay deferring the batch, branding and Reply-To (both backends)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.dispatch.notifications import MAX_ATTEMPTS, Notifications, Sent
from connector.errors import RetriableError
from connector.ledger.announcements import NotificationRetry
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import DeadLetter, Notification, NotificationStatus
from connector.ledger.unit_of_work import Ledger
from connector.notifications_config import BrandingConfig
from connector.notify.catalog import EVENTS, sample
from connector.notify.mailer import SmtpMailer, SmtpSettings
from connector.notify.templates import TemplateRenderer
from connector.notify.urls import SalesforceUrls
from crm_emulators.smtp import SmtpSink

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
CUSTOMER = "billing@acme.example"
PARTNER = "partners@example.com"


@pytest.fixture
def sessions(ledger_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(ledger_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def _queue(sessions: sessionmaker[Session], label: str, recipient: str) -> None:
    event = EVENTS[label]
    with sessions() as session, session.begin():
        session.add(Notification(key=f"{event.kind}:fact-1:{recipient}", kind=event.kind,
                                 recipient=recipient, subject=event.summary,
                                 data=sample(event), created_at=NOW))


def _dispatch(sessions: sessionmaker[Session], clock: ManualClock, port: int) -> Sent:
    settings = SmtpSettings("127.0.0.1", port, starttls=False, sender="sync@example.com",
                            timeout=5)
    branding = BrandingConfig(company_name="Acme Software", reply_to="help@acme.example")
    return Notifications(Ledger(sessions, clock, "run"), SmtpMailer(settings),
                         TemplateRenderer(REPO / "templates"),
                         SalesforceUrls("https://acme.my.salesforce.com"),
                         branding=branding).dispatch()


def _rows(sessions: sessionmaker[Session]) -> dict[str, Notification]:
    with sessions() as session:
        return {n.recipient: n for n in session.scalars(select(Notification))}


def test_catalog_emails_go_branded_with_reply_to_in_one_connection(
        sessions: sessionmaker[Session], sink: SmtpSink) -> None:
    _queue(sessions, "customer.payment_declined", CUSTOMER)
    _queue(sessions, "partner.payment_declined", PARTNER)

    sent = _dispatch(sessions, ManualClock(NOW), sink.port)

    assert (len(sent.sent), sent.failed, sent.deferred) == (2, 0, 0)
    mails = {m.rcpt_tos[0]: m for m in sink.messages}
    assert mails[CUSTOMER].message["Reply-To"] == "help@acme.example"
    assert "Acme Software" in mails[CUSTOMER].text()
    assert {n.status for n in _rows(sessions).values()} == {NotificationStatus.SENT}


def test_a_deferred_recipient_backs_off_and_is_given_up_after_max_attempts(
        sessions: sessionmaker[Session], sink: SmtpSink) -> None:
    _queue(sessions, "customer.renewal_reminder", CUSTOMER)
    sink.defer(CUSTOMER)
    clock = ManualClock(NOW)
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        assert _dispatch(sessions, clock, sink.port).deferred == 1
        assert _dispatch(sessions, clock, sink.port).deferred == 0  # not due yet
        with sessions() as session:
            [retry] = session.scalars(select(NotificationRetry))
            waits.append(retry.next_attempt_at - clock.now())
        clock.advance(waits[-1])

    last = _dispatch(sessions, clock, sink.port)

    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=6)
    assert last.failed == 1
    note = _rows(sessions)[CUSTOMER]
    assert (note.status, note.attempts) == (NotificationStatus.FAILED, MAX_ATTEMPTS)
    with sessions() as session:
        [letter] = session.scalars(select(DeadLetter))
    assert "451" in letter.reason
    assert f"given up after {MAX_ATTEMPTS} attempts" in letter.reason
    assert sink.messages == []


def test_an_unreachable_relay_defers_the_batch_and_says_why(
        sessions: sessionmaker[Session]) -> None:
    _queue(sessions, "partner.purchase", PARTNER)
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]  # nothing listens there once it is closed

    with pytest.raises(RetriableError, match=r"SMTP relay 127\.0\.0\.1"):
        _dispatch(sessions, ManualClock(NOW), port)

    note = _rows(sessions)[PARTNER]
    assert (note.status, note.attempts) == (NotificationStatus.PENDING, 1)
    assert note.last_error is not None
    assert "unavailable" in note.last_error
