"""Signing and sending one outbound webhook request (the Standard Webhooks headers).

:class:`Signer` wraps the ``standardwebhooks`` library's ``Webhook``: ``webhook-signature``
is ``v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`` with the
endpoint's ``whsec_<base64>`` secret, ``webhook-timestamp`` the attempt's time in integer
seconds (so a receiver's 5-minute tolerance applies to each retry). :class:`Transport` is the
one-method seam tests replace; :class:`HttpTransport` POSTs with ``requests``, never
following a redirect (a 3xx is a failure, as the specification says), and turns every
connection problem and timeout into :class:`TransportFailure`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from math import floor
from typing import Protocol

import requests
from standardwebhooks.webhooks import Webhook

from connector.errors import ConfigError
from connector.secrets import Secrets

USER_AGENT = "crm-connector-webhooks/1"
SECRET_BYTES = (24, 64)
"""The decoded length of a secret the specification allows."""
GENERATE = ("python3 -c \"import base64,os; print('whsec_' + "
            "base64.b64encode(os.urandom(32)).decode())\"")


class TransportFailure(Exception):  # noqa: N818 (a failure of the transport, by name)
    """No HTTP answer: the connection failed or the receiver did not answer in time."""


@dataclass(frozen=True)
class Answer:
    """The receiver's HTTP answer: its status and the start of its body (for the admin)."""

    status: int
    text: str = ""


class Transport(Protocol):
    """Sends one POST; the seam tests replace."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str],
             timeout: float) -> Answer:
        """POST ``body`` to ``url`` and return the answer.

        Raises:
            TransportFailure: no answer (connection refused, reset, DNS, TLS, timeout).
        """
        ...


class HttpTransport:
    """:class:`Transport` over a ``requests`` session (one per thread: sessions are not
    thread-safe, so each call opens its own)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str],
             timeout: float) -> Answer:
        """POST without following redirects; see :meth:`Transport.post`."""
        try:
            with requests.Session() as session:
                response = session.post(url, data=body, headers=dict(headers),
                                        timeout=(timeout, timeout), allow_redirects=False)
                return Answer(response.status_code, response.text[:200])
        except requests.Timeout:
            raise TransportFailure(f"no answer within {timeout:g} s") from None
        except requests.RequestException as exc:
            raise TransportFailure(f"cannot connect: {type(exc).__name__}") from None


class Signer:
    """Signs outbound webhooks with one ``whsec_`` secret.

    Args:
        name: the secret's name (for error messages; the value is never shown).
        secret: ``whsec_<base64>``, 24 to 64 bytes once decoded.

    Raises:
        ConfigError: the secret is not base64, or of the wrong length.
    """

    def __init__(self, name: str, secret: str) -> None:
        raw = secret.removeprefix("whsec_")
        try:
            size = len(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError):
            size = -1
        if not SECRET_BYTES[0] <= size <= SECRET_BYTES[1]:
            raise ConfigError([f"{name}: not a whsec_<base64> secret of 24 to 64 bytes; make "
                               f"one with: {GENERATE}"])
        self._webhook = Webhook(secret)

    def headers(self, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
        """The Standard Webhooks headers of one attempt sent at ``at``."""
        return {"webhook-id": msg_id, "webhook-timestamp": str(floor(at.timestamp())),
                "webhook-signature": self._webhook.sign(msg_id, at, body),
                "content-type": "application/json", "user-agent": USER_AGENT}


def signers(names: list[str], secrets: Secrets) -> dict[str, Signer]:
    """A :class:`Signer` for every secret name the endpoints use.

    Raises:
        ConfigError: a secret is missing or malformed (every problem at once).
    """
    found, problems = {}, []
    for name in names:
        try:
            value = secrets.require(name, "outbound webhooks are signed with it")
            found[name] = Signer(name, value.get_secret_value())
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return found
