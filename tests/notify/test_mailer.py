"""The mailer holds a real SMTP conversation (with the aiosmtpd sink)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.errors import RetriableError
from connector.notify.mailer import OutgoingEmail, SmtpMailer, SmtpSettings, message_id
from crm_emulators.smtp import SmtpSink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def _settings(sink: SmtpSink) -> SmtpSettings:
    return SmtpSettings(sink.host, sink.port, starttls=False, sender="billing@example.com")


def test_sends_text_and_html_with_a_stable_message_id(sink: SmtpSink) -> None:
    email = OutgoingEmail("csm:006A", ("dana@example.com",), "2 potential subscriptions",
                          "plain body\n", "<p>html body</p>")
    assert SmtpMailer(_settings(sink)).send_all([email]) == {"csm:006A": None}
    [received] = sink.messages
    assert received.rcpt_tos == ("dana@example.com",)
    assert received.text() == "plain body\n"
    assert received.message["Message-ID"] == message_id("csm:006A", "billing@example.com")
    assert received.message.get_body(preferencelist=("html",)) is not None


def test_unreachable_relay_is_retriable() -> None:
    settings = SmtpSettings("127.0.0.1", 1, starttls=False, sender="b@example.com", timeout=2)
    with pytest.raises(RetriableError, match="unavailable"):
        SmtpMailer(settings).send_all([OutgoingEmail("k", ("a@example.com",), "s", "t")])


def test_nothing_to_send_opens_no_connection() -> None:
    settings = SmtpSettings("127.0.0.1", 1, starttls=False, sender="b@example.com")
    assert SmtpMailer(settings).send_all([]) == {}
