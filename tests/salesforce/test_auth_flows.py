"""The three OAuth flows against the emulator and against each kind of login URL, and the
transparent login again when a session expires in the middle of a run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import requests
from conftest import CLIENT_ID, PUBLIC_KEY, USER, MakeClient, secrets
from requests.adapters import BaseAdapter

from connector.clock import ManualClock
from connector.errors import AuthenticationError
from connector.salesforce.auth import OAuthAuthenticator
from connector.secrets import Secrets
from crm_emulators.salesforce import SalesforceEmulator

TOKEN = "/services/oauth2/token"


@pytest.mark.parametrize("flow", ["password", "client_credentials", "jwt"])
def test_each_flow_logs_in_and_queries(flow: str, make_client: MakeClient,
                                       org: SalesforceEmulator) -> None:
    client = make_client(flow)

    users = [r["Username"] for r in client.query("SELECT Username FROM User")]

    assert users == [USER]
    assert client.instance_url == org.url
    assert org.request_count("POST", TOKEN) == 1


def test_refused_credentials_are_an_authentication_error(org: SalesforceEmulator) -> None:
    wrong = Secrets({"SALESFORCE_CLIENT_ID": CLIENT_ID, "SALESFORCE_CLIENT_SECRET": "wrong"})
    auth = OAuthAuthenticator(org.url, "client_credentials", wrong, org.requests_session())

    with pytest.raises(AuthenticationError, match="invalid_client"):
        auth.login()


def test_an_expired_session_mid_run_logs_in_again(make_client: MakeClient,
                                                  org: SalesforceEmulator,
                                                  clock: ManualClock) -> None:
    client = make_client("jwt")
    org.insert("Account", {"Name": "Acme"})
    before = list(client.query("SELECT Name FROM Account"))

    clock.advance(timedelta(hours=2))  # past the org's session_ttl of one hour
    after = list(client.query("SELECT Name FROM Account"))

    assert before == after == [{"attributes": after[0]["attributes"], "Name": "Acme"}]
    assert org.request_count("POST", TOKEN) == 2
    assert org.api_usage == 2  # the refused call did not spend the allocation


class _Recorder(BaseAdapter):
    """A transport that answers every token request and remembers it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        response = requests.Response()
        response.status_code = 200
        response._content = (b'{"access_token": "t", '
                             b'"instance_url": "https://acme.my.salesforce.com"}')
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("login_url", "audience"), [
    ("https://login.salesforce.com", "https://login.salesforce.com"),
    ("https://test.salesforce.com", "https://test.salesforce.com"),
    ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
    ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
])
@pytest.mark.parametrize("flow", ["password", "client_credentials", "jwt"])
def test_token_requests_go_to_the_login_url(login_url: str, audience: str, flow: str) -> None:
    recorder = _Recorder()
    http = requests.Session()
    http.mount("https://", recorder)

    session = OAuthAuthenticator(login_url, flow, secrets(), http).login()

    request = recorder.sent[0]
    form = {k: v[0] for k, v in parse_qs(str(request.body)).items()}
    assert request.url == login_url + TOKEN
    assert session.instance_url == "https://acme.my.salesforce.com"
    if flow == "jwt":
        claims = jwt.decode(form["assertion"], PUBLIC_KEY, algorithms=["RS256"],
                            audience=audience)
        assert claims["sub"] == USER
    else:
        assert form["grant_type"] == flow

