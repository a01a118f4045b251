"""The OAuth 2.0 token endpoint, ``POST /services/oauth2/token``.

Grants: ``password`` (connected app + username + password), ``client_credentials`` (a
connected app that runs as a configured user) and the JWT bearer flow (an RS256 assertion
whose ``iss`` is the client id, ``sub`` the username and ``aud`` the login URL, verified with
the public key registered for the app). Token calls are not API calls: they are not metered.
Refusals answer HTTP 400 with ``{"error", "error_description"}`` as Salesforce does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce.state import ConnectedApp, Org, User

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PUBLIC_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


class RefusedError(Exception):
    """A token request turned down, with the OAuth ``error`` and its description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(error, description)
        self.error = error
        self.description = description


async def token(request: Request, org: Org) -> Response:
    """Exchange a grant for an access token."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    try:
        user, app = _grant(org, form)
    except RefusedError as refused:
        return JSONResponse({"error": refused.error, "error_description": refused.description},
                            status_code=400)
    return JSONResponse(_token_body(org, user, app))


def _grant(org: Org, form: dict[str, str]) -> tuple[User, ConnectedApp]:
    grant = form.get("grant_type", "")
    if grant == "password":
        return _password(org, form)
    if grant == "client_credentials":
        return _client_credentials(org, form)
    if grant == JWT_GRANT:
        return _jwt_bearer(org, form.get("assertion", ""))
    raise RefusedError("unsupported_grant_type", "grant type not supported")


def _client(org: Org, form: dict[str, str]) -> ConnectedApp:
    app = org.directory.app(form.get("client_id", ""))
    if app is None:
        raise RefusedError("invalid_client_id", "client identifier invalid")
    if not hmac.compare_digest(app.client_secret, form.get("client_secret", "")):
        raise RefusedError("invalid_client", "invalid client credentials")
    return app


def _password(org: Org, form: dict[str, str]) -> tuple[User, ConnectedApp]:
    app = _client(org, form)
    user = org.directory.user(form.get("username", ""))
    if user is None or not hmac.compare_digest(user.password, form.get("password", "")):
        raise RefusedError("invalid_grant", "authentication failure")
    return user, app


def _client_credentials(org: Org, form: dict[str, str]) -> tuple[User, ConnectedApp]:
    app = _client(org, form)
    user = org.directory.user(app.run_as_username) if app.run_as_username else None
    if user is None:
        raise RefusedError("invalid_grant", "no client credentials user enabled")
    return user, app


def _jwt_bearer(org: Org, assertion: str) -> tuple[User, ConnectedApp]:
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise RefusedError("invalid_grant", "invalid assertion") from None
    app = org.directory.app(str(unverified.get("iss", "")))
    if app is None:
        raise RefusedError("invalid_client_id", "client identifier invalid")
    if app.jwt_public_key_pem is None:
        raise RefusedError("invalid_client", "invalid client credentials")
    try:
        claims = jwt.decode(assertion, app.jwt_public_key_pem, algorithms=["RS256"],
                            audience=[org.url, *PUBLIC_AUDIENCES],
                            options={"require": ["exp", "sub", "aud", "iss"]})
    except jwt.InvalidAudienceError:
        raise RefusedError("invalid_grant", "audience is invalid") from None
    except jwt.ExpiredSignatureError:
        raise RefusedError("invalid_grant", "expired authorization code") from None
    except jwt.PyJWTError:
        raise RefusedError("invalid_grant", "invalid assertion") from None
    user = org.directory.user(str(claims["sub"]))
    if user is None:
        raise RefusedError("invalid_grant", "user hasn't approved this consumer")
    return user, app


def _token_body(org: Org, user: User, app: ConnectedApp) -> dict[str, str]:
    identity = f"{org.url}/id/{org.org_id}/{user.id}"
    issued_at = str(int(org.clock.now().timestamp() * 1000))
    digest = hmac.new(app.client_secret.encode(), (identity + issued_at).encode(),
                      hashlib.sha256).digest()
    return {
        "access_token": org.sessions.issue(user.id), "instance_url": org.url, "id": identity,
        "token_type": "Bearer", "issued_at": issued_at,
        "signature": base64.b64encode(digest).decode(), "scope": "api",
    }
