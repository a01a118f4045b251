"""The SMTP sink, driven by the standard library's smtplib (a real SMTP conversation)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

from crm_emulators.smtp import SmtpSink


def _message(to: str = "csm@example.com") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "billing-sync@example.com"
    msg["To"] = to
    msg["Subject"] = "2 potential subscriptions for Acme"
    msg.set_content("Hello,\nplease review.")
    msg.add_alternative("<p>Hello, please review.</p>", subtype="html")
    return msg


@pytest.fixture
def plain_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def test_sink_keeps_messages_with_envelope_and_text_body(plain_sink: SmtpSink) -> None:
    with smtplib.SMTP(plain_sink.host, plain_sink.port) as client:
        client.send_message(_message())
    [received] = plain_sink.messages
    assert received.mail_from == "billing-sync@example.com"
    assert received.rcpt_tos == ("csm@example.com",)
    assert received.subject == "2 potential subscriptions for Acme"
    assert received.text() == "Hello,\nplease review.\n"


def test_clear_forgets_messages(plain_sink: SmtpSink) -> None:
    with smtplib.SMTP(plain_sink.host, plain_sink.port) as client:
        client.send_message(_message())
    plain_sink.clear()
    assert plain_sink.messages == []


def test_starttls_and_auth_are_required_when_configured(tmp_path: Path) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with SmtpSink(tls=server_context, credentials=("mailer", "s3cret")) as sink:
        with smtplib.SMTP(sink.host, sink.port) as client, pytest.raises(
            smtplib.SMTPSenderRefused
        ):
            client.send_message(_message())
        with smtplib.SMTP(sink.host, sink.port) as client:
            client.starttls(context=client_context)
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("mailer", "wrong")
            client.login("mailer", "s3cret")
            client.send_message(_message("partner@example.com"))
        assert [m.rcpt_tos for m in sink.messages] == [("partner@example.com",)]


def test_a_refused_recipient_gets_550_and_nothing_is_kept(plain_sink: SmtpSink) -> None:
    plain_sink.refuse("Gone@example.com")
    with smtplib.SMTP(plain_sink.host, plain_sink.port) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.send_message(_message("gone@example.com"))
        client.send_message(_message("csm@example.com"))

    assert refused.value.recipients["gone@example.com"][0] == 550
    assert [m.rcpt_tos for m in plain_sink.messages] == [("csm@example.com",)]
