"""CSM digests: the ready notifications of one CSM go out as one email (both backends).

Real SMTP (the aiosmtpd sink), the shipped templates and a real ledger; the queued rows are
those :mod:`connector.workflows.potential` writes, one per won opportunity.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import ManualClock
from connector.dispatch.notifications import Notifications, Sent
from connector.ledger import links
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import DeadLetter, Notification, NotificationStatus, System
from connector.ledger.unit_of_work import Ledger
from connector.notify.mailer import SmtpMailer, SmtpSettings, message_id
from connector.notify.templates import TemplateRenderer
from connector.notify.urls import SalesforceUrls
from connector.workflows.potential import CSM_EMAIL_KIND
from crm_emulators.smtp import ReceivedMessage, SmtpSink

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
BASE = "https://acme.my.salesforce.com"
LIST_VIEW = f"{BASE}/lightning/o/Subscription__c/list?filterName=Potential_Subscriptions"
DANA = "dana.whitfield@example.com"
OMAR = "omar.haddad@example.com"
SENDER = "billing-sync@example.com"


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


class Queue:
    """Queues notifications as the potential-subscription step does, links records as the
    Salesforce write step does, and dispatches."""

    def __init__(self, sessions: sessionmaker[Session], sink: SmtpSink) -> None:
        self.sessions = sessions
        self.sink = sink
        self._opportunities = 0

    def won(self, recipient: str, account: str, opportunity: str, lines: int = 1, *,
            linked: bool = True) -> list[str]:
        """Queue one won opportunity's notification; return its subscriptions' ledger ids."""
        self._opportunities += 1
        n = self._opportunities
        ids = [f"sub-{n:03d}-{i:03d}" for i in range(lines)]
        data = {"csm": {"name": recipient.split(".", maxsplit=1)[0].title(), "id": "005"},
                "account": {"name": account, "salesforce_id": f"001{n:03d}"},
                "opportunity": {"name": opportunity, "salesforce_id": f"006{n:03d}", "won": True},
                "lines": [_line(ledger_id, f"{opportunity} product {i}")
                          for i, ledger_id in enumerate(ids)]}
        with self.sessions() as session, session.begin():
            session.add(Notification(key=f"{CSM_EMAIL_KIND}:opp-{n}:{ids[0]}",
                                     kind=CSM_EMAIL_KIND, recipient=recipient,
                                     subject=f"Potential subscriptions for {opportunity}",
                                     data=data, created_at=NOW))
        if linked:
            self.link(ids)
        return ids

    def link(self, ledger_ids: list[str]) -> None:
        """Give the subscriptions their Salesforce ids."""
        with self.sessions() as session, session.begin():
            for ledger_id in ledger_ids:
                links.link(session, entity_type="subscription", entity_id=ledger_id,
                           system=System.SALESFORCE, object_type="Subscription__c",
                           external_id=f"a0X{ledger_id}")

    def dispatch(self, mailer: SmtpMailer | None = None) -> Sent:
        settings = SmtpSettings(self.sink.host, self.sink.port, starttls=False, sender=SENDER)
        notifications = Notifications(
            Ledger(self.sessions, ManualClock(NOW), "run-1"), mailer or SmtpMailer(settings),
            TemplateRenderer(REPO / "templates"), SalesforceUrls(BASE))
        return notifications.dispatch()

    def statuses(self) -> dict[str, str]:
        with self.sessions() as session:
            return {n.key: n.status for n in session.scalars(select(Notification))}

    def mail_to(self, recipient: str) -> ReceivedMessage:
        [mail] = [m for m in self.sink.messages if m.rcpt_tos == (recipient,)]
        return mail


def _line(ledger_id: str, product: str) -> dict[str, Any]:
    return {"ledger_id": ledger_id, "product": product, "quantity": 1, "unit_price": "499.00",
            "amount": "499.00", "currency": "USD", "start_date": "2026-11-23",
            "term_months": 12}


@pytest.fixture
def queue(sessions: sessionmaker[Session], sink: SmtpSink) -> Queue:
    return Queue(sessions, sink)


def test_one_csm_with_three_won_opportunities_gets_one_email_listing_all_three(
        queue: Queue) -> None:
    queue.won(DANA, "Initech", "Initech - renewal")
    first = queue.won(DANA, "Acme Robotics", "Acme - rollout", lines=2)
    queue.won(DANA, "Acme Robotics", "Acme - add-on")

    sent = queue.dispatch()

    assert (len(sent.sent), sent.delivered, sent.waiting, sent.failed) == (1, 3, 0, 0)
    [mail] = queue.sink.messages
    assert mail.rcpt_tos == (DANA,)
    assert mail.subject == "4 potential subscriptions to review"
    text = mail.text()
    order = [text.index(name) for name in ("Acme - add-on (Acme Robotics)",
                                           "Acme - rollout (Acme Robotics)",
                                           "Initech - renewal (Initech)")]
    assert order == sorted(order)  # by account, then opportunity
    assert "Acme - rollout product 1" in text
    assert f"{BASE}/lightning/r/Subscription__c/a0X{first[1]}/view" in text
    assert f"{BASE}/lightning/r/Opportunity/006002/view" in text
    assert set(queue.statuses().values()) == {NotificationStatus.SENT}


def test_two_csms_get_one_email_each_listing_only_their_own(queue: Queue) -> None:
    queue.won(DANA, "Acme Robotics", "Acme - rollout")
    queue.won(OMAR, "Globex Health", "Globex - support")
    queue.won(DANA, "Acme Robotics", "Acme - add-on")

    sent = queue.dispatch()

    assert len(sent.sent) == 2
    assert sorted(m.rcpt_tos for m in queue.sink.messages) == [(DANA,), (OMAR,)]
    dana, omar = queue.mail_to(DANA).text(), queue.mail_to(OMAR).text()
    assert "Acme - rollout" in dana
    assert "Acme - add-on" in dana
    assert "Globex" not in dana
    assert "Globex - support" in omar
    assert "Acme" not in omar


def test_past_fifty_lines_a_digest_lists_fifty_counts_the_rest_and_links_the_list_view(
        queue: Queue) -> None:
    queue.won(DANA, "Acme Robotics", "Acme - big rollout", lines=45)
    queue.won(DANA, "Acme Robotics", "Acme - second site", lines=15)

    sent = queue.dispatch()

    [mail] = queue.sink.messages
    assert mail.subject == "60 potential subscriptions to review"
    text = mail.text()
    assert text.count("/lightning/r/Subscription__c/") == 50
    assert "Acme - second site product 4:" in text
    assert "Acme - second site product 5:" not in text
    assert "...and 10 more not listed here" in text
    assert f"See them all in Salesforce:\n{LIST_VIEW}\n" in text
    assert (len(sent.sent), sent.delivered) == (1, 2)
    assert set(queue.statuses().values()) == {NotificationStatus.SENT}  # the 10 too


def test_a_second_dispatch_with_nothing_new_sends_nothing(queue: Queue) -> None:
    queue.won(DANA, "Acme Robotics", "Acme - rollout")
    queue.dispatch()

    again = queue.dispatch()

    assert (again.sent, again.delivered, again.waiting) == ([], 0, 0)
    assert len(queue.sink.messages) == 1


def test_a_row_waiting_for_its_salesforce_id_does_not_hold_back_the_others(
        queue: Queue) -> None:
    queue.won(DANA, "Acme Robotics", "Acme - rollout")
    late = queue.won(DANA, "Acme Robotics", "Acme - not written yet", linked=False)
    queue.won(DANA, "Globex Health", "Globex - support")

    first = queue.dispatch()
    queue.link(late)
    second = queue.dispatch()
    third = queue.dispatch()

    assert (len(first.sent), first.delivered, first.waiting) == (1, 2, 1)
    assert (len(second.sent), second.delivered, second.waiting) == (1, 1, 0)
    assert third.sent == []
    before, after = queue.sink.messages
    assert "Acme - not written yet" not in before.text()
    assert "Globex - support" in before.text()
    assert after.subject == "1 potential subscription to review"
    assert "Acme - not written yet" in after.text()
    assert "Acme - rollout" not in after.text()
    assert "Globex" not in after.text()


def test_a_refused_digest_dead_letters_each_of_its_rows_and_others_still_go(
        queue: Queue) -> None:
    queue.won("gone@example.com", "Acme Robotics", "Acme - rollout")
    queue.won("gone@example.com", "Acme Robotics", "Acme - add-on")
    queue.won(OMAR, "Globex Health", "Globex - support")
    queue.sink.refuse("gone@example.com")

    sent = queue.dispatch()
    again = queue.dispatch()

    assert (len(sent.sent), sent.delivered, sent.failed) == (1, 1, 2)
    assert [m.rcpt_tos for m in queue.sink.messages] == [(OMAR,)]
    statuses = queue.statuses()
    assert sorted(statuses.values()) == ["failed", "failed", "sent"]
    with queue.sessions() as session:
        letters = list(session.scalars(select(DeadLetter).order_by(DeadLetter.id)))
    assert sorted(letter.record_key for letter in letters) == sorted(
        key for key, status in statuses.items() if status == "failed")
    assert all("SMTP refused" in letter.reason for letter in letters)
    assert all((letter.payload or {})["recipient"] == "gone@example.com" for letter in letters)
    assert again.sent == []


def test_a_row_without_a_recipient_is_dead_lettered_and_the_rest_go(queue: Queue) -> None:
    queue.won("", "Initech", "Initech - legacy")
    queue.won(DANA, "Acme Robotics", "Acme - rollout")

    sent = queue.dispatch()

    assert (len(sent.sent), sent.failed) == (1, 1)
    with queue.sessions() as session:
        [letter] = session.scalars(select(DeadLetter))
    assert letter.reason == "the CSM has no email address in Salesforce"
    assert [m.rcpt_tos for m in queue.sink.messages] == [(DANA,)]


def test_a_digest_is_recorded_once_with_its_text_and_a_stable_message_id(
        queue: Queue) -> None:
    queue.won(DANA, "Acme Robotics", "Acme - rollout")
    queue.won(DANA, "Acme Robotics", "Acme - add-on")

    [email] = queue.dispatch().sent

    [mail] = queue.sink.messages
    assert mail.message["Message-ID"] == message_id(email.key, SENDER)
    with queue.sessions() as session:
        rows = list(session.scalars(select(Notification).order_by(Notification.id)))
    assert {(r.subject, r.attempts, r.sent_at is not None) for r in rows} == {
        ("2 potential subscriptions to review", 1, True)}
    bodies = {r.key: r.body or "" for r in rows}
    assert sum(body == email.text for body in bodies.values()) == 1
    assert all(email.key in body for body in bodies.values() if body != email.text)
