"""Fixtures of the Salesforce adapter tests: an emulated org on a manual clock with the three
kinds of OAuth client, and a factory of metered clients logged in to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connector.clock import ManualClock
from connector.retry import NO_WAIT, RetryPolicy
from connector.salesforce.auth import OAuthAuthenticator
from connector.salesforce.client import ApiMeter, SalesforceClient
from connector.secrets import Secrets
from crm_emulators.salesforce import SalesforceEmulator

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
USER, PASSWORD = "integration@example.com", "integration-pw"
CLIENT_ID, CLIENT_SECRET = "adapter-app", "adapter-secret"  # emulator-only credentials


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


PRIVATE_KEY, PUBLIC_KEY = _key_pair()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def org(clock: ManualClock) -> Iterator[SalesforceEmulator]:
    """An org whose connected app allows password, client-credentials and JWT logins."""
    emulator = SalesforceEmulator(clock, session_ttl=3600).start()
    emulator.add_user(USER, PASSWORD, name="Integration User", email=USER)
    emulator.add_connected_app(CLIENT_ID, CLIENT_SECRET, run_as_username=USER,
                               jwt_public_key_pem=PUBLIC_KEY)
    try:
        yield emulator
    finally:
        emulator.stop()


def secrets() -> Secrets:
    """Every secret any of the three flows needs."""
    return Secrets({"SALESFORCE_CLIENT_ID": CLIENT_ID, "SALESFORCE_CLIENT_SECRET": CLIENT_SECRET,
                    "SALESFORCE_USERNAME": USER, "SALESFORCE_PASSWORD": PASSWORD,
                    "SALESFORCE_PRIVATE_KEY": PRIVATE_KEY})


MakeClient = Callable[..., SalesforceClient]


@pytest.fixture
def make_client(org: SalesforceEmulator) -> MakeClient:
    """Builds a client the way the daemon does, logged in with ``flow``."""

    def build(flow: str = "client_credentials", retry: RetryPolicy = NO_WAIT,
              max_share: float = 1.0) -> SalesforceClient:
        http = org.requests_session()
        auth = OAuthAuthenticator(org.url, flow, secrets(), http, timeout=10)
        return SalesforceClient(auth, http, "62.0", retry, ApiMeter(max_share=max_share))

    return build


@pytest.fixture
def client(make_client: MakeClient) -> SalesforceClient:
    return make_client()
