"""Secrets come from the environment or systemd credential files."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.secrets import Secrets


def test_environment_wins_over_credential_file(tmp_path: Path) -> None:
    (tmp_path / "STRIPE_API_KEY").write_text("sk_test_file\n")
    env = {"STRIPE_API_KEY": "sk_test_env", "CREDENTIALS_DIRECTORY": str(tmp_path)}
    secret = Secrets(env).get("STRIPE_API_KEY")
    assert secret is not None
    assert secret.get_secret_value() == "sk_test_env"


def test_credential_file_is_read_and_stripped(tmp_path: Path) -> None:
    (tmp_path / "SMTP_PASSWORD").write_text("hunter22\n")
    secret = Secrets({"CREDENTIALS_DIRECTORY": str(tmp_path)}).get("SMTP_PASSWORD")
    assert secret is not None
    assert secret.get_secret_value() == "hunter22"
    assert "hunter22" not in repr(secret)


def test_missing_secret_is_none_and_require_says_how_to_set_it() -> None:
    secrets = Secrets({})
    assert secrets.get("STRIPE_API_KEY") is None
    with pytest.raises(ConfigError) as caught:
        secrets.require("STRIPE_API_KEY", "the Stripe connector needs an API key")
    assert caught.value.problems == [
        "STRIPE_API_KEY: not set; the Stripe connector needs an API key. Set the environment "
        "variable STRIPE_API_KEY or put it in a credential file named STRIPE_API_KEY "
        "($CREDENTIALS_DIRECTORY, systemd LoadCredential=)"
    ]


def test_unknown_secret_name_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        Secrets({}).get("STRIPE_KEY")


def test_values_lists_every_set_secret(tmp_path: Path) -> None:
    (tmp_path / "SALESFORCE_PASSWORD").write_text("pw+token")
    env = {"STRIPE_API_KEY": "sk_test_1", "CREDENTIALS_DIRECTORY": str(tmp_path)}
    assert sorted(Secrets(env).values()) == ["pw+token", "sk_test_1"]
