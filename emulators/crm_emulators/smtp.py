"""An SMTP sink (aiosmtpd) that keeps every message it receives, for the demo and tests.

It speaks real SMTP: optional STARTTLS (with a caller-supplied server context, e.g. from the
emulators' throwaway CA) and optional AUTH PLAIN/LOGIN against one username and password.
A recipient named with :meth:`SmtpSink.refuse` is answered ``550 5.1.1`` at ``RCPT TO``, as a
relay does for a mailbox that does not exist (RFC 5321 §3.3, RFC 3463); one named with
:meth:`SmtpSink.defer` ``451 4.3.0`` (a temporary failure: the client tries again later). A
sender named with :meth:`SmtpSink.refuse_sender` is answered ``553 5.7.1`` at ``MAIL FROM``
(the relay does not let that address send).
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the sink received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        """The decoded Subject header."""
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        """The text/plain body (or the HTML one when there is none), with ``\n`` newlines."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        content = "" if part is None else cast(EmailMessage, part).get_content()
        return str(content).replace("\r\n", "\n")


class _Collector:
    """aiosmtpd handler: parse and keep each message."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMessage] = []
        self.refused: set[str] = set()
        self.deferred: set[str] = set()
        self.refused_senders: set[str] = set()
        self.lock = threading.Lock()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, mail_options: list[str]) -> str:
        with self.lock:
            refused = address.lower() in self.refused_senders
        if refused:
            return "553 5.7.1 Sender address rejected: not permitted to send"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        with self.lock:
            refused = address.lower() in self.refused
            deferred = address.lower() in self.deferred
        if refused:
            return "550 5.1.1 Mailbox unavailable"
        if deferred:
            return "451 4.3.0 Temporary failure, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        received = ReceivedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), parsed)
        with self.lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"


class _Authenticator:
    """Accepts exactly one username and password."""

    def __init__(self, username: str, password: str) -> None:
        self._expected = (username.encode(), password.encode())

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            (auth_data.login, auth_data.password) == self._expected
        )
        return AuthResult(success=ok, handled=False)


class SmtpSink:
    """An SMTP server on loopback that stores what it receives.

    Args:
        port: port to listen on; 0 picks a free one.
        tls: a server SSL context to offer STARTTLS with; plain SMTP when None.
        credentials: (username, password) to require AUTH with; no AUTH when None.
    """

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None,
                 credentials: tuple[str, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or _free_port(self.host)
        self._collector = _Collector()
        self._controller = Controller(
            self._collector, hostname=self.host, port=self.port,
            tls_context=tls, require_starttls=tls is not None,
            auth_required=credentials is not None, auth_require_tls=tls is not None,
            authenticator=_Authenticator(*credentials) if credentials else None,
        )

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of every message received so far, oldest first."""
        with self._collector.lock:
            return list(self._collector.messages)

    def refuse(self, address: str) -> None:
        """Refuse every later message to ``address`` (550 at RCPT TO)."""
        with self._collector.lock:
            self._collector.refused.add(address.lower())

    def defer(self, address: str, deferring: bool = True) -> None:
        """Answer later messages to ``address`` with a temporary failure (451 at RCPT TO),
        or stop doing so."""
        with self._collector.lock:
            (self._collector.deferred.add if deferring
             else self._collector.deferred.discard)(address.lower())

    def refuse_sender(self, address: str) -> None:
        """Refuse every later message from ``address`` (553 at MAIL FROM)."""
        with self._collector.lock:
            self._collector.refused_senders.add(address.lower())

    def clear(self) -> None:
        """Forget every message received so far."""
        with self._collector.lock:
            self._collector.messages.clear()

    def start(self) -> SmtpSink:
        """Start accepting connections in a background thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server."""
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
