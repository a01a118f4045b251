"""The emulated org's state besides records: users and connected apps, access tokens, the
daily API allocation, the request log, query cursors and Bulk API jobs.

Everything here is shared between the HTTP threads and the test thread, so each part guards
itself with a lock.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crm_emulators.clock import Clock
from crm_emulators.salesforce import errors
from crm_emulators.salesforce.faults import Faults
from crm_emulators.salesforce.ids import IdAllocator
from crm_emulators.salesforce.record_store import Store


@dataclass(frozen=True)
class User:
    """Someone who can log in: the User record's id, username and password."""

    id: str
    username: str
    password: str


@dataclass(frozen=True)
class ConnectedApp:
    """An OAuth client: its secret, the user client credentials run as, its JWT key."""

    client_id: str
    client_secret: str
    run_as_username: str | None = None
    jwt_public_key_pem: str | None = None


class Directory:
    """Users and connected apps, by username and client id."""

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._apps: dict[str, ConnectedApp] = {}
        self._lock = threading.Lock()

    def add_user(self, user: User) -> None:
        """Register ``user`` (usernames match case-insensitively, as Salesforce's do)."""
        with self._lock:
            self._users[user.username.lower()] = user

    def add_app(self, app: ConnectedApp) -> None:
        """Register ``app``, replacing one with the same client id."""
        with self._lock:
            self._apps[app.client_id] = app

    def user(self, username: str) -> User | None:
        """The user called ``username``, or None."""
        with self._lock:
            return self._users.get(username.lower())

    def app(self, client_id: str) -> ConnectedApp | None:
        """The connected app with ``client_id``, or None."""
        with self._lock:
            return self._apps.get(client_id)

    def first_user(self) -> User | None:
        """The user added first (the integration user in the demo), or None."""
        with self._lock:
            return next(iter(self._users.values()), None)


@dataclass(frozen=True)
class _Session:
    user_id: str
    expires: datetime


class Sessions:
    """Access tokens and whom they belong to; they expire ``ttl`` after issue, on the clock."""

    def __init__(self, clock: Clock, ttl: timedelta, org_id: str) -> None:
        self._clock = clock
        self._ttl = ttl
        self._org_id = org_id
        self._tokens: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: str) -> str:
        """A new access token for ``user_id``."""
        token = f"{self._org_id[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = _Session(user_id, self._clock.now() + self._ttl)
        return token

    def user_for(self, authorization: str | None) -> str:
        """The user id behind an ``Authorization: Bearer|OAuth <token>`` header.

        Raises:
            ApiError: 401 INVALID_SESSION_ID for a missing, unknown or expired token.
        """
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            session = self._tokens.get(token.strip()) \
                if scheme.lower() in ("bearer", "oauth") else None
        if session is None or session.expires <= self._clock.now():
            raise errors.session_invalid()
        return session.user_id

    def expire_all(self) -> None:
        """Invalidate every token issued so far."""
        with self._lock:
            self._tokens.clear()


class ApiMeter:
    """The daily API allocation: counts calls and refuses them once it is used up."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        """Calls counted so far."""
        return self._used

    def spend(self) -> None:
        """Count one call.

        Raises:
            ApiError: 403 REQUEST_LIMIT_EXCEEDED once ``limit`` calls were counted.
        """
        with self._lock:
            if self._used >= self.limit:
                raise errors.request_limit_exceeded()
            self._used += 1

    def set(self, used: int, limit: int | None = None) -> None:
        """Pretend ``used`` calls were spent today (and change the allocation if given)."""
        with self._lock:
            self._used = max(0, used)
            if limit is not None:
                self.limit = limit

    def header(self) -> str:
        """The ``Sforce-Limit-Info`` header value, ``api-usage=USED/LIMIT``."""
        return f"api-usage={self._used}/{self.limit}"


class RequestLog:
    """``(method, path)`` of every request received, in arrival order."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def record(self, method: str, path: str) -> None:
        """Note one request."""
        with self._lock:
            self._entries.append((method, path))

    def entries(self) -> list[tuple[str, str]]:
        """A copy of the log."""
        with self._lock:
            return list(self._entries)

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests of ``method`` (any when None) whose path starts with ``path_prefix``."""
        return sum(1 for m, p in self.entries()
                   if (method is None or m == method.upper())
                   and (path_prefix is None or p.startswith(path_prefix)))

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class BulkQueryJob:
    """A Bulk API 2.0 query job; the emulator runs the query when the job is created."""

    id: str
    operation: str
    sobject: str
    created_by: str
    created_date: str
    api_version: str
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass
class BulkIngestJob:
    """A Bulk API 2.0 ingest job: its settings, the CSV uploaded and, once closed, the
    outcome of each row (``(sf__Id, sf__Created or sf__Error, row)``)."""

    id: str
    operation: str
    sobject: str
    external_id_field: str | None
    created_by: str
    created_date: str
    api_version: str
    state: str = "Open"
    uploads: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    succeeded: list[tuple[str, bool, list[str]]] = field(default_factory=list)
    failed: list[tuple[str, str, list[str]]] = field(default_factory=list)


class ResultSets:
    """Query results kept for their later pages (query locators), by locator."""

    def __init__(self) -> None:
        self._results: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def keep(self, locator: str, records: list[dict[str, Any]]) -> None:
        """Remember ``records`` under ``locator``."""
        with self._lock:
            self._results[locator] = records

    def get(self, locator: str) -> list[dict[str, Any]] | None:
        """The records kept under ``locator``, or None."""
        with self._lock:
            return self._results.get(locator)


@dataclass
class Org:
    """Everything the HTTP layer reads and changes.

    Attributes:
        store: the records.
        clock: the org's time.
        ids: allocates record, locator and job ids.
        org_id: the organization's id (``00D...``).
        directory: users and connected apps.
        sessions: access tokens.
        meter: the daily API allocation.
        log: every request received.
        faults: injected failures.
        page_size: records per query page.
        url: where the org is served (set once the server has its port).
        cursors: query results awaiting their next pages.
        jobs: Bulk API 2.0 query jobs by id.
        ingest_jobs: Bulk API 2.0 ingest jobs by id.
    """

    store: Store
    clock: Clock
    ids: IdAllocator
    org_id: str
    directory: Directory
    sessions: Sessions
    meter: ApiMeter
    log: RequestLog
    faults: Faults
    page_size: int
    url: str = ""
    cursors: ResultSets = field(default_factory=ResultSets)
    jobs: dict[str, BulkQueryJob] = field(default_factory=dict)
    ingest_jobs: dict[str, BulkIngestJob] = field(default_factory=dict)
