"""A requests session for talking to the emulator: trusts its throwaway certificate authority.

requests lets ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` replace a session's ``verify`` on
every request; a test machine with one of those set would then refuse the emulator's
certificate. This session keeps the CA file it was given, and puts a timeout on every request
that does not bring its own.
"""

from __future__ import annotations

from typing import Any

import requests


class EmulatorSession(requests.Session):
    """A session that verifies with ``ca_path`` whatever the environment says.

    Args:
        ca_path: the PEM file of the certificate authority to trust.
        timeout: seconds each request may take, unless the caller says otherwise.
    """

    def __init__(self, ca_path: str, timeout: float = 30) -> None:
        super().__init__()
        self.verify = ca_path
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        """Send with the session's timeout unless one is given."""
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(self, url: str | bytes | None, proxies: Any, stream: Any,
                                   verify: Any, cert: Any) -> Any:
        """The environment's proxies and settings, except that our CA file wins."""
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and isinstance(self.verify, str):
            merged["verify"] = self.verify
        return merged
