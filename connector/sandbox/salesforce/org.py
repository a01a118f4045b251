"""The emulated org's state besides records: users, connected apps, sessions, API usage,
query cursors, bulk jobs, fault knobs and the request log."""

from __future__ import annotations

import itertools
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connector.clock import Clock
from connector.sandbox.salesforce.store import ApiError, Store


@dataclass
class ConnectedApp:
    """An OAuth client: its secret, the user client-credentials runs as, its JWT key."""

    client_id: str
    client_secret: str
    run_as_username: str | None = None
    jwt_public_key_pem: str | None = None


@dataclass
class Faults:
    """Knobs that make the next requests fail or slow down, as a flaky network would."""

    _next: list[int] = field(default_factory=list)
    _fraction: float = 0.0
    _random: random.Random = field(default_factory=random.Random)
    _latency: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` API requests with ``status``."""
        with self._lock:
            self._next.extend([status] * count)

    def fail_fraction(self, fraction: float, seed: int = 0) -> None:
        """Answer a random ``fraction`` of API requests with 503 (reproducible by ``seed``)."""
        with self._lock:
            self._fraction, self._random = fraction, random.Random(seed)

    def latency(self, seconds: float) -> None:
        """Delay every API request by ``seconds``."""
        self._latency = seconds

    def clear(self) -> None:
        """Behave normally again."""
        with self._lock:
            self._next.clear()
            self._fraction, self._latency = 0.0, 0.0

    def pick(self) -> int | None:
        """The status the current request must fail with, if any (and apply the latency)."""
        if self._latency:
            time.sleep(self._latency)
        with self._lock:
            if self._next:
                return self._next.pop(0)
            if self._fraction and self._random.random() < self._fraction:
                return 503
        return None


@dataclass
class Session:
    """An issued access token."""

    user_id: str
    expires: datetime


class Org:
    """Everything the HTTP layer reads and changes besides records."""

    def __init__(self, store: Store, clock: Clock, daily_api_limit: int, page_size: int,
                 session_ttl: float) -> None:
        self.store = store
        self.clock = clock
        self.daily_api_limit = daily_api_limit
        self.page_size = page_size
        self.session_ttl = timedelta(seconds=session_ttl)
        self.api_usage = 0
        self.users: dict[str, tuple[str, str]] = {}  # username -> (password, user id)
        self.apps: dict[str, ConnectedApp] = {}
        self.sessions: dict[str, Session] = {}
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.faults = Faults()
        self.request_log: list[tuple[str, str]] = []
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        self.url = ""

    def issue(self, user_id: str) -> str:
        """A new access token for ``user_id``."""
        token = f"00D000000000001!{secrets.token_urlsafe(32)}"
        with self.lock:
            self.sessions[token] = Session(user_id, self.clock.now() + self.session_ttl)
        return token

    def authenticate(self, header: str | None) -> str:
        """The user id behind an ``Authorization: Bearer`` header, or 401 INVALID_SESSION_ID."""
        token = (header or "").removeprefix("Bearer ").removeprefix("OAuth ").strip()
        with self.lock:
            session = self.sessions.get(token)
        if session is None or session.expires <= self.clock.now():
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return session.user_id

    def spend(self) -> None:
        """Count one API request against the daily allocation, or refuse it past the limit."""
        with self.lock:
            if self.api_usage >= self.daily_api_limit:
                raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.api_usage += 1

    def new_id(self, prefix: str) -> str:
        """An id for a query cursor or a job (``01g…``, ``750…``)."""
        return f"{prefix}{next(self._ids):012d}"
