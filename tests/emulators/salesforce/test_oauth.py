"""The OAuth token endpoint: password, client credentials and JWT bearer grants, raw and
through the daemon's own authenticator."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce.api import Salesforce

from connector.errors import AuthenticationError
from connector.salesforce.auth import OAuthAuthenticator
from connector.secrets import Secrets
from crm_emulators.salesforce import SalesforceEmulator

USER, PASSWORD = "integration@example.com", "secret-pw"
TOKEN_PATH = "/services/oauth2/token"


def _token(emu: SalesforceEmulator, **form: str) -> requests.Response:
    return emu.requests_session().post(emu.url + TOKEN_PATH, data=form)


def _keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def test_password_grant_answers_a_usable_token(emulator: SalesforceEmulator) -> None:
    answer = _token(emulator, grant_type="password", client_id="client-1",
                    client_secret="client-secret", username=USER, password=PASSWORD)
    body = answer.json()

    assert answer.status_code == 200
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at",
                         "signature", "scope"}
    assert (body["instance_url"], body["token_type"]) == (emulator.url, "Bearer")
    assert body["id"].startswith(f"{emulator.url}/id/00D")
    assert body["issued_at"] == "1795341600000"
    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"],
                    session=emulator.requests_session(), version="62.0")
    assert sf.query("SELECT Username FROM User")["records"][0]["Username"] == USER
    assert emulator.api_usage == 1


@pytest.mark.parametrize(("form", "error", "description"), [
    ({"client_id": "nope", "client_secret": "x", "username": USER, "password": PASSWORD},
     "invalid_client_id", "client identifier invalid"),
    ({"client_id": "client-1", "client_secret": "wrong", "username": USER,
      "password": PASSWORD}, "invalid_client", "invalid client credentials"),
    ({"client_id": "client-1", "client_secret": "client-secret", "username": USER,
      "password": "wrong"}, "invalid_grant", "authentication failure"),
])
def test_password_grant_refusals(emulator: SalesforceEmulator, form: dict[str, str],
                                 error: str, description: str) -> None:
    answer = _token(emulator, grant_type="password", **form)

    assert answer.status_code == 400
    assert answer.json() == {"error": error, "error_description": description}


def test_client_credentials_run_as_the_configured_user(emulator: SalesforceEmulator) -> None:
    emulator.add_connected_app("no-user", "s")

    good = _token(emulator, grant_type="client_credentials", client_id="client-1",
                  client_secret="client-secret")
    refused = _token(emulator, grant_type="client_credentials", client_id="no-user",
                     client_secret="s")
    unsupported = _token(emulator, grant_type="authorization_code", code="x")

    assert good.status_code == 200
    assert good.json()["id"].endswith(emulator.records("User")[0]["Id"])
    assert refused.json() == {"error": "invalid_grant",
                              "error_description": "no client credentials user enabled"}
    assert unsupported.json()["error"] == "unsupported_grant_type"
    assert emulator.api_usage == 0


def _assertion(private: str, **claims: Any) -> str:
    return jwt.encode({"iss": "jwt-app", "sub": USER, "exp": int(time.time()) + 180,
                       **claims}, private, algorithm="RS256")


def test_jwt_bearer_grant_verifies_signature_audience_and_user(
        emulator: SalesforceEmulator) -> None:
    private, public = _keys()
    other_private, _ = _keys()
    emulator.add_connected_app("jwt-app", "unused", jwt_public_key_pem=public)
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    def attempt(key: str, **claims: Any) -> dict[str, Any]:
        return dict(_token(emulator, grant_type=grant, assertion=_assertion(key, **claims))
                    .json())

    assert "access_token" in attempt(private, aud=emulator.url)
    assert "access_token" in attempt(private, aud="https://login.salesforce.com")
    assert attempt(other_private, aud=emulator.url)["error"] == "invalid_grant"
    assert attempt(private, aud="https://elsewhere.example")["error_description"] == (
        "audience is invalid")
    assert attempt(private, aud=emulator.url, sub="who@example.com")["error_description"] == (
        "user hasn't approved this consumer")
    assert attempt(private, aud=emulator.url, iss="unknown")["error"] == "invalid_client_id"
    assert attempt(private, aud=emulator.url, exp=int(time.time()) - 600)["error"] == (
        "invalid_grant")


@pytest.mark.parametrize("flow", ["password", "client_credentials", "jwt"])
def test_the_daemon_authenticator_logs_in_with_each_flow(emulator: SalesforceEmulator,
                                                         flow: str) -> None:
    private, public = _keys()
    emulator.add_connected_app("jwt-app", "unused", jwt_public_key_pem=public)
    secrets = Secrets({
        "SALESFORCE_CLIENT_ID": "jwt-app" if flow == "jwt" else "client-1",
        "SALESFORCE_CLIENT_SECRET": "client-secret", "SALESFORCE_USERNAME": USER,
        "SALESFORCE_PASSWORD": PASSWORD, "SALESFORCE_PRIVATE_KEY": private})

    session = OAuthAuthenticator(emulator.url, flow, secrets,
                                 emulator.requests_session()).login()

    assert session.instance_url == emulator.url
    sf = Salesforce(instance_url=session.instance_url,
                    session_id=session.access_token.get_secret_value(),
                    session=emulator.requests_session(), version="62.0")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_the_daemon_authenticator_reports_refusals(emulator: SalesforceEmulator) -> None:
    secrets = Secrets({"SALESFORCE_CLIENT_ID": "client-1",
                       "SALESFORCE_CLIENT_SECRET": "wrong"})

    with pytest.raises(AuthenticationError, match="invalid_client"):
        OAuthAuthenticator(emulator.url, "client_credentials", secrets,
                           emulator.requests_session()).login()
