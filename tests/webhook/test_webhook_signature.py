"""``Stripe-Signature`` checks: the HMAC on the raw bytes, and the timestamp both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import stripe

from connector.clock import ManualClock
from connector.webhook.signature import SignatureError, SignatureVerifier

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BODY = b'{"id": "evt_1", "object": "event"}'


def _header(secret: str, at: datetime, body: bytes = BODY) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret,
                                                             int(at.timestamp()))


@pytest.fixture
def verifier() -> SignatureVerifier:
    return SignatureVerifier(["whsec_new", "whsec_old"], ManualClock(NOW))


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_a_timestamp_within_300_seconds_either_way_is_accepted(
        verifier: SignatureVerifier, offset: int) -> None:
    verifier.verify(BODY, _header("whsec_new", NOW + timedelta(seconds=offset)))


@pytest.mark.parametrize(("offset", "code"), [(-301, "signature_too_old"),
                                              (301, "signature_in_future")])
def test_a_timestamp_beyond_the_tolerance_is_refused(
        verifier: SignatureVerifier, offset: int, code: str) -> None:
    with pytest.raises(SignatureError) as refused:
        verifier.verify(BODY, _header("whsec_new", NOW + timedelta(seconds=offset)))

    assert refused.value.code == code


def test_either_secret_of_a_rotation_is_accepted(verifier: SignatureVerifier) -> None:
    verifier.verify(BODY, _header("whsec_old", NOW))


def test_one_matching_signature_among_several_is_enough(verifier: SignatureVerifier) -> None:
    good = _header("whsec_new", NOW)
    verifier.verify(BODY, f"{good},v1={'0' * 64}")


@pytest.mark.parametrize("header", [None, "", "garbage", f"t={int(NOW.timestamp())}",
                                    f"t={int(NOW.timestamp())},v1={'0' * 64}"])
def test_a_missing_malformed_or_wrong_header_is_refused(
        verifier: SignatureVerifier, header: str | None) -> None:
    with pytest.raises(SignatureError):
        verifier.verify(BODY, header)


def test_the_signature_covers_the_exact_bytes(verifier: SignatureVerifier) -> None:
    header = _header("whsec_new", NOW)

    with pytest.raises(SignatureError):
        verifier.verify(BODY.replace(b" ", b""), header)  # same JSON, other bytes
