"""When the daemon serves the receiver: configured, and with a signing secret."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import SystemClock
from connector.config import StripeConfig
from connector.errors import ConfigError
from connector.ledger.database import make_engine, migrate, session_factory
from connector.secrets import Secrets
from connector.webhook.server import webhook_server


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    return session_factory(engine)


def test_off_means_no_receiver(sessions: sessionmaker[Session]) -> None:
    settings = StripeConfig(webhook_listen="off")
    secrets = Secrets({"STRIPE_WEBHOOK_SECRET": "whsec_x"})

    assert webhook_server(settings, secrets, sessions, SystemClock()) is None


def test_without_a_signing_secret_the_receiver_stays_off(
        sessions: sessionmaker[Session]) -> None:
    settings = StripeConfig(webhook_listen="127.0.0.1:0")

    assert webhook_server(settings, Secrets({}), sessions, SystemClock()) is None


def test_with_a_secret_it_binds_the_configured_interface(
        sessions: sessionmaker[Session]) -> None:
    settings = StripeConfig(webhook_listen="127.0.0.1:0")
    server = webhook_server(settings, Secrets({"STRIPE_WEBHOOK_SECRET": "whsec_x"}), sessions,
                            SystemClock())

    assert server is not None
    assert server.url.startswith("http://127.0.0.1:")
    assert server.url.endswith("/webhooks/stripe")
    server.start().stop()


def test_an_address_in_use_is_a_config_error(sessions: sessionmaker[Session]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = StripeConfig(webhook_listen=f"127.0.0.1:{taken.getsockname()[1]}")

        with pytest.raises(ConfigError) as refused:
            webhook_server(settings, Secrets({"STRIPE_WEBHOOK_SECRET": "whsec_x"}), sessions,
                           SystemClock())

    assert refused.value.problems[0].startswith("stripe.webhook_listen: cannot listen on")
