"""The JWT audience follows the login host."""

from __future__ import annotations

import pytest

from connector.salesforce.auth import jwt_audience


@pytest.mark.parametrize(("login_url", "audience"), [
    ("https://login.salesforce.com", "https://login.salesforce.com"),
    ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
    ("https://test.salesforce.com", "https://test.salesforce.com"),
    ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
    ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
])
def test_audience(login_url: str, audience: str) -> None:
    assert jwt_audience(login_url) == audience
