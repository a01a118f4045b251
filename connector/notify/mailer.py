"""Sending email over SMTP: a real conversation with the configured relay.

A refusal of one message (sender, recipient or data) does not stop the batch: a 4xx reply is
temporary (retried later with backoff by the dispatcher), a 5xx one permanent (dead-lettered
with the server's reply). A relay that cannot be reached at all fails the whole batch.

A message's ``Message-ID`` is derived from its notification key, so if a crash makes the
daemon send a message twice (SMTP accepted it, the ledger had not yet recorded that), mail
clients that deduplicate by Message-ID show it once.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from connector.errors import RetriableError, SkippableError


@dataclass(frozen=True)
class OutgoingEmail:
    """One email to send.

    Attributes:
        key: the notification's stable key (becomes the Message-ID).
        to: recipient addresses.
        subject: the subject line.
        text: the plain-text body.
        html: an optional HTML alternative.
    """

    key: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the relay. Credentials come from secrets, never from the config file."""

    host: str
    port: int
    starttls: bool
    sender: str
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None


class SmtpMailer:
    """Sends :class:`OutgoingEmail` through one SMTP connection per batch."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send_all(self, emails: list[OutgoingEmail]) -> dict[str, Exception | None]:
        """Send every email; return, per key, None when accepted or the error it met.

        Raises:
            RetriableError: the relay could not be reached at all.
        """
        if not emails:
            return {}
        try:
            with self._connect() as smtp:
                return {email.key: self._send_one(smtp, email) for email in emails}
        except (OSError, smtplib.SMTPException) as exc:
            raise RetriableError(f"SMTP relay {self._settings.host}:{self._settings.port} "
                                 f"unavailable: {type(exc).__name__}: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.starttls:
            smtp.starttls(context=s.tls_context or ssl.create_default_context())
        if s.username and s.password:
            smtp.login(s.username, s.password)
        return smtp

    def _send_one(self, smtp: smtplib.SMTP, email: OutgoingEmail) -> Exception | None:
        try:
            smtp.send_message(self._build(email))
        except (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused,
                smtplib.SMTPDataError) as exc:
            return refusal(exc)
        return None

    def _build(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = ", ".join(email.to)
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id(email.key, self._settings.sender)
        if email.reply_to:
            message["Reply-To"] = email.reply_to
        message.set_content(email.text)
        if email.html is not None:
            message.add_alternative(email.html, subtype="html")
        return message


def refusal(exc: smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused) -> Exception:
    """What a refusal means: a 4xx reply is temporary (:class:`RetriableError`, try again
    later), any other a permanent refusal (:class:`SkippableError`, code ``SMTP_REFUSED``)."""
    text: bytes | str
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        code, text = min(replies) if replies else (550, b"every recipient refused")
    else:
        code, text = exc.smtp_code, exc.smtp_error
    reason = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    what = f"SMTP refused the message: {code} {reason}"
    if 400 <= code < 500:
        return RetriableError(f"{what} (temporary; tried again later)")
    return SkippableError(what, code="SMTP_REFUSED")


def message_id(key: str, sender: str) -> str:
    """A stable Message-ID for a notification key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1]
    return f"<{digest}@{domain}>"
