"""The Salesforce OAuth token exchange, done by the daemon itself.

Three flows, chosen by ``[salesforce] auth``:

- ``password``: a connected app plus a user's password with the security token appended;
- ``client_credentials``: a connected app that runs as its configured user (needs a My Domain
  URL as ``login_url``; login.salesforce.com refuses this grant);
- ``jwt``: the JWT bearer flow, an RS256 assertion signed with the app's private key.

The result is an instance URL and an access token handed to simple-salesforce.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import jwt
import requests
from pydantic import SecretStr

from connector.errors import AuthenticationError, RetriableError
from connector.secrets import Secrets

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a URL path, not a secret)
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_SECONDS = 180


@dataclass(frozen=True)
class SalesforceSession:
    """An authenticated session: where the org lives and the bearer token for it."""

    instance_url: str
    access_token: SecretStr


class Authenticator(Protocol):
    """Something that can obtain a fresh Salesforce session."""

    def login(self) -> SalesforceSession:
        """Exchange credentials for a new session.

        Raises:
            AuthenticationError: the credentials were refused.
            RetriableError: Salesforce could not be reached or failed.
        """
        ...


class OAuthAuthenticator:
    """Performs one of the OAuth flows against ``login_url``.

    Args:
        login_url: login.salesforce.com, test.salesforce.com, a My Domain URL or an emulator.
        flow: ``password``, ``client_credentials`` or ``jwt``.
        secrets: where the client id, secret, username, password or key come from.
        http: the requests session to use (carries the CA bundle and timeouts).
        timeout: seconds before the token request is abandoned.
    """

    def __init__(self, login_url: str, flow: str, secrets: Secrets, http: requests.Session,
                 timeout: float = 30.0) -> None:
        self._login_url = login_url.rstrip("/")
        self._flow = flow
        self._secrets = secrets
        self._http = http
        self._timeout = timeout

    def login(self) -> SalesforceSession:
        """Exchange the configured credentials for a session."""
        try:
            response = self._http.post(self._login_url + TOKEN_PATH, data=self._grant(),
                                       timeout=self._timeout)
        except requests.RequestException as exc:
            raise RetriableError(f"Salesforce login failed: {type(exc).__name__}") from None
        return _session_from(response)

    def _grant(self) -> dict[str, str]:
        grants = {
            "password": self._password_grant,
            "client_credentials": self._client_credentials_grant,
            "jwt": self._jwt_grant,
        }
        return grants[self._flow]()

    def _need(self, name: str) -> str:
        why = f"[salesforce] auth = \"{self._flow}\" needs it"
        return self._secrets.require(name, why).get_secret_value()

    def _password_grant(self) -> dict[str, str]:
        return {
            "grant_type": "password",
            "client_id": self._need("SALESFORCE_CLIENT_ID"),
            "client_secret": self._need("SALESFORCE_CLIENT_SECRET"),
            "username": self._need("SALESFORCE_USERNAME"),
            "password": self._need("SALESFORCE_PASSWORD"),
        }

    def _client_credentials_grant(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self._need("SALESFORCE_CLIENT_ID"),
            "client_secret": self._need("SALESFORCE_CLIENT_SECRET"),
        }

    def _jwt_grant(self) -> dict[str, str]:
        claims = {
            "iss": self._need("SALESFORCE_CLIENT_ID"),
            "sub": self._need("SALESFORCE_USERNAME"),
            "aud": jwt_audience(self._login_url),
            "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
        }
        assertion = jwt.encode(claims, self._need("SALESFORCE_PRIVATE_KEY"), algorithm="RS256")
        return {"grant_type": JWT_GRANT, "assertion": assertion}


def jwt_audience(login_url: str) -> str:
    """The ``aud`` claim Salesforce expects for a JWT sent to ``login_url``.

    Production orgs and My Domains expect login.salesforce.com, sandboxes test.salesforce.com;
    any other host (an emulator) is its own audience.
    """
    host = urlsplit(login_url).hostname or ""
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return "https://test.salesforce.com"
    if host.endswith(".salesforce.com"):
        return "https://login.salesforce.com"
    return login_url


def _session_from(response: requests.Response) -> SalesforceSession:
    if response.status_code >= 500:
        raise RetriableError(f"Salesforce login answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        error = body.get("error", f"HTTP {response.status_code}")
        detail = body.get("error_description", "no description")
        raise AuthenticationError(f"Salesforce refused the login: {error}: {detail}")
    return SalesforceSession(body["instance_url"], SecretStr(body["access_token"]))
