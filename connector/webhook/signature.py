"""Verifying ``Stripe-Signature`` on a webhook's raw bytes, before any JSON parsing.

The HMAC comparison is stripe-python's (:class:`stripe.WebhookSignature`); the timestamp is
checked here against the injected clock, in both directions, because the SDK only rejects
old timestamps and reads the machine's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import stripe

from connector.clock import Clock
from connector.errors import ValidationRejectedError

TOLERANCE_SECONDS = 300
"""How far a signature's timestamp may be from now, either way (stripe-python's default)."""


class SignatureError(ValidationRejectedError):
    """The request is not a delivery from Stripe for our endpoint (answer 400)."""


@dataclass(frozen=True)
class SignatureVerifier:
    """Checks deliveries against the endpoint's signing secrets.

    Args:
        secrets: the current secret, then the previous one while a rotation is under way.
        clock: the time signatures' timestamps are compared with.
        tolerance: seconds a timestamp may be off, in the past or the future.
    """

    secrets: Sequence[str]
    clock: Clock
    tolerance: int = TOLERANCE_SECONDS

    def verify(self, payload: bytes, header: str | None) -> None:
        """Accept ``payload`` if one secret signed it recently enough.

        Raises:
            SignatureError: no header, no matching signature, or a timestamp out of range.
        """
        if not header:
            raise SignatureError("no Stripe-Signature header", code="no_signature")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("body is not UTF-8", code="bad_body") from None
        if not any(self._signed_by(text, header, secret) for secret in self.secrets):
            raise SignatureError("no signature matches the endpoint's secrets",
                                 code="bad_signature")
        self._check_age(_timestamp(header))

    @staticmethod
    def _signed_by(payload: str, header: str, secret: str) -> bool:
        try:
            return bool(stripe.WebhookSignature.verify_header(payload, header, secret,
                                                              tolerance=None))
        except stripe.SignatureVerificationError:
            return False

    def _check_age(self, timestamp: int) -> None:
        skew = int(self.clock.now().timestamp()) - timestamp
        if skew > self.tolerance:
            raise SignatureError(f"signature is {skew} s old (tolerance {self.tolerance} s)",
                                 code="signature_too_old")
        if -skew > self.tolerance:
            raise SignatureError(f"signature is {-skew} s in the future "
                                 f"(tolerance {self.tolerance} s)", code="signature_in_future")


def _timestamp(header: str) -> int:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    raise SignatureError("Stripe-Signature has no timestamp", code="bad_signature")
