"""Building the outbound webhook sender: only with endpoints, and never without its secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from connector.secrets import Secrets
from connector.sync.wiring import build_webhooks

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _config(tmp_path: Path, endpoints: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(endpoints, encoding="utf-8")
    return path


def test_no_endpoint_needs_no_secret(tmp_path: Path) -> None:
    assert build_webhooks(load_config(_config(tmp_path, "")), Secrets({})) is None


def test_each_endpoint_is_signed_with_its_secret(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, (
        '[[webhooks.endpoints]]\nurl = "https://a.example.com/h"\nevents = ["*"]\n'
        '[[webhooks.endpoints]]\nurl = "https://b.example.com/h"\nevents = ["*"]\n'
        'secret_name = "OUTBOUND_WEBHOOK_SECRET_B"\n')))
    environ = {"OUTBOUND_WEBHOOK_SECRET": SECRET,
               "OUTBOUND_WEBHOOK_SECRET_B": "whsec_" + "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC"}

    sender = build_webhooks(config, Secrets(environ))

    assert sender is not None
    assert sorted(sender.signers) == ["OUTBOUND_WEBHOOK_SECRET", "OUTBOUND_WEBHOOK_SECRET_B"]
    body = b"{}"
    at = sender.wall_clock.now()
    assert (sender.signers["OUTBOUND_WEBHOOK_SECRET"].headers("msg_1", at, body)
            != sender.signers["OUTBOUND_WEBHOOK_SECRET_B"].headers("msg_1", at, body))


def test_a_missing_secret_stops_the_start_with_what_to_set(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, (
        '[[webhooks.endpoints]]\nurl = "https://a.example.com/h"\nevents = ["*"]\n')))

    with pytest.raises(ConfigError) as caught:
        build_webhooks(config, Secrets({}))

    assert caught.value.problems[0].startswith(
        "OUTBOUND_WEBHOOK_SECRET: not set; outbound webhooks are signed with it")
