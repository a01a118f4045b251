"""A local Salesforce org over HTTPS, for the demo, the tests and users' own tests.

    emulator = SalesforceEmulator().start()
    sf = Salesforce(instance_url=emulator.url, session_id=emulator.issue_session_token(),
                    session=emulator.requests_session())

The data model is the shipped SFDX metadata plus the standard objects the connector uses.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import requests
import trustme

from connector.clock import Clock, SystemClock
from connector.salesforce.client import TimeoutSession
from connector.sandbox.salesforce.app import build_app
from connector.sandbox.salesforce.org import ConnectedApp, Faults, Org
from connector.sandbox.salesforce.schema import SHIPPED_METADATA, load_schema
from connector.sandbox.salesforce.store import ApiError, Record, Store
from connector.sandbox.server import ServerThread, TLSFiles

__all__ = ["ApiError", "SalesforceEmulator", "serve_forever"]


class SalesforceEmulator:
    """A Salesforce org on loopback with a throwaway certificate authority.

    Args:
        clock: stamps records and expires sessions (the system clock by default).
        daily_api_limit: API requests allowed before 403 REQUEST_LIMIT_EXCEEDED.
        page_size: records per query page (Salesforce: 2,000).
        session_ttl: seconds an access token lives.
        port: port to listen on; 0 picks a free one.
        host: interface to bind.
        metadata_dir: the SFDX source defining custom objects and fields.
    """

    def __init__(self, clock: Clock | None = None, *, daily_api_limit: int = 100_000,
                 page_size: int = 2000, session_ttl: float = 7200, port: int = 0,
                 host: str = "127.0.0.1", metadata_dir: Path | None = None) -> None:
        self.clock = clock or SystemClock()
        self._store = Store(load_schema(metadata_dir or SHIPPED_METADATA), self.clock)
        self._org = Org(self._store, self.clock, daily_api_limit, page_size, session_ttl)
        self._folder = tempfile.TemporaryDirectory(prefix="sf-emulator-")
        ca = trustme.CA()
        certificate = ca.issue_cert("127.0.0.1", "localhost")
        folder = Path(self._folder.name)
        self.ca_path = str(folder / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        certificate.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
        certificate.private_key_pem.write_to_path(str(folder / "key.pem"))
        self._server = ServerThread(build_app(self._org), host, port, TLSFiles(
            str(folder / "cert.pem"), str(folder / "key.pem")))
        self.host, self.port = host, self._server.port
        self._org.url = self.url

    @property
    def url(self) -> str:
        """The instance (and login) URL, e.g. ``https://127.0.0.1:54321``."""
        return self._server.url

    @property
    def faults(self) -> Faults:
        """Knobs that make requests fail or slow down."""
        return self._org.faults

    @property
    def request_log(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request received, OAuth included, in order."""
        return self._org.request_log

    @property
    def api_usage(self) -> int:
        """API requests counted against the daily limit so far."""
        return self._org.api_usage

    def start(self) -> SalesforceEmulator:
        """Serve in a background thread; return self."""
        self._server.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and remove the certificate files."""
        self._server.stop()
        self._folder.cleanup()

    def requests_session(self) -> requests.Session:
        """A requests session that trusts the emulator's certificate authority."""
        session = TimeoutSession(30)
        session.verify = self.ca_path
        return session

    # -- people and apps -------------------------------------------------------------------

    def add_user(self, username: str, password: str, *, name: str, email: str) -> str:
        """Create a user who can log in with ``password``; return the User id."""
        first, _, last = name.rpartition(" ")
        record = self._store.insert("User", {
            "Username": username, "Name": name, "FirstName": first or None,
            "LastName": last, "Email": email, "IsActive": True}, None, trusted=True)
        self._org.users[username] = (password, record["Id"])
        return str(record["Id"])

    def add_connected_app(self, client_id: str, client_secret: str, *,
                          run_as_username: str | None = None,
                          jwt_public_key_pem: str | None = None) -> None:
        """Register an OAuth client (client credentials run as ``run_as_username``)."""
        self._org.apps[client_id] = ConnectedApp(client_id, client_secret, run_as_username,
                                                 jwt_public_key_pem)

    def issue_session_token(self, username: str | None = None) -> str:
        """A valid access token for ``username`` (default: the first user added)."""
        if not self._org.users:
            raise ValueError("add a user first")
        chosen = username or next(iter(self._org.users))
        return self._org.issue(self._org.users[chosen][1])

    def expire_sessions(self) -> None:
        """Invalidate every access token (the next API call answers 401)."""
        with self._org.lock:
            self._org.sessions.clear()

    # -- records, directly (not counted as API calls) --------------------------------------

    def insert(self, sobject: str, fields: dict[str, Any]) -> str:
        """Create a record as the first user; return its id. Raises ApiError when invalid."""
        return str(self._store.insert(sobject, fields, self._default_user())["Id"])

    def update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        """Change fields of a record, validated as the API would."""
        self._store.update(sobject, record_id, fields, self._default_user())

    def delete(self, sobject: str, record_id: str) -> None:
        """Soft-delete a record."""
        self._store.delete(sobject, record_id)

    def get(self, sobject: str, record_id: str) -> Record:
        """A copy of a live record. Raises ApiError NOT_FOUND."""
        return dict(self._store.live(sobject, record_id))

    def records(self, sobject: str, include_deleted: bool = False) -> list[Record]:
        """Copies of every record of ``sobject``, in creation order."""
        return [dict(r) for r in self._store.records(sobject)
                if include_deleted or not r["IsDeleted"]]

    # -- counters ---------------------------------------------------------------------------

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests received, optionally of one method and under one path."""
        return sum(1 for m, p in self._org.request_log
                   if (method is None or m == method)
                   and (path_prefix is None or p.startswith(path_prefix)))

    def reset_counters(self) -> None:
        """Forget the request log (the daily API usage stays)."""
        self._org.request_log.clear()

    def _default_user(self) -> str | None:
        return next(iter(self._org.users.values()))[1] if self._org.users else None


def serve_forever(port: int, seed: bool = False) -> None:
    """``python -m connector.sandbox salesforce``: serve until SIGINT/SIGTERM."""
    from connector.sandbox.seed import seed_salesforce  # noqa: PLC0415 - seed imports us
    from connector.sandbox.stack import (  # noqa: PLC0415
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        INTEGRATION_USER,
    )

    emulator = SalesforceEmulator(port=port)
    emulator.add_user(INTEGRATION_USER, "integration-password", name="Integration User",
                      email=INTEGRATION_USER)
    emulator.add_connected_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                               run_as_username=INTEGRATION_USER)
    if seed:
        seed_salesforce(emulator, date.today())
    token = emulator.issue_session_token()
    print(f"Salesforce emulator on {emulator.url} (CA: {emulator.ca_path})\n"
          f"client credentials: {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET}\n"
          f"try: curl --cacert {emulator.ca_path} -H 'Authorization: Bearer {token}' "
          f"'{emulator.url}/services/data/v62.0/limits'", flush=True)
    try:
        emulator.serve_forever()  # uvicorn stops on SIGINT and SIGTERM
    finally:
        emulator.stop()
