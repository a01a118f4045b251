"""A local Salesforce org over HTTPS, for the demo, the end-to-end tests and users' own tests.

    emulator = SalesforceEmulator().start()
    emulator.add_user("me@example.com", "pw", name="Me", email="me@example.com")
    sf = Salesforce(instance_url=emulator.url, session_id=emulator.issue_session_token(),
                    session=emulator.requests_session())

The data model is the shipped SFDX metadata plus the standard objects the connector uses.
The org has one currency unless ``multi_currency=True``: then records carry
``CurrencyIsoCode``; otherwise no object has that field and SOQL or writes naming it are
refused, as a real single-currency org refuses them. ``Organization`` (one record) says which.
The REST surface (OAuth grants, query/queryAll, sObject rows and upserts, Collections,
getUpdated/getDeleted, describe, limits, Bulk API 2.0 query and ingest jobs) answers in
Salesforce's shapes, with its error arrays, ``Sforce-Limit-Info`` and daily limit;
:attr:`SalesforceEmulator.faults` injects failures. Modules: ``ids``, ``errors``,
``objects`` (schema), ``values``, ``derived``, ``record_store``, ``upserts``, ``state``,
``faults``, ``gateway``, ``oauth``, ``rest_*``,
``bulk``, ``bulk_ingest``, ``routes`` and the SOQL engine in ``soql``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
import trustme

from crm_emulators.clock import Clock, WallClock
from crm_emulators.salesforce.errors import ApiError
from crm_emulators.salesforce.faults import Faults
from crm_emulators.salesforce.ids import IdAllocator
from crm_emulators.salesforce.objects import SHIPPED_METADATA, Currencies, load_schema
from crm_emulators.salesforce.record_store import Record, Store
from crm_emulators.salesforce.routes import build_app
from crm_emulators.salesforce.state import (
    ApiMeter,
    ConnectedApp,
    Directory,
    Org,
    RequestLog,
    Sessions,
    User,
)
from crm_emulators.salesforce.trust import EmulatorSession
from crm_emulators.server import ServerThread, TLSFiles

__all__ = ["ApiError", "SalesforceEmulator"]


class SalesforceEmulator:
    """A Salesforce org on loopback, served over HTTPS with a throwaway certificate authority.

    Args:
        clock: stamps records and expires sessions (the system clock by default).
        daily_api_limit: API calls allowed before 403 REQUEST_LIMIT_EXCEEDED.
        page_size: records per query page (Salesforce: 2,000).
        session_ttl: seconds an access token lives, on ``clock``.
        port: port to listen on; 0 picks a free one.
        host: interface to bind.
        metadata_dir: the SFDX source defining custom objects and fields (default: the
            shipped ``salesforce/`` folder).
        multi_currency: enable multiple currencies: every object that has ``CurrencyIsoCode``
            in such an org gets it (custom objects included), defaulting to ``currency``. Off
            (the default, like most orgs): no object has the field.
        currency: the corporate currency, ``Organization.DefaultCurrencyIsoCode``.
        currencies: further active currencies of a multi-currency org.
        packages: namespaces of the managed packages installed in the org (``sfLma``: the
            License Management App's ``sfLma__License__c``); none by default.
    """

    def __init__(self, clock: Clock | None = None, *, daily_api_limit: int = 100_000,
                 page_size: int = 2000, session_ttl: float = 7200, port: int = 0,
                 host: str = "127.0.0.1", metadata_dir: Path | None = None,
                 multi_currency: bool = False, currency: str = "USD",
                 currencies: Sequence[str] = ("EUR", "GBP"),
                 packages: Sequence[str] = ()) -> None:
        self.clock = clock or WallClock()
        self.currencies = Currencies.of(multi_currency, currency, currencies)
        allocator = IdAllocator()
        store = Store(load_schema(metadata_dir or SHIPPED_METADATA, self.currencies,
                                  packages), self.clock,
                      allocator)
        org_id = str(store.insert("Organization", _organization(self.currencies), None,
                                  trusted=True)["Id"])
        self._org = Org(
            store=store, clock=self.clock, ids=allocator, org_id=org_id, directory=Directory(),
            sessions=Sessions(self.clock, timedelta(seconds=session_ttl), org_id),
            meter=ApiMeter(daily_api_limit), log=RequestLog(), faults=Faults(),
            page_size=page_size)
        self._folder = tempfile.TemporaryDirectory(prefix="sf-emulator-")
        self.ca_path, tls = _certificates(Path(self._folder.name), host)
        self._server = ServerThread(build_app(self._org), host, port, tls)
        self.host, self.port = host, self._server.port
        self._org.url = self.url

    # -- serving ----------------------------------------------------------------------------

    @property
    def multi_currency(self) -> bool:
        """Whether the org has multiple currencies (records carry ``CurrencyIsoCode``)."""
        return self.currencies.multi_currency

    @property
    def org_id(self) -> str:
        """The organization's id (``00D…``), also ``Organization.Id``."""
        return self._org.org_id

    @property
    def url(self) -> str:
        """The instance (and login) URL, e.g. ``https://127.0.0.1:54321``."""
        return self._server.url

    def start(self) -> SalesforceEmulator:
        """Serve in a background thread; return self once it accepts connections."""
        self._server.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until SIGINT/SIGTERM."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and remove the certificate files."""
        self._server.stop()
        self._folder.cleanup()

    def requests_session(self) -> requests.Session:
        """A requests session that trusts the emulator's certificate authority."""
        return EmulatorSession(self.ca_path)  # keeps our CA even when REQUESTS_CA_BUNDLE is set

    # -- people and apps --------------------------------------------------------------------

    def add_user(self, username: str, password: str, *, name: str, email: str) -> str:
        """Create an active user who can log in with ``password``; return the User id."""
        first, _, last = name.rpartition(" ")
        record = self._org.store.insert("User", {
            "Username": username, "FirstName": first or None, "LastName": last,
            "Email": email, "IsActive": True}, self._default_user(), trusted=True)
        self._org.directory.add_user(User(record["Id"], username, password))
        return str(record["Id"])

    def add_connected_app(self, client_id: str, client_secret: str, *,
                          run_as_username: str | None = None,
                          jwt_public_key_pem: str | None = None) -> None:
        """Register an OAuth client; client credentials run as ``run_as_username``, JWT
        assertions are verified with ``jwt_public_key_pem``."""
        self._org.directory.add_app(ConnectedApp(client_id, client_secret, run_as_username,
                                                 jwt_public_key_pem))

    def issue_session_token(self, username: str | None = None) -> str:
        """A valid access token for ``username`` (default: the first user added)."""
        user = self._org.directory.user(username) if username \
            else self._org.directory.first_user()
        if user is None:
            raise ValueError(f"no such user: {username}" if username else "add a user first")
        return self._org.sessions.issue(user.id)

    def expire_sessions(self) -> None:
        """Invalidate every access token (the next API call answers 401)."""
        self._org.sessions.expire_all()

    # -- records, directly (validated like the API, not counted as API calls) ---------------

    def insert(self, sobject: str, fields: dict[str, Any]) -> str:
        """Create a record as the first user; return its id. Raises ApiError when invalid."""
        return str(self._org.store.insert(sobject, fields, self._default_user())["Id"])

    def update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        """Change fields of a record as the first user. Raises ApiError when invalid."""
        self._org.store.update(sobject, record_id, fields, self._default_user())

    def delete(self, sobject: str, record_id: str) -> None:
        """Soft-delete a record (queryAll and getDeleted still see it)."""
        self._org.store.delete(sobject, record_id, self._default_user())

    def undelete(self, sobject: str, record_id: str) -> None:
        """Restore a soft-deleted record from the recycle bin, as Salesforce's undelete does."""
        self._org.store.undelete(sobject, record_id, self._default_user())

    def get(self, sobject: str, record_id: str) -> Record:
        """A copy of a live record. Raises ApiError NOT_FOUND or ENTITY_IS_DELETED."""
        return dict(self._org.store.locate(sobject, record_id))

    def records(self, sobject: str, include_deleted: bool = False) -> list[Record]:
        """Copies of the records of ``sobject``, in creation order."""
        return [dict(r) for r in self._org.store.records(sobject)
                if include_deleted or not r["IsDeleted"]]

    # -- faults and counters ----------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """Knobs that make requests fail, drop or slow down."""
        return self._org.faults

    @property
    def request_log(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request received (OAuth included), in order."""
        return self._org.log.entries()

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests received, optionally of one method and under one path."""
        return self._org.log.count(method, path_prefix)

    def reset_counters(self) -> None:
        """Forget the request log (the daily API usage stays)."""
        self._org.log.clear()

    @property
    def api_usage(self) -> int:
        """API calls counted against the daily limit so far."""
        return self._org.meter.used

    def set_api_usage(self, used: int, daily_limit: int | None = None) -> None:
        """Pretend ``used`` calls were spent today (by us or other integrations), and change
        the daily limit if given; usage above the limit answers 403 REQUEST_LIMIT_EXCEEDED."""
        self._org.meter.set(used, daily_limit)

    def _default_user(self) -> str | None:
        user = self._org.directory.first_user()
        return user.id if user else None


def _organization(currencies: Currencies) -> dict[str, Any]:
    """The ``Organization`` record: an Enterprise Edition production org."""
    return {"Name": "Emulated Org", "OrganizationType": "Enterprise Edition",
            "IsSandbox": False, "InstanceName": "EMU1", "Country": "United States",
            "DefaultCurrencyIsoCode": currencies.corporate, "DefaultLocaleSidKey": "en_US",
            "LanguageLocaleKey": "en_US", "TimeZoneSidKey": "GMT", "FiscalYearStartMonth": 1}


def _certificates(folder: Path, host: str) -> tuple[str, TLSFiles]:
    """A throwaway CA and a server certificate for ``host``; returns the CA's path."""
    ca = trustme.CA()
    names = dict.fromkeys([host, "127.0.0.1", "localhost"])
    certificate = ca.issue_cert(*names)
    ca_path, cert, key = (str(folder / n) for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(ca_path)
    certificate.private_key_and_cert_chain_pem.write_to_path(cert)
    certificate.private_key_pem.write_to_path(key)
    return ca_path, TLSFiles(cert, key)
