"""Signing: the specification's test vector, and secrets refused with a reason, never shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from connector.dispatch.webhook_transport import Signer, signers
from connector.errors import ConfigError
from connector.secrets import Secrets

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_signature_matches_the_specifications_example() -> None:
    headers = Signer("OUTBOUND_WEBHOOK_SECRET", SPEC_SECRET).headers(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(1614265330, UTC),
        b'{"test": 2432232314}')

    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"
    assert headers["webhook-id"] == "msg_p5jXN8AQM9LWM0D4loKWxJek"


def test_a_receiver_verifies_what_is_signed_now() -> None:
    body = b'{"data":{},"timestamp":"2026-12-08T00:00:00Z","type":"invoice.paid"}'
    headers = Signer("S", SPEC_SECRET).headers("msg_1", datetime.now(UTC), body)

    assert Webhook(SPEC_SECRET).verify(body, headers)["type"] == "invoice.paid"


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_c2hvcnQ=", "plain-text-secret"])
def test_a_malformed_secret_is_refused_without_showing_it(secret: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Signer("OUTBOUND_WEBHOOK_SECRET", secret)

    [problem] = caught.value.problems
    assert problem.startswith("OUTBOUND_WEBHOOK_SECRET: not a whsec_<base64> secret")
    assert secret not in problem


def test_every_missing_secret_is_named_with_where_to_put_it() -> None:
    environ = {"OUTBOUND_WEBHOOK_SECRET": SPEC_SECRET}

    with pytest.raises(ConfigError) as caught:
        signers(["OUTBOUND_WEBHOOK_SECRET", "OUTBOUND_WEBHOOK_SECRET_PARTNER"], Secrets(environ))

    [problem] = caught.value.problems
    assert problem.startswith("OUTBOUND_WEBHOOK_SECRET_PARTNER: not set")
    assert "CREDENTIALS_DIRECTORY" in problem


def test_endpoint_secrets_are_read_from_credentials_and_redacted(tmp_path: object) -> None:
    from pathlib import Path  # noqa: PLC0415

    folder = Path(str(tmp_path))
    (folder / "OUTBOUND_WEBHOOK_SECRET_PARTNER").write_text(SPEC_SECRET + "\n", encoding="utf-8")
    secrets = Secrets({"CREDENTIALS_DIRECTORY": str(folder)})

    assert set(signers(["OUTBOUND_WEBHOOK_SECRET_PARTNER"], secrets)) == {
        "OUTBOUND_WEBHOOK_SECRET_PARTNER"}
    assert SPEC_SECRET in secrets.values()  # the log redactor hides it
